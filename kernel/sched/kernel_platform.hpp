// The scheduler's platform inside the kernel: the arch clock and one-shot timer, halting idle,
// stacks from the page allocator with an unmapped guard page below each.
#pragma once

namespace coronet::sched {

void init_kernel_platform();

}  // namespace coronet::sched
