// Initial stack of a new x86-64 context (see switch.S and context_frame.hpp).
#include <cstring>

#include "arch/context.hpp"
#include "arch/x86_64/context_frame.hpp"

extern "C" char coronet_context_trampoline[];

namespace coronet::arch {
namespace {
constexpr uint32_t kDefaultMxcsr = 0x1F80;       // all exceptions masked, round to nearest
constexpr uint16_t kDefaultFpuControl = 0x037F;  // same for x87, 64-bit precision
}  // namespace

uintptr_t context_init(void* stack_top, ContextEntry entry, void* argument) {
    auto top = reinterpret_cast<uintptr_t>(stack_top) & ~uintptr_t(15);
    // After the switch consumes the frame, rsp = top - 8: as if the trampoline had been called.
    auto* frame = reinterpret_cast<SuspendedContext*>(top - 8 - sizeof(SuspendedContext));
    std::memset(frame, 0, sizeof *frame);
    frame->mxcsr = kDefaultMxcsr;
    frame->fpu_control = kDefaultFpuControl;
    frame->r12 = reinterpret_cast<uint64_t>(entry);
    frame->r13 = reinterpret_cast<uint64_t>(argument);
    frame->resume = reinterpret_cast<uint64_t>(coronet_context_trampoline);
    *reinterpret_cast<uint64_t*>(top - 8) = 0;  // a zero "return address" above the first frame
    return reinterpret_cast<uintptr_t>(frame);
}

}  // namespace coronet::arch
