// Hash fields: allocation of the one-block fields, replacement of values, copies (COPY) and
// random picks.
#include "apps/redis/hash.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include "apps/redis/clock.hpp"
#include "apps/redis/sampling.hpp"

namespace coronet::redis {
namespace {

std::string_view name_of(const HashIndex::Link* link) {
    return reinterpret_cast<const Hash::Field*>(link)->name();
}

void free_field(HashIndex::Link* link, void*) { free(link); }

}  // namespace

static_assert(offsetof(Hash::Field, link) == 0, "a field is found from its link");

Hash::Hash() : m_index(name_of, random_u64()) {}

Hash::~Hash() { m_index.clear(free_field, nullptr); }

bool Hash::release_some(size_t budget) { return m_index.clear_some(budget, free_field, nullptr); }

Hash::Field* Hash::make_field(std::string_view name, std::string_view value, uint64_t hash) const {
    if (name.size() > UINT32_MAX || value.size() > UINT32_MAX) return nullptr;
    auto* field = static_cast<Field*>(malloc(sizeof(Field) + name.size() + value.size()));
    if (!field) return nullptr;
    field->link = {nullptr, hash};
    field->name_length = static_cast<uint32_t>(name.size());
    field->value_length = static_cast<uint32_t>(value.size());
    std::memcpy(field->bytes, name.data(), name.size());
    std::memcpy(field->bytes + name.size(), value.data(), value.size());
    return field;
}

Result<bool> Hash::set(std::string_view name, std::string_view value) {
    uint64_t hash = m_index.hash(name);
    Field* old = field_of(m_index.find(name, hash));
    if (old && old->value_length == value.size()) {
        std::memcpy(old->bytes + old->name_length, value.data(), value.size());
        return false;
    }
    Field* field = make_field(name, value, hash);
    if (!field) return Error::OutOfMemory;
    if (old) {
        m_index.replace(&old->link, &field->link);
        free(old);
        return false;
    }
    if (!m_index.insert(&field->link)) {
        free(field);
        return Error::OutOfMemory;
    }
    return true;
}

bool Hash::remove(std::string_view name) {
    Field* field = find(name);
    if (!field) return false;
    m_index.remove(&field->link);
    free(field);
    return true;
}

Collection* Hash::clone() const {
    auto* copy = new (std::nothrow) Hash;
    if (!copy) return nullptr;
    bool failed = false;
    for_each([&](const Field* field) {
        if (failed) return;
        Field* twin =
            copy->make_field(field->name(), field->value(), copy->m_index.hash(field->name()));
        if (!twin || !copy->m_index.insert(&twin->link)) {
            free(twin);
            failed = true;
        }
    });
    if (failed) {
        delete copy;
        return nullptr;
    }
    return copy;
}

const Hash::Field* Hash::random() const { return field_of(m_index.sample(random_u64())); }

bool Hash::random_distinct(const Field** out, size_t count) const {
    return pick_distinct(m_index, out, count);
}

uint64_t Hash::scan(uint64_t cursor, void (*visit)(const Field*, void*), void* context) const {
    struct Walk {
        void (*visit)(const Field*, void*);
        void* context;
    } walk{visit, context};
    return m_index.scan(
        cursor,
        [](HashIndex::Link* link, void* c) {
            auto* w = static_cast<Walk*>(c);
            w->visit(field_of(link), w->context);
        },
        &walk);
}

}  // namespace coronet::redis
