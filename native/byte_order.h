// Explicit-endian loads and stores: formats and hash algorithms are defined byte by byte, never
// by host order. memcpy keeps unaligned access legal; compilers turn each into one instruction.
#pragma once
#include <cstdint>
#include <cstring>

namespace deltanode {

namespace detail {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
constexpr bool kHostLittleEndian = false;
#else
constexpr bool kHostLittleEndian = true;
#endif
inline uint16_t swap(uint16_t v) noexcept { return uint16_t(v >> 8 | v << 8); }
inline uint32_t swap(uint32_t v) noexcept { return __builtin_bswap32(v); }
inline uint64_t swap(uint64_t v) noexcept { return __builtin_bswap64(v); }

template <class T, bool Little>
inline T load(const uint8_t* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof v);
  return Little == kHostLittleEndian ? v : swap(v);
}
template <class T, bool Little>
inline void store(uint8_t* p, T v) noexcept {
  if (Little != kHostLittleEndian) v = swap(v);
  std::memcpy(p, &v, sizeof v);
}
}  // namespace detail

inline uint16_t load_u16_le(const uint8_t* p) noexcept { return detail::load<uint16_t, true>(p); }
inline uint32_t load_u32_le(const uint8_t* p) noexcept { return detail::load<uint32_t, true>(p); }
inline uint64_t load_u64_le(const uint8_t* p) noexcept { return detail::load<uint64_t, true>(p); }
inline uint32_t load_u32_be(const uint8_t* p) noexcept { return detail::load<uint32_t, false>(p); }
inline void store_u16_le(uint8_t* p, uint16_t v) noexcept { detail::store<uint16_t, true>(p, v); }
inline void store_u32_le(uint8_t* p, uint32_t v) noexcept { detail::store<uint32_t, true>(p, v); }
inline void store_u64_le(uint8_t* p, uint64_t v) noexcept { detail::store<uint64_t, true>(p, v); }
inline void store_u32_be(uint8_t* p, uint32_t v) noexcept { detail::store<uint32_t, false>(p, v); }
inline void store_u64_be(uint8_t* p, uint64_t v) noexcept { detail::store<uint64_t, false>(p, v); }

// Big-endian integers of 1..8 bytes (librsync's variable-width command arguments).
inline uint64_t load_be(const uint8_t* p, unsigned width) noexcept {
  uint64_t value = 0;
  for (unsigned i = 0; i < width; ++i) value = value << 8 | p[i];
  return value;
}
inline void store_be(uint8_t* p, uint64_t v, unsigned width) noexcept {
  for (unsigned i = 0; i < width; ++i) p[i] = uint8_t(v >> (8 * (width - 1 - i)));
}

}  // namespace deltanode
