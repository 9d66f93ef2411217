// The board an image was linked for (boards/<name>/board.cpp defines it).
#pragma once

namespace coronet {

struct Board {
    const char* name;
    const char* summary;
};

extern const Board kBoard;

}  // namespace coronet
