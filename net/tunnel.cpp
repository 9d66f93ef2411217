#include "net/tunnel.hpp"

#include "kernel/sched/scheduler.hpp"
#include "kernel/sched/wait_queue.hpp"

namespace coronet::net {
namespace {

struct Direction {
    BufferedStream& from;
    BufferedStream& to;
    Result<void> result{};
    bool finished = false;
    sched::Event done;
};

// What arrives on `from` goes to `to` until `from` ends, whose end then goes on too. Only this
// direction flushes `to`'s output, and it reads without flushing `from`'s (the other's).
Result<void> copy(BufferedStream& from, BufferedStream& to) {
    for (;;) {
        std::string_view input = from.input();
        if (!input.empty()) {
            TRY_VOID(to.output().append(input));
            TRY_VOID(to.output().flush());
            from.consume(input.size());
            continue;
        }
        if (TRY(from.receive(sched::kForever)) == 0) return to.stream().shutdown();
    }
}

// One direction to its end; then the other gets the linger (none after a failure) before its
// reads are interrupted.
void run(Direction& self, Direction& other) {
    self.result = copy(self.from, self.to);
    self.finished = true;
    self.done.set();
    if (other.finished) return;
    sched::Deadline deadline = self.result ? sched::now() + kTunnelLinger : sched::now();
    if (!other.done.wait(deadline)) other.from.stream().interrupt();
}

}  // namespace

Result<void> tunnel(BufferedStream& a, BufferedStream& b) {
    Direction forth{a, b}, back{b, a};
    sched::Event exited;
    auto spawned = sched::spawn(
        [&] {
            run(forth, back);
            exited.set();  // the last touch of this frame's state
        },
        {.name = "tunnel", .detached = true});
    if (!spawned) return spawned.error();
    run(back, forth);
    (void)exited.wait();  // the other direction refers to this frame until then
    if (!forth.result) return forth.result.error();
    return back.result;
}

}  // namespace coronet::net
