// kernel/memory/memory.hpp's accounting for host tests of code that checks it: the heap is
// glibc's (mallinfo2), and a test decides when memory is short.
#pragma once

namespace coronet::host {

// What memory::short_of_memory() answers from now on.
void set_short_of_memory(bool short_of_memory);

}  // namespace coronet::host
