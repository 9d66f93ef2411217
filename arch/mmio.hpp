// Typed memory-mapped register access. A device declares a register-map struct of Mmio<T>
// fields (offsets static_assert'ed against its spec); reads and writes are volatile and sized.
#pragma once

#include <cstdint>

namespace coronet {

template <typename T>
class Mmio {
public:
    T read() const { return *reinterpret_cast<const volatile T*>(&m_raw); }
    void write(T value) { *reinterpret_cast<volatile T*>(&m_raw) = value; }

private:
    T m_raw;
};
static_assert(sizeof(Mmio<uint32_t>) == 4);

// A register map placed at a physical (identity-mapped) address.
template <typename Regs>
inline Regs& mmio_at(uint64_t address) {
    return *reinterpret_cast<Regs*>(static_cast<uintptr_t>(address));
}

}  // namespace coronet
