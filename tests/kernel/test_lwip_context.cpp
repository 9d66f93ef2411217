// lwIP may only run in reactor or coroutine context: entering it the way an interrupt handler
// would (interrupts masked) must panic, not quietly corrupt the stack's state.
#include "arch/cpu.hpp"
#include "lwip/init.h"
#include "lwip/tcp.h"
#include "tests/kernel/ktest.hpp"

KTEST(lwip_context, "calling lwIP with interrupts masked (as from an interrupt handler) panics") {
    lwip_init();
    tcp_pcb* allowed = tcp_new();  // fine from ordinary context
    KCHECK(allowed != nullptr);
    if (allowed) tcp_abort(allowed);
    coronet::arch::InterruptGuard masked;
    printf("ktest: calling tcp_new() with interrupts masked\n");
    tcp_pcb* forbidden = tcp_new();
    printf("ktest: lwIP ran in interrupt context (%p)\n", static_cast<void*>(forbidden));
    KCHECK(false);
}
