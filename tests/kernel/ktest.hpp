// A tiny in-guest test harness: named tests register themselves; checks print and count.
#pragma once

#include <cstdio>

namespace coronet {
struct BootInfo;
}

namespace coronet::ktest {

using TestFunction = void (*)();

struct Test {
    const char* name;
    const char* description;
    TestFunction function;
    Test* next;
};

// Registers at construction (a global per test).
struct Registration {
    Registration(Test& test);
};

void record_failure(const char* expression, const char* file, int line);
int failures();
// Prints the verdict of the test running now and ends the machine with it (0 pass, 1 fail):
// for tests whose body runs in a coroutine beside others that never end (net_fixture.hpp).
[[noreturn]] void conclude();
// What the machine booted with (for tests that bring up devices).
const BootInfo& boot_info();

}  // namespace coronet::ktest

#define KTEST(name, description)                                                          \
    static void ktest_##name();                                                           \
    static ::coronet::ktest::Test ktest_entry_##name = {#name, description, ktest_##name, \
                                                        nullptr};                         \
    static ::coronet::ktest::Registration ktest_registration_##name(ktest_entry_##name);  \
    static void ktest_##name()

#define KCHECK(expr)                                                              \
    do {                                                                          \
        if (!(expr)) ::coronet::ktest::record_failure(#expr, __FILE__, __LINE__); \
    } while (0)
