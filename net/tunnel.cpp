#include "net/tunnel.hpp"

#include "kernel/sched/scheduler.hpp"
#include "kernel/sched/wait_queue.hpp"

namespace coronet::net {
namespace {

// When a byte last crossed, either way, and how long the tunnel may stay without one. A
// direction still writing out what it took counts as busy (a slow reader is not an idle one;
// the write's own timeout bounds it).
struct Activity {
    uint64_t idle_timeout_ns;
    sched::Deadline last = sched::now();
    int writing = 0;

    // When the tunnel counts as idle if nothing crosses meanwhile.
    sched::Deadline ends() const {
        sched::Deadline since = writing != 0 ? sched::now() : last;
        if (idle_timeout_ns == 0 || idle_timeout_ns >= sched::kForever - since)
            return sched::kForever;
        return since + idle_timeout_ns;
    }
};

struct Direction {
    BufferedStream& from;
    BufferedStream& to;
    Result<void> result{};
    bool finished = false;
    sched::Event done;
};

// What arrives on `from` goes to `to` until `from` ends, whose end then goes on too. Only this
// direction flushes `to`'s output, and it reads without flushing `from`'s (the other's). A
// wait that times out while the other direction was busy meanwhile just waits again.
Result<void> copy(BufferedStream& from, BufferedStream& to, Activity& activity) {
    for (;;) {
        std::string_view input = from.input();
        if (!input.empty()) {
            ++activity.writing;
            auto sent = to.output().append(input);
            if (sent) sent = to.output().flush();
            --activity.writing;
            activity.last = sched::now();
            TRY_VOID(sent);
            from.consume(input.size());
            continue;
        }
        auto received = from.receive(activity.ends());
        if (!received && received.error() == Error::Timeout && sched::now() < activity.ends())
            continue;
        if (TRY(received) == 0) return to.stream().shutdown();
    }
}

// One direction to its end; then the other gets the linger (none after a failure) before its
// reads are interrupted.
void run(Direction& self, Direction& other, Activity& activity) {
    self.result = copy(self.from, self.to, activity);
    self.finished = true;
    self.done.set();
    if (other.finished) return;
    sched::Deadline deadline = self.result ? sched::now() + kTunnelLinger : sched::now();
    if (!other.done.wait(deadline)) other.from.stream().interrupt();
}

}  // namespace

Result<void> tunnel(BufferedStream& a, BufferedStream& b, uint64_t idle_timeout_ns) {
    Activity activity{idle_timeout_ns};
    Direction forth{a, b}, back{b, a};
    sched::Event exited;
    auto spawned = sched::spawn(
        [&] {
            run(forth, back, activity);
            exited.set();  // the last touch of this frame's state
        },
        {.name = "tunnel", .detached = true});
    if (!spawned) return spawned.error();
    run(back, forth, activity);
    (void)exited.wait();  // the other direction refers to this frame until then
    // The failure that ended the tunnel, rather than the interruption it caused (Busy).
    for (const Direction* direction : {&forth, &back})
        if (!direction->result && direction->result.error() != Error::Busy)
            return direction->result.error();
    if (!forth.result) return forth.result.error();
    return back.result;
}

}  // namespace coronet::net
