// Transport-independent steps of virtio device initialization (virtio 1.2, 3.1.1).
#include "drivers/virtio/transport.hpp"

namespace coronet::virtio {

const char* device_type_name(uint32_t type) {
    switch (type) {
    case 1: return "net";
    case 2: return "block";
    case 3: return "console";
    case 4: return "entropy";
    case 5: return "balloon";
    case 8: return "scsi";
    case 9: return "9p";
    case 16: return "gpu";
    case 18: return "input";
    case 19: return "vsock";
    default: return "unknown";
    }
}

Result<uint64_t> negotiate_features(Transport& transport, uint64_t wanted, uint64_t required) {
    transport.reset();
    transport.set_status(kStatusAcknowledge);
    transport.set_status(kStatusAcknowledge | kStatusDriver);
    uint64_t offered = transport.device_features();
    if ((offered & required) != required) {
        fail_device(transport);
        return Error::Unsupported;
    }
    uint64_t accepted = offered & (wanted | required);
    transport.set_driver_features(accepted);
    transport.set_status(kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk);
    // The device clears FEATURES_OK if it cannot work with this subset (3.1.1 step 6).
    if (!(transport.status() & kStatusFeaturesOk)) {
        fail_device(transport);
        return Error::Unsupported;
    }
    return accepted;
}

void fail_device(Transport& transport) {
    transport.set_status(static_cast<uint8_t>(transport.status() | kStatusFailed));
}

}  // namespace coronet::virtio
