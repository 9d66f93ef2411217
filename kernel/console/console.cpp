// Console: routes picolibc's stdio to the boot UART, turning "\n" into "\r\n".
#include "kernel/console/console.hpp"

#include <cstdio>
#include <new>

#include "kernel/console/ns16550.hpp"
#include "kernel/console/pl011.hpp"

namespace coronet::console {
namespace {

// Placement storage: the console comes up before global constructors run.
alignas(Ns16550) unsigned char g_ns16550_storage[sizeof(Ns16550)];
alignas(Pl011) unsigned char g_pl011_storage[sizeof(Pl011)];
Uart* g_uart = nullptr;

}  // namespace

void init(const ConsoleInfo& info) {
    switch (info.kind) {
    case ConsoleKind::Ns16550Port: {
        auto* uart = new (g_ns16550_storage) Ns16550(Ns16550::Access::Port, info.base);
        uart->init();
        g_uart = uart;
        break;
    }
    case ConsoleKind::Ns16550Mmio: {
        auto* uart = new (g_ns16550_storage) Ns16550(Ns16550::Access::Mmio, info.base, 1);
        uart->init();
        g_uart = uart;
        break;
    }
    case ConsoleKind::Pl011: {
        auto* uart = new (g_pl011_storage) Pl011(info.base);
        uart->init();
        g_uart = uart;
        break;
    }
    case ConsoleKind::None: g_uart = nullptr; break;
    }
}

void put(char c) {
    if (!g_uart) return;
    if (c == '\n') g_uart->put('\r');
    g_uart->put(c);
}

void write(const char* data, unsigned long length) {
    for (unsigned long i = 0; i < length; ++i) put(data[i]);
}

int try_get() { return g_uart ? g_uart->try_get() : -1; }

}  // namespace coronet::console

// picolibc tinystdio: stdout/stderr are FILEs whose put hook writes to the console.
namespace {

int console_putc(char c, FILE*) {
    coronet::console::put(c);
    return static_cast<unsigned char>(c);
}

int console_getc(FILE*) {
    int c = coronet::console::try_get();
    return c < 0 ? EOF : c;
}

FILE g_console_file = FDEV_SETUP_STREAM(console_putc, console_getc, nullptr, _FDEV_SETUP_RW);

}  // namespace

extern "C" {
FILE* const stdin = &g_console_file;
FILE* const stdout = &g_console_file;
FILE* const stderr = &g_console_file;
}
