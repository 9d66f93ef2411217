// The C++ runtime the compiler and libstdc++'s headers expect: new/delete over malloc, pure
// virtual and std::__throw_* as panics (no exceptions in the kernel), global constructors.
#include <cstddef>
#include <cstdlib>
#include <new>

#include "kernel/cxx_runtime.hpp"
#include "kernel/panic.hpp"
#include "lib/align.hpp"

extern "C" void (*__init_array_start[])();
extern "C" void (*__init_array_end[])();

namespace coronet {

void run_global_constructors() {
    for (auto* ctor = __init_array_start; ctor != __init_array_end; ++ctor) (*ctor)();
}

}  // namespace coronet

namespace {

void* allocate_or_panic(size_t size) {
    void* p = malloc(size ? size : 1);
    if (!p) coronet::panic("operator new: out of memory (%zu bytes)", size);
    return p;
}

void* allocate_aligned_or_panic(size_t size, std::align_val_t align) {
    // aligned_alloc wants a size that is a multiple of the alignment.
    void* p = aligned_alloc(static_cast<size_t>(align),
                            coronet::align_up(size, static_cast<size_t>(align)));
    if (!p) coronet::panic("operator new: out of memory (%zu bytes)", size);
    return p;
}

}  // namespace

void* operator new(size_t size) { return allocate_or_panic(size); }
void* operator new[](size_t size) { return allocate_or_panic(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept { return malloc(size ? size : 1); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
    return malloc(size ? size : 1);
}
void* operator new(size_t size, std::align_val_t align) {
    return allocate_aligned_or_panic(size, align);
}
void* operator new[](size_t size, std::align_val_t align) {
    return allocate_aligned_or_panic(size, align);
}
void operator delete(void* p) noexcept { free(p); }
void operator delete[](void* p) noexcept { free(p); }
void operator delete(void* p, size_t) noexcept { free(p); }
void operator delete[](void* p, size_t) noexcept { free(p); }
void operator delete(void* p, std::align_val_t) noexcept { free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { free(p); }

extern "C" void __cxa_pure_virtual() { coronet::panic("pure virtual function called"); }

namespace std {
const nothrow_t nothrow{};
void __throw_bad_alloc() { coronet::panic("std::bad_alloc"); }
void __throw_bad_array_new_length() { coronet::panic("std::bad_array_new_length"); }
void __throw_length_error(const char* what) { coronet::panic("std::length_error: %s", what); }
void __throw_out_of_range(const char* what) { coronet::panic("std::out_of_range: %s", what); }
void __throw_out_of_range_fmt(const char* what, ...) {
    coronet::panic("std::out_of_range: %s", what);
}
void __throw_invalid_argument(const char* what) {
    coronet::panic("std::invalid_argument: %s", what);
}
void __throw_logic_error(const char* what) { coronet::panic("std::logic_error: %s", what); }
void __throw_bad_function_call() { coronet::panic("std::bad_function_call"); }
void __throw_bad_optional_access() { coronet::panic("std::bad_optional_access"); }
void __throw_bad_variant_access(const char* what) {
    coronet::panic("std::bad_variant_access: %s", what);
}
}  // namespace std
