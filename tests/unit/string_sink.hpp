// A Sink that records what is written (and can be told to fail), for tests of gathered output.
#pragma once

#include <string>

#include "lib/output.hpp"

namespace coronet::testing {

struct StringSink : Sink {
    std::string data;
    int writes = 0;
    bool fail = false;
    Result<void> write_all(const void* bytes, size_t length) override {
        if (fail) return Error::Reset;
        ++writes;
        data.append(static_cast<const char*>(bytes), length);
        return {};
    }
};

}  // namespace coronet::testing
