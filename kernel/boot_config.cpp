// Command-line splitting: words separated by spaces/tabs, the first '=' splits key and value.
#include "kernel/boot_config.hpp"

#include <cstring>

namespace coronet {

void BootConfig::parse(std::string_view cmdline) {
    m_truncated = cmdline.size() > kMaxLength;
    m_length = m_truncated ? kMaxLength : cmdline.size();
    std::memcpy(m_text, cmdline.data(), m_length);
    m_text[m_length] = '\0';
    m_count = 0;

    size_t i = 0;
    while (i < m_length) {
        while (i < m_length && (m_text[i] == ' ' || m_text[i] == '\t' || m_text[i] == '\n')) ++i;
        size_t start = i;
        while (i < m_length && m_text[i] != ' ' && m_text[i] != '\t' && m_text[i] != '\n') ++i;
        if (i == start) break;
        if (m_count == kMaxWords) {
            m_truncated = true;
            break;
        }
        std::string_view word(m_text + start, i - start);
        size_t eq = word.find('=');
        if (eq == std::string_view::npos) {
            m_words[m_count++] = {word, {}};
        } else {
            m_words[m_count++] = {word.substr(0, eq), word.substr(eq + 1)};
        }
    }
}

std::optional<std::string_view> BootConfig::get(std::string_view key) const {
    for (size_t i = m_count; i > 0; --i) {
        if (m_words[i - 1].key == key) return m_words[i - 1].value;
    }
    return std::nullopt;
}

size_t BootConfig::count(std::string_view key) const {
    size_t n = 0;
    for (size_t i = 0; i < m_count; ++i) n += m_words[i].key == key;
    return n;
}

std::optional<std::string_view> BootConfig::get_nth(std::string_view key, size_t index) const {
    for (size_t i = 0; i < m_count; ++i) {
        if (m_words[i].key == key && index-- == 0) return m_words[i].value;
    }
    return std::nullopt;
}

std::string_view BootConfig::get_or(std::string_view key, std::string_view fallback) const {
    auto value = get(key);
    return value ? *value : fallback;
}

std::optional<unsigned long long> BootConfig::get_number(std::string_view key) const {
    auto value = get(key);
    if (!value) return std::nullopt;
    return parse_number(*value);
}

std::optional<unsigned long long> BootConfig::parse_number(std::string_view digits) {
    if (digits.empty()) return std::nullopt;
    unsigned base = 10;
    if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
        base = 16;
        digits.remove_prefix(2);
    }
    unsigned long long result = 0;
    for (char c : digits) {
        unsigned d;
        if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
        else return std::nullopt;
        if (result > (~0ULL - d) / base) return std::nullopt;  // overflow
        result = result * base + d;
    }
    return result;
}

namespace {
BootConfig g_boot_config;
}

const BootConfig& boot_config() { return g_boot_config; }
BootConfig& mutable_boot_config() { return g_boot_config; }

}  // namespace coronet
