// C++ runtime bring-up for the kernel image.
#pragma once

namespace coronet {

// Runs .init_array (global constructors). Called once, after the console is up.
void run_global_constructors();

}  // namespace coronet
