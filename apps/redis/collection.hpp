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
    // Frees up to `budget` elements; true once none is left (then delete it at once). A big
    // collection deleted with its key is freed this way, a slice at a time, by the lazy-free
    // coroutine: deleting a million members must not hold the reactor. (A type that does not
    // free in slices is deleted whole.)
    virtual bool release_some(size_t budget) {
        (void)budget;
        return true;
    }
};

}  // namespace coronet::redis
