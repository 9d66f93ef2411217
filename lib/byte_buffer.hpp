// ByteBuffer: a growable run of bytes on the heap (a message being assembled, a compressed
// copy), doubling as it grows, with every growth checked: out of memory is an error value, and
// a caller-given limit is never passed.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace coronet {

class ByteBuffer {
public:
    ByteBuffer() = default;
    ByteBuffer(const ByteBuffer&) = delete;
    ByteBuffer& operator=(const ByteBuffer&) = delete;
    ~ByteBuffer() { release(); }

    char* data() { return m_data; }
    const char* data() const { return m_data; }
    size_t size() const { return m_size; }
    size_t capacity() const { return m_capacity; }
    std::string_view view() const { return {m_data, m_size}; }

    // Room for at least `wanted` bytes in all; false when memory is short.
    bool reserve(size_t wanted) {
        if (wanted <= m_capacity) return true;
        size_t grown = m_capacity ? m_capacity : kFirstCapacity;
        while (grown < wanted) grown = grown * 2 > grown ? grown * 2 : wanted;
        auto* data = static_cast<char*>(realloc(m_data, grown));
        if (!data) return false;
        m_data = data;
        m_capacity = grown;
        return true;
    }
    bool append(const void* bytes, size_t length) {
        if (!reserve(m_size + length)) return false;
        if (length) std::memcpy(m_data + m_size, bytes, length);
        m_size += length;
        return true;
    }
    // Bytes written straight into the spare capacity (after reserve()) become part of the data.
    void grow_into_capacity(size_t length) { m_size += length; }
    char* spare() { return m_data + m_size; }
    size_t spare_size() const { return m_capacity - m_size; }

    void clear() { m_size = 0; }
    void release() {
        free(m_data);
        m_data = nullptr;
        m_size = m_capacity = 0;
    }

private:
    static constexpr size_t kFirstCapacity = 256;
    char* m_data = nullptr;
    size_t m_size = 0;
    size_t m_capacity = 0;
};

}  // namespace coronet
