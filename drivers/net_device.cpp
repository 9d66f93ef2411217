// The registry of network devices drivers found at boot.
#include "drivers/net_device.hpp"

#include "kernel/log.hpp"

namespace coronet::drivers {
namespace {

constexpr size_t kMaxDevices = 4;

NetDevice* g_devices[kMaxDevices];
size_t g_device_count = 0;

}  // namespace

void register_device(NetDevice& device) {
    if (g_device_count == kMaxDevices) {
        LOG_WARN("net: %s not registered: at most %zu network devices", device.name(), kMaxDevices);
        return;
    }
    g_devices[g_device_count++] = &device;
}

size_t device_count() { return g_device_count; }

NetDevice* device(size_t index) { return index < g_device_count ? g_devices[index] : nullptr; }

}  // namespace coronet::drivers
