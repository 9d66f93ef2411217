// A hash value: fields in a HashIndex keyed by name, each field one heap block holding its
// link, both lengths, the name and the value. Replacing a value re-allocates just that field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "apps/redis/collection.hpp"
#include "lib/hash_index.hpp"
#include "lib/result.hpp"

namespace coronet::redis {

class Hash final : public Collection {
public:
    struct Field {
        HashIndex::Link link;
        uint32_t name_length;
        uint32_t value_length;
        char bytes[];  // the name, then the value

        std::string_view name() const { return {bytes, name_length}; }
        std::string_view value() const { return {bytes + name_length, value_length}; }
    };

    Hash();
    ~Hash() override;
    bool release_some(size_t budget) override;
    Hash(const Hash&) = delete;
    Hash& operator=(const Hash&) = delete;

    size_t size() const override { return m_index.size(); }
    Collection* clone() const override;

    Field* find(std::string_view name) { return field_of(m_index.find(name)); }
    // Adds the field or replaces its value: true when it was added. Fails only for memory (or
    // a name or value past 4 GiB).
    Result<bool> set(std::string_view name, std::string_view value);
    bool remove(std::string_view name);

    // A field chosen at random (nullptr when empty).
    const Field* random() const;
    // `count` distinct fields (count < size()) at random into `out`; false when out of memory.
    bool random_distinct(const Field** out, size_t count) const;

    // Calls visit(const Field*) on every field; nothing may be added or removed meanwhile.
    template <typename Visit>
    void for_each(Visit&& visit) const {
        using V = std::remove_reference_t<Visit>;
        uint64_t cursor = 0;
        do {
            cursor = m_index.scan(
                cursor,
                [](HashIndex::Link* link, void* context) {
                    (*static_cast<V*>(context))(field_of(link));
                },
                &visit);
        } while (cursor != 0);
    }
    // One step of HSCAN: visits some fields, returns the next cursor (0: done).
    uint64_t scan(uint64_t cursor, void (*visit)(const Field*, void*), void* context) const;

private:
    static Field* field_of(HashIndex::Link* link) { return reinterpret_cast<Field*>(link); }
    Field* make_field(std::string_view name, std::string_view value, uint64_t hash) const;

    // Walking and sampling leave the contents as they are; only lookups advance a rehash.
    mutable HashIndex m_index;
};

}  // namespace coronet::redis
