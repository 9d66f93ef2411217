// Faults that must end in a panic naming the cause: these tests pass when the machine exits
// with the panic status and the expected report (checked by tests/CMake on the host side).
#include <cstdint>

#include "arch/cpu.hpp"
#include "tests/kernel/ktest.hpp"

// noinline and distinct names: the backtrace must name these functions.
[[gnu::noinline]] void ktest_fault_null_read(volatile int* pointer) {
    printf("ktest: reading through a null pointer\n");
    int value = *pointer;
    printf("ktest: read %d: the fault did not happen\n", value);
}

[[gnu::noinline]] void ktest_fault_text_write() {
    // Writing over our own code: W^X must make this a fault.
    auto* code = reinterpret_cast<volatile uint8_t*>(&ktest_fault_null_read);
    printf("ktest: writing to kernel text at %p\n",
           reinterpret_cast<void*>(const_cast<uint8_t*>(code)));
    code[0] = 0xCC;
    printf("ktest: kernel text is writable\n");
}

[[gnu::noinline]] void ktest_fault_data_execute() {
    static volatile uint8_t data[16] = {0xC3};  // `ret` on x86-64; any bytes will do
    auto* function = reinterpret_cast<void (*)()>(const_cast<uint8_t*>(&data[0]));
    printf("ktest: jumping into data at %p\n", reinterpret_cast<void*>(function));
    function();
    printf("ktest: data is executable\n");
}

[[gnu::noinline]] void ktest_stack_smash(const char* source, unsigned long length) {
    char buffer[16];
    // Deliberately overruns: the stack protector must notice before the return.
    for (unsigned long i = 0; i < length; ++i)
        reinterpret_cast<volatile char*>(buffer)[i] = source[i % 4];
}

KTEST(null_deref, "a null dereference panics with the cause, address and backtrace") {
    ktest_fault_null_read(nullptr);
    KCHECK(false);
}

KTEST(wx_text, "a write to kernel text faults (W^X)") {
    ktest_fault_text_write();
    KCHECK(false);
}

KTEST(wx_data, "executing from data faults (NX)") {
    ktest_fault_data_execute();
    KCHECK(false);
}

KTEST(stack_protector, "a smashed stack canary panics") {
    ktest_stack_smash("ABCD", 64);
    KCHECK(false);
}

KTEST(exit_code, "the guest exit status reaches the host (expects 42)") {
    // The host side expects exactly 42: proves the status is carried, not just zero/non-zero.
    coronet::arch::exit(42);
}
