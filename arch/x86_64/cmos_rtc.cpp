// The PC real-time clock: a Motorola MC146818-compatible calendar in CMOS behind index/data ports
// 0x70/0x71 (q35's ICH9 LPC bridge, microvm with rtc=on, real chipsets alike). Its registers
// count in BCD or binary and in 12- or 24-hour form, as status register B says, and they change
// under the reader once a second; this reads them when no update is due and twice over, until
// two reads agree.
#include "arch/rtc.hpp"

#include "arch/x86_64/port_io.hpp"
#include "lib/civil_time.hpp"

namespace coronet::arch::rtc {
namespace {

constexpr uint16_t kIndexPort = 0x70;  // bit 7 of the index masks NMI: always written as 0 here
constexpr uint16_t kDataPort = 0x71;

// Register indices (MC146818A data sheet, "Address map"; the century byte is the IBM PC/AT
// convention that ACPI's FADT CENTURY field usually names).
enum class Reg : uint8_t {
    Seconds = 0x00,
    Minutes = 0x02,
    Hours = 0x04,
    DayOfMonth = 0x07,
    Month = 0x08,
    Year = 0x09,  // 0-99
    StatusA = 0x0a,
    StatusB = 0x0b,
    StatusD = 0x0d,
    Century = 0x32,
};

uint8_t read_register(Reg reg) {
    x86_64::outb(kIndexPort, static_cast<uint8_t>(reg));
    return x86_64::inb(kDataPort);
}

// Status A: UIP is set from 244 us before an update until the update ends (at most ~2 ms);
// while it is clear, a read of the time registers cannot straddle an update.
bool update_in_progress(uint8_t status_a) { return status_a & 0x80; }
// Status B: DM (data mode) set means binary, clear means BCD; 24/12 set means 24-hour.
bool binary_mode(uint8_t status_b) { return status_b & 0x04; }
bool hours_24(uint8_t status_b) { return status_b & 0x02; }
// Status D: VRT (valid RAM and time) reads 1 and bit 6 reads 0 (the low bits are 0, or an
// ICH-style date alarm). Nothing at the ports reads 0xff.
bool device_present(uint8_t status_d) { return (status_d & 0xc0) == 0x80; }
// The hours register in 12-hour mode: bit 7 is PM, the rest 1-12.
constexpr uint8_t kHoursPm = 0x80;

// Each poll is a port read, a microsecond or so on hardware and still a good fraction of one
// under emulation: this bounds the wait well past the ~2 ms UIP window.
constexpr int kMaxUpdatePolls = 1'000'000;
constexpr int kMaxReadAttempts = 10;
// Outside this, the century byte is taken for ordinary CMOS RAM and the 21st century assumed.
constexpr unsigned kMinCentury = 20, kMaxCentury = 29, kDefaultCentury = 20;

struct RawTime {
    uint8_t seconds, minutes, hours, day, month, year, century;
    bool operator==(const RawTime&) const = default;
};

Result<RawTime> read_raw_once() {
    int polls = 0;
    while (update_in_progress(read_register(Reg::StatusA))) {
        if (++polls == kMaxUpdatePolls) return Error::Timeout;
    }
    return RawTime{read_register(Reg::Seconds), read_register(Reg::Minutes),
                   read_register(Reg::Hours),   read_register(Reg::DayOfMonth),
                   read_register(Reg::Month),   read_register(Reg::Year),
                   read_register(Reg::Century)};
}

// Two consecutive reads that agree were not torn by an update that began after the UIP check.
Result<RawTime> read_raw_stable() {
    RawTime previous = TRY(read_raw_once());
    for (int attempt = 0; attempt < kMaxReadAttempts; ++attempt) {
        RawTime current = TRY(read_raw_once());
        if (current == previous) return current;
        previous = current;
    }
    return Error::Timeout;
}

// A register value in the clock's number format; false for a BCD byte with a digit above 9.
bool decode(uint8_t raw, bool binary, unsigned& out) {
    if (binary) {
        out = raw;
        return true;
    }
    unsigned high = raw >> 4, low = raw & 0x0f;
    if (high > 9 || low > 9) return false;
    out = high * 10 + low;
    return true;
}

}  // namespace

const char* device_name() { return "cmos"; }

Result<uint64_t> read_unix_seconds() {
    if (!device_present(read_register(Reg::StatusD))) return Error::NotFound;
    RawTime raw = TRY(read_raw_stable());
    uint8_t status_b = read_register(Reg::StatusB);
    bool binary = binary_mode(status_b);

    bool pm = !hours_24(status_b) && (raw.hours & kHoursPm);
    unsigned second, minute, hour, day, month, year, century;
    if (!decode(raw.seconds, binary, second) || !decode(raw.minutes, binary, minute) ||
        !decode(static_cast<uint8_t>(raw.hours & ~kHoursPm), binary, hour) ||
        !decode(raw.day, binary, day) || !decode(raw.month, binary, month) ||
        !decode(raw.year, binary, year) || year > 99)
        return Error::Malformed;
    if (!decode(raw.century, binary, century) || century < kMinCentury || century > kMaxCentury)
        century = kDefaultCentury;
    if (!hours_24(status_b)) {
        if (hour < 1 || hour > 12) return Error::Malformed;
        hour = hour % 12 + (pm ? 12 : 0);  // 12 AM is midnight, 12 PM noon
    }

    civil::DateTime time{century * 100 + year, month, day, hour, minute, second, 0};
    if (!civil::is_valid(time)) return Error::Malformed;
    return static_cast<uint64_t>(civil::to_unix_seconds(time));
}

}  // namespace coronet::arch::rtc
