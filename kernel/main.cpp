// kernel_main: brings the kernel up in dependency order, prints the banner, runs the app.
#include <cinttypes>
#include <cstdio>
#include <optional>

#include "arch/clock.hpp"
#include "arch/cpu.hpp"
#include "arch/fault.hpp"
#include "arch/mmu.hpp"
#include "kernel/app.hpp"
#include "kernel/backtrace.hpp"
#include "kernel/board.hpp"
#include "kernel/boot_config.hpp"
#include "kernel/console/console.hpp"
#include "kernel/cxx_runtime.hpp"
#include "kernel/log.hpp"
#include "kernel/memory/memory.hpp"
#include "kernel/memory/stack_space.hpp"
#include "kernel/panic.hpp"
#include "kernel/sched/kernel_platform.hpp"
#include "kernel/sched/scheduler.hpp"
#include "kernel/uptime.hpp"
#include "kernel/version.hpp"
#include "kernel/wall_clock.hpp"
#include "lib/align.hpp"
#include "lib/time_units.hpp"

extern "C" char boot_stack_bottom[];
extern "C" char boot_stack_top[];

namespace coronet {
namespace {

// The kernel's own boot options, read here and nowhere else: the log level and the panic action
// at once, the watchdog once the scheduler exists.
struct KernelOptions {
    std::optional<uint64_t> watchdog_ns;  // `watchdog_ms=N`
};

KernelOptions apply_config() {
    const BootConfig& config = boot_config();
    KernelOptions options;
    log::Level level;
    if (auto text = config.get("loglevel")) {
        if (log::parse_level(*text, level)) log::set_level(level);
        else
            LOG_WARN("boot: unknown loglevel '%.*s' (error|warn|info|debug|trace)",
                     static_cast<int>(text->size()), text->data());
    }
    if (config.truncated())
        LOG_WARN("boot: command line truncated to %zu bytes / %zu words", BootConfig::kMaxLength,
                 BootConfig::kMaxWords);
    if (config.get_or("panic", "exit") == "halt") set_panic_action(PanicAction::Halt);
    if (auto ms = config.get_number("watchdog_ms")) options.watchdog_ns = ms_to_ns(*ms);
    else if (config.has("watchdog_ms"))
        LOG_WARN("boot: watchdog_ms wants a number of milliseconds");
    return options;
}

// Counter values at the end of each bring-up step; reported once the clock is calibrated.
struct BootPhase {
    const char* name;
    uint64_t ticks;
};
constexpr size_t kMaxPhases = 8;
BootPhase g_phases[kMaxPhases];
size_t g_phase_count = 0;

void mark_phase(const char* name) {
    if (g_phase_count < kMaxPhases) g_phases[g_phase_count++] = {name, arch::clock::ticks()};
}

void log_boot_phases(uint64_t entry_ticks) {
    uint64_t previous = entry_ticks;
    for (size_t i = 0; i < g_phase_count; ++i) {
        LOG_DEBUG("boot: %-12s %6" PRIu64 " us", g_phases[i].name,
                  ns_to_us(arch::clock::ticks_to_ns(g_phases[i].ticks - previous)));
        previous = g_phases[i].ticks;
    }
}

void print_banner(const BootInfo& info) {
    char cpu[64];
    arch::describe_cpu(cpu, sizeof cpu);
    memory::Stats mem = memory::stats();
    uint64_t boot_ns = uptime_ns();
    printf("coronet %s (%s) on %s: booted in %" PRIu64 " us\n", CORONET_VERSION, CORONET_BUILD_TYPE,
           kBoard.name, ns_to_us(boot_ns));
    printf("  board:   %s\n", kBoard.summary);
    printf("  cpu:     %s (%s), counter %" PRIu64 " Hz\n", cpu, arch::name(),
           arch::clock::frequency_hz());
    printf("  memory:  %" PRIu64 " MiB RAM, image %" PRIu64 " KiB, %" PRIu64
           " MiB free (heap and stacks grow into it)\n",
           mem.ram_bytes >> 20, mem.kernel_bytes >> 10, (mem.pages_free * kPageSize) >> 20);
    printf("  boot:    %s\n", info.firmware);
    printf("  cmdline: %s\n", info.cmdline[0] ? info.cmdline : "(empty)");
}

}  // namespace
}  // namespace coronet

extern "C" [[noreturn]] void kernel_main(coronet::BootInfo& info) {
    using namespace coronet;
    set_boot_ticks(info.entry_ticks);
    mark_phase("entry");
    console::init(info.console);
    run_global_constructors();
    mutable_boot_config().parse(info.cmdline);
    KernelOptions options = apply_config();
    mark_phase("console");

    backtrace_add_stack_range(reinterpret_cast<uint64_t>(boot_stack_bottom),
                              reinterpret_cast<uint64_t>(boot_stack_top));
    arch::set_fault_handler(panic_on_fault);
    arch::init_exceptions();

    memory::init(info);
    mark_phase("memory");
    arch::mmu::init(info, memory::allocate_zeroed_page);
    arch::set_missing_page_resolver(memory::map_missing_stack_page);
    mark_phase("page tables");
    arch::init_interrupt_controller(info);
    mark_phase("interrupts");
    arch::clock::init();
    mark_phase("clock");
    arch::interrupts_enable();

    sched::init_kernel_platform();
    if (options.watchdog_ns) sched::set_watchdog(*options.watchdog_ns);

    print_banner(info);
    log_boot_phases(info.entry_ticks);
    wall_clock::init();
    int status = app_main(info);
    LOG_INFO("app exited with status %d", status);
    arch::exit(status);
}
