// The board an image was linked for (boards/<name>/board.cpp defines it).
#pragma once

namespace coronet {

struct Board {
    const char* name;
    const char* summary;
    bool pci_port_io;  // PCI configuration space through ports 0xCF8/0xCFC (PC-class machines)
};

extern const Board kBoard;

}  // namespace coronet
