// Boot configuration from the kernel command line (`-append`): space-separated `key=value`
// words and bare flags. Pure code, unit-tested on the host.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace coronet {

class BootConfig {
public:
    static constexpr size_t kMaxLength = 1024;  // longer command lines are truncated (and said so)
    static constexpr size_t kMaxWords = 64;

    // Copies `cmdline`; the config owns its text.
    void parse(std::string_view cmdline);

    std::string_view text() const { return {m_text, m_length}; }
    bool truncated() const { return m_truncated; }
    size_t word_count() const { return m_count; }

    // Value of the last `key=value`; a bare `key` has an empty value.
    std::optional<std::string_view> get(std::string_view key) const;
    bool has(std::string_view key) const { return get(key).has_value(); }
    std::string_view get_or(std::string_view key, std::string_view fallback) const;
    // Decimal or 0x-hex unsigned integer; nullopt if absent or not a number.
    std::optional<unsigned long long> get_number(std::string_view key) const;
    // The same for a piece of a value (a list's item).
    static std::optional<unsigned long long> parse_number(std::string_view text);

    // A key may repeat (`virtio_mmio.device=` once per device): how many times it appears, and
    // its `index`-th value in command-line order.
    size_t count(std::string_view key) const;
    std::optional<std::string_view> get_nth(std::string_view key, size_t index) const;

private:
    struct Word {
        std::string_view key;
        std::string_view value;
    };
    char m_text[kMaxLength + 1] = {};
    size_t m_length = 0;
    bool m_truncated = false;
    Word m_words[kMaxWords] = {};
    size_t m_count = 0;
};

// The running kernel's configuration (parsed once in kernel_main). Read only at the image's
// composition roots (kernel_main, app_main), which hand option structs down.
const BootConfig& boot_config();
BootConfig& mutable_boot_config();

}  // namespace coronet
