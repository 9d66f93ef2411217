// lwIP bring-up and the port hooks lwIP calls back into: time, randomness, assertions.
#include "net/lwip/stack.hpp"

#include "arch/clock.hpp"
#include "arch/cpu.hpp"
#include "kernel/panic.hpp"
#include "lwip/init.h"
#include "lwip/sys.h"

namespace coronet::net {

void init_stack() { lwip_init(); }

const char* stack_version() { return LWIP_VERSION_STRING; }

}  // namespace coronet::net

extern "C" {

u32_t sys_now(void) { return static_cast<u32_t>(coronet::arch::clock::now_ns() / 1000000); }

void coronet_lwip_assert(const char* message, const char* file, int line) {
    coronet::panic("lwIP assertion: %s (%s:%d)", message, file, line);
}

uint32_t coronet_lwip_random(void) {
    uint64_t value;
    if (!coronet::arch::hardware_random(value)) value = coronet::arch::clock::ticks() * 0x9E3779B97F4A7C15ULL;
    return static_cast<uint32_t>(value >> 16);
}
}
