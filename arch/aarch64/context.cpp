// Initial stack of a new AArch64 context (see switch.S and context_frame.hpp).
#include <cstring>

#include "arch/aarch64/context_frame.hpp"
#include "arch/context.hpp"

extern "C" char coronet_context_trampoline[];

namespace coronet::arch {
namespace {
// FPCR 0: round to nearest, no FP exception traps, no flush-to-zero, no default NaN, IEEE
// half precision: the state the kernel itself runs with.
constexpr uint64_t kDefaultFpcr = 0;
}  // namespace

uintptr_t context_init(void* stack_top, ContextEntry entry, void* argument) {
    auto top = reinterpret_cast<uintptr_t>(stack_top) & ~uintptr_t(15);
    // After the switch consumes the frame, sp = top: 16-byte aligned for the call to entry.
    auto* frame = reinterpret_cast<SuspendedContext*>(top - sizeof(SuspendedContext));
    std::memset(frame, 0, sizeof *frame);
    frame->fpcr = kDefaultFpcr;
    frame->x19 = reinterpret_cast<uint64_t>(entry);
    frame->x20 = reinterpret_cast<uint64_t>(argument);
    frame->x29 = 0;  // ends frame-pointer walks
    frame->x30 = reinterpret_cast<uint64_t>(coronet_context_trampoline);
    return reinterpret_cast<uintptr_t>(frame);
}

}  // namespace coronet::arch
