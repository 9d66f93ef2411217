// What the libFuzzer targets share: CHECK (an invariant that, broken, stops the run with its
// text so the fuzzer keeps the input), split points drawn from the input's own bytes (a crash
// replays exactly), and Arrival, the bytes received so far with the rest poisoned for ASan.
#pragma once

#include <sanitizer/asan_interface.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

namespace coronet::fuzz {

[[noreturn]] inline void invariant_broken(const char* what, const char* file, int line) {
    std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
    std::abort();
}

#define CHECK(condition)                                                                   \
    do {                                                                                   \
        if (!(condition)) coronet::fuzz::invariant_broken(#condition, __FILE__, __LINE__); \
    } while (0)

// Piece sizes of 1..max_piece from a xorshift seeded by the input.
struct Splitter {
    uint32_t state;
    size_t max_piece;
    uint32_t next_random() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        return state;
    }
    size_t next() { return 1 + next_random() % max_piece; }
};

// The bytes received so far, in a heap block whose not-yet-received tail is poisoned: a read
// past them is an ASan report, not a silent success.
class Arrival {
public:
    explicit Arrival(std::string_view bytes) : m_storage(bytes.size() + 1) {
        std::memcpy(m_storage.data(), bytes.data(), bytes.size());
        ASAN_POISON_MEMORY_REGION(m_storage.data(), m_storage.size());
    }
    ~Arrival() { ASAN_UNPOISON_MEMORY_REGION(m_storage.data(), m_storage.size()); }
    Arrival(const Arrival&) = delete;
    Arrival& operator=(const Arrival&) = delete;

    std::string_view first(size_t size) {
        ASAN_UNPOISON_MEMORY_REGION(m_storage.data(), size);
        return {m_storage.data(), size};
    }
    const char* data() const { return m_storage.data(); }

private:
    std::vector<char> m_storage;
};

}  // namespace coronet::fuzz
