// LEB128 varints for the native delta format.
#pragma once
#include <cstddef>
#include <cstdint>

namespace deltanode {

constexpr size_t kMaxVarintLength = 10;
constexpr uint8_t kNativeOpEnd = 0x00;
constexpr uint8_t kNativeOpLiteral = 0x01;
constexpr uint8_t kNativeOpCopy = 0x02;

inline size_t put_varint(uint8_t* out, uint64_t value) noexcept {
  size_t n = 0;
  while (value >= 0x80) {
    out[n++] = uint8_t(value | 0x80);
    value >>= 7;
  }
  out[n++] = uint8_t(value);
  return n;
}

inline uint64_t zigzag(int64_t v) noexcept { return (uint64_t(v) << 1) ^ uint64_t(v >> 63); }
inline int64_t unzigzag(uint64_t v) noexcept { return int64_t(v >> 1) ^ -int64_t(v & 1); }

enum class VarintStatus { Ok, NeedMore, Malformed };

// Decodes from [data, data + length). Rejects encodings longer than 10 bytes, bits beyond 64 and
// non-minimal trailing zero bytes, so every value has exactly one encoding.
inline VarintStatus get_varint(const uint8_t* data, size_t length, uint64_t& value, size_t& used) noexcept {
  uint64_t result = 0;
  for (size_t i = 0; i < kMaxVarintLength; ++i) {
    if (i >= length) return VarintStatus::NeedMore;
    uint8_t byte = data[i];
    if (i == 9 && byte > 1) return VarintStatus::Malformed;
    result |= uint64_t(byte & 0x7f) << (7 * i);
    if (!(byte & 0x80)) {
      if (byte == 0 && i > 0) return VarintStatus::Malformed;
      value = result;
      used = i + 1;
      return VarintStatus::Ok;
    }
  }
  return VarintStatus::Malformed;
}

}  // namespace deltanode
