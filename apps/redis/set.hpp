// A set value: members in a HashIndex, each member one heap block holding its link, length and
// bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "apps/redis/collection.hpp"
#include "lib/hash_index.hpp"
#include "lib/result.hpp"

namespace coronet::redis {

class Set final : public Collection {
public:
    struct Member {
        HashIndex::Link link;
        uint32_t length;
        char bytes[];

        std::string_view name() const { return {bytes, length}; }
    };

    Set();
    ~Set() override;
    bool release_some(size_t budget) override;
    Set(const Set&) = delete;
    Set& operator=(const Set&) = delete;

    size_t size() const override { return m_index.size(); }
    Collection* clone() const override;

    bool contains(std::string_view name) { return m_index.find(name) != nullptr; }
    // Adds a member: true when it was not there. Fails only for memory (or a member past 4 GiB).
    Result<bool> add(std::string_view name);
    bool remove(std::string_view name);

    // Takes a member out (nullptr when absent); the caller frees it with release().
    Member* take(std::string_view name);
    // A member at random taken out (nullptr when empty), for SPOP; free it with release().
    Member* take_random();
    static void release(Member* member);
    // Hands every member to `other`, which must be empty; this set is left empty.
    void move_to(Set& other);

    // A member chosen at random (nullptr when empty).
    const Member* random() const;
    // `count` distinct members (count < size()) at random into `out`; false when out of memory.
    bool random_distinct(const Member** out, size_t count) const;

    // Calls visit(const Member*) on every member; nothing may be added or removed meanwhile.
    template <typename Visit>
    void for_each(Visit&& visit) const {
        using V = std::remove_reference_t<Visit>;
        uint64_t cursor = 0;
        do {
            cursor = m_index.scan(
                cursor,
                [](HashIndex::Link* link, void* context) {
                    (*static_cast<V*>(context))(member_of(link));
                },
                &visit);
        } while (cursor != 0);
    }
    // One step of SSCAN: visits some members, returns the next cursor (0: done).
    uint64_t scan(uint64_t cursor, void (*visit)(const Member*, void*), void* context) const;

private:
    static Member* member_of(HashIndex::Link* link) { return reinterpret_cast<Member*>(link); }

    // Walking and sampling leave the contents as they are; only lookups advance a rehash.
    mutable HashIndex m_index;
};

}  // namespace coronet::redis
