#pragma once
// Byte containers shared by every layer of the SSH core.
#include <cstddef>
#include <memory>
#include <string>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace ssh {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;
using MutableByteView = std::span<std::uint8_t>;

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_string(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Overwrites memory in a way the optimiser may not remove (secrets: keys, passwords).
void wipe(void* data, std::size_t size) noexcept;

// An allocator that wipes memory before giving it back, so secrets do not linger in freed heap.
template <typename T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() noexcept = default;
  template <typename U>
  WipingAllocator(const WipingAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept {
    wipe(p, n * sizeof(T));
    std::allocator<T>{}.deallocate(p, n);
  }
  template <typename U>
  bool operator==(const WipingAllocator<U>&) const noexcept { return true; }
};

// Bytes that hold a secret (session keys, shared secret, private keys, passphrases).
using SecretBytes = std::vector<std::uint8_t, WipingAllocator<std::uint8_t>>;
using SecretString = std::basic_string<char, std::char_traits<char>, WipingAllocator<char>>;

// Constant-time comparison for MACs and other secret-dependent equality checks.
bool equal_constant_time(ByteView a, ByteView b) noexcept;

}  // namespace ssh
