// The value of a key that is not a string: a list, hash or set. The keyspace owns it through
// its entry and deletes it with the entry.
#pragma once

#include <cstddef>

namespace coronet::redis {

class Collection {
public:
    virtual ~Collection() = default;
    // Elements (list items, hash fields, set members).
    virtual size_t size() const = 0;
    // A deep copy (COPY), or nullptr when memory runs out.
    virtual Collection* clone() const = 0;
};

}  // namespace coronet::redis
