// Explicit-endian loads and stores: file formats are defined byte by byte, never by host order.
#pragma once
#include <cstdint>
#include <cstring>

namespace deltanode {

inline uint32_t load_u32_le(const uint8_t* p) noexcept {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline uint16_t load_u16_le(const uint8_t* p) noexcept { return uint16_t(p[0] | p[1] << 8); }
inline uint64_t load_u64_le(const uint8_t* p) noexcept {
  return uint64_t(load_u32_le(p)) | uint64_t(load_u32_le(p + 4)) << 32;
}
inline uint32_t load_u32_be(const uint8_t* p) noexcept {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}
inline uint64_t load_be(const uint8_t* p, unsigned width) noexcept {
  uint64_t value = 0;
  for (unsigned i = 0; i < width; ++i) value = value << 8 | p[i];
  return value;
}

inline void store_u16_le(uint8_t* p, uint16_t v) noexcept { p[0] = uint8_t(v); p[1] = uint8_t(v >> 8); }
inline void store_u32_le(uint8_t* p, uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}
inline void store_u64_le(uint8_t* p, uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * i));
}
inline void store_u32_be(uint8_t* p, uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (24 - 8 * i));
}
inline void store_be(uint8_t* p, uint64_t v, unsigned width) noexcept {
  for (unsigned i = 0; i < width; ++i) p[i] = uint8_t(v >> (8 * (width - 1 - i)));
}

}  // namespace deltanode
