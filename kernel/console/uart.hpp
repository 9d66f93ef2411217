// A serial port the console writes to (16550 or PL011). Polled output: the console must work
// from panic and interrupt context, before interrupts exist.
#pragma once

#include <cstddef>

namespace coronet {

class Uart {
public:
    virtual void put(char c) = 0;
    // -1 when no byte is waiting.
    virtual int try_get() = 0;

protected:
    ~Uart() = default;
};

}  // namespace coronet
