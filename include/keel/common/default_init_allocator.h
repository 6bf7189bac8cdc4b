// An allocator whose value-less construct() default-initializes, so
// std::vector<uint8_t, DefaultInitAllocator<uint8_t>>(n) allocates n bytes
// without zeroing them. For buffers that are filled right away (a request
// frame read from a socket): zeroing a 1 MiB frame first costs a memset and
// the page faults of touching it twice.
//
// Everything else (copies, resize with a value, ...) behaves as
// std::allocator.
#pragma once

#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace keel {

template <typename T>
class DefaultInitAllocator : public std::allocator<T> {
 public:
  using value_type = T;
  template <typename U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };

  DefaultInitAllocator() noexcept = default;
  template <typename U>
  DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}

  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    std::allocator_traits<std::allocator<T>>::construct(static_cast<std::allocator<T>&>(*this), p,
                                                         std::forward<Args>(args)...);
  }
};

// Bytes that need not be zeroed on allocation.
using UninitBytes = std::vector<uint8_t, DefaultInitAllocator<uint8_t>>;

}  // namespace keel
