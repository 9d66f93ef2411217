// Parser for `virtio_mmio.device=<size>@<base>:<irq>[:<id>]` (the format Linux's virtio_mmio
// module accepts as its `device` parameter).
#include "drivers/virtio/mmio_cmdline.hpp"

namespace coronet::virtio {
namespace {

// Reads an unsigned number (0x-hex or decimal) from the front of `text`, consuming it.
std::optional<uint64_t> take_number(std::string_view& text) {
    unsigned base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text.remove_prefix(2);
    }
    uint64_t value = 0;
    size_t digits = 0;
    for (; digits < text.size(); ++digits) {
        char c = text[digits];
        unsigned d;
        if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
        else break;
        if (value > (~uint64_t{0} - d) / base) return std::nullopt;
        value = value * base + d;
    }
    if (digits == 0) return std::nullopt;
    text.remove_prefix(digits);
    return value;
}

bool take_char(std::string_view& text, char c) {
    if (text.empty() || text[0] != c) return false;
    text.remove_prefix(1);
    return true;
}

}  // namespace

std::optional<MmioDeviceSpec> parse_mmio_device(std::string_view text) {
    auto size = take_number(text);
    if (!size) return std::nullopt;
    unsigned shift = 0;
    if (!text.empty()) {
        switch (text[0]) {
        case 'k':
        case 'K': shift = 10; break;
        case 'm':
        case 'M': shift = 20; break;
        case 'g':
        case 'G': shift = 30; break;
        default: break;
        }
        if (shift) text.remove_prefix(1);
    }
    if (*size == 0 || *size > (~uint64_t{0} >> shift)) return std::nullopt;
    uint64_t bytes = *size << shift;

    if (!take_char(text, '@')) return std::nullopt;
    auto base = take_number(text);
    if (!base || *base + bytes < *base) return std::nullopt;
    if (!take_char(text, ':')) return std::nullopt;
    auto irq = take_number(text);
    if (!irq || *irq > 0xFFFFFFFFu) return std::nullopt;
    if (take_char(text, ':') && !take_number(text)) return std::nullopt;  // platform device id
    if (!text.empty()) return std::nullopt;
    return MmioDeviceSpec{*base, bytes, static_cast<uint32_t>(*irq)};
}

}  // namespace coronet::virtio
