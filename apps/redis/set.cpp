// Set members: allocation of the one-block members, removal, copies (COPY) and random picks.
#include "apps/redis/set.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include "apps/redis/clock.hpp"
#include "apps/redis/sampling.hpp"

namespace coronet::redis {
namespace {

std::string_view name_of(const HashIndex::Link* link) {
    return reinterpret_cast<const Set::Member*>(link)->name();
}

void free_member(HashIndex::Link* link, void*) { free(link); }

Set::Member* make_member(std::string_view name, uint64_t hash) {
    if (name.size() > UINT32_MAX) return nullptr;
    auto* member = static_cast<Set::Member*>(malloc(sizeof(Set::Member) + name.size()));
    if (!member) return nullptr;
    member->link = {nullptr, hash};
    member->length = static_cast<uint32_t>(name.size());
    std::memcpy(member->bytes, name.data(), name.size());
    return member;
}

}  // namespace

static_assert(offsetof(Set::Member, link) == 0, "a member is found from its link");

Set::Set() : m_index(name_of, random_u64()) {}

Set::~Set() { m_index.clear(free_member, nullptr); }

bool Set::release_some(size_t budget) { return m_index.clear_some(budget, free_member, nullptr); }

Result<bool> Set::add(std::string_view name) {
    uint64_t hash = m_index.hash(name);
    if (m_index.find(name, hash)) return false;
    Member* member = make_member(name, hash);
    if (!member) return Error::OutOfMemory;
    if (!m_index.insert(&member->link)) {
        free(member);
        return Error::OutOfMemory;
    }
    return true;
}

Set::Member* Set::take(std::string_view name) {
    HashIndex::Link* link = m_index.find(name);
    if (link) m_index.remove(link);
    return member_of(link);
}

bool Set::remove(std::string_view name) {
    Member* member = take(name);
    release(member);
    return member != nullptr;
}

Set::Member* Set::take_random() {
    HashIndex::Link* link = m_index.sample(random_u64());
    if (link) m_index.remove(link);
    return member_of(link);
}

void Set::release(Member* member) { free(member); }

void Set::move_to(Set& other) { m_index.move_to(other.m_index); }

Collection* Set::clone() const {
    auto* copy = new (std::nothrow) Set;
    if (!copy) return nullptr;
    bool failed = false;
    for_each([&](const Member* member) {
        if (failed) return;
        Member* twin = make_member(member->name(), copy->m_index.hash(member->name()));
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

const Set::Member* Set::random() const { return member_of(m_index.sample(random_u64())); }

bool Set::random_distinct(const Member** out, size_t count) const {
    return pick_distinct(m_index, out, count);
}

uint64_t Set::scan(uint64_t cursor, void (*visit)(const Member*, void*), void* context) const {
    struct Walk {
        void (*visit)(const Member*, void*);
        void* context;
    } walk{visit, context};
    return m_index.scan(
        cursor,
        [](HashIndex::Link* link, void* c) {
            auto* w = static_cast<Walk*>(c);
            w->visit(member_of(link), w->context);
        },
        &walk);
}

}  // namespace coronet::redis
