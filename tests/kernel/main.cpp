// kernel-tests image: runs the test named by `test=` (or every test not marked as faulting
// when `test=all`), prints a verdict and exits 0 (pass) or 1 (fail).
#include <cstring>

#include "arch/cpu.hpp"
#include "kernel/app.hpp"
#include "kernel/boot_config.hpp"
#include "kernel/log.hpp"
#include "tests/kernel/ktest.hpp"

namespace coronet::ktest {
namespace {
Test* g_tests = nullptr;
Test* g_running = nullptr;
const BootInfo* g_boot_info = nullptr;
int g_failures = 0;

int verdict() {
    printf("ktest: %s %s (%d failed checks)\n", g_running->name, g_failures ? "FAILED" : "PASSED",
           g_failures);
    return g_failures ? 1 : 0;
}
}  // namespace

Registration::Registration(Test& test) {
    test.next = g_tests;
    g_tests = &test;
}

void record_failure(const char* expression, const char* file, int line) {
    ++g_failures;
    printf("ktest: CHECK FAILED: %s (%s:%d)\n", expression, file, line);
}

int failures() { return g_failures; }

void conclude() { arch::exit(verdict()); }

const BootInfo& boot_info() { return *g_boot_info; }

}  // namespace coronet::ktest

namespace coronet {

int app_main(const BootInfo& info) {
    using namespace ktest;
    g_boot_info = &info;
    auto wanted = boot_config().get_or("test", "");
    if (wanted.empty()) {
        printf("ktest: no test= on the command line; tests:\n");
        for (Test* t = g_tests; t; t = t->next) printf("  %s: %s\n", t->name, t->description);
        return 1;
    }
    for (Test* t = g_tests; t; t = t->next) {
        if (wanted != t->name) continue;
        printf("ktest: running %s (%s)\n", t->name, t->description);
        g_running = t;
        t->function();
        return verdict();
    }
    printf("ktest: unknown test '%.*s'\n", static_cast<int>(wanted.size()), wanted.data());
    return 1;
}

}  // namespace coronet
