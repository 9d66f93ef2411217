// RESP multibulk encoding of a client's command.
#include "apps/redis/command_encoder.hpp"

#include "lib/assert.hpp"

namespace coronet::redis {

namespace {

size_t decimal_digits(uint64_t value) {
    size_t digits = 1;
    while (value >= 10) {
        value /= 10;
        ++digits;
    }
    return digits;
}

}  // namespace

size_t CommandArg::length() const {
    if (!m_integer) return m_bytes.size();
    return decimal_digits(m_magnitude) + (m_negative ? 1 : 0);
}

Result<void> encode_command(Output& out, const CommandArg* args, size_t count) {
    CORONET_ASSERT(count > 0 && "a Redis command has at least its name");
    TRY_VOID(out.append("*"));
    TRY_VOID(out.append_decimal(count));
    TRY_VOID(out.append("\r\n"));
    for (size_t k = 0; k < count; ++k) {
        const CommandArg& arg = args[k];
        TRY_VOID(out.append("$"));
        TRY_VOID(out.append_decimal(arg.length()));
        TRY_VOID(out.append("\r\n"));
        if (arg.is_integer()) {
            if (arg.negative()) TRY_VOID(out.append("-"));
            TRY_VOID(out.append_decimal(arg.magnitude()));
        } else {
            TRY_VOID(out.append(arg.bytes()));
        }
        TRY_VOID(out.append("\r\n"));
    }
    return {};
}

}  // namespace coronet::redis
