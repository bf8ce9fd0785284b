// XXH3-128 (xxHash v0.8 family), used for block strong sums.
//
// Output is bit-identical to the reference xxHash 0.8.x XXH3_128bits /
// XXH3_128bits_withSeed, so digests can be checked against `xxhsum -H2`.
#ifndef DELTANODE_NATIVE_HASH_XXH3_H_
#define DELTANODE_NATIVE_HASH_XXH3_H_

#include <cstddef>
#include <cstdint>

namespace deltanode {

struct Hash128 {
  uint64_t low;
  uint64_t high;
};

inline bool operator==(const Hash128& a, const Hash128& b) noexcept {
  return a.low == b.low && a.high == b.high;
}
inline bool operator!=(const Hash128& a, const Hash128& b) noexcept {
  return !(a == b);
}

// `data` may be null when `length` is 0. Thread-safe; touches no global state.
Hash128 xxh3_128(const uint8_t* data, size_t length, uint64_t seed = 0) noexcept;

// 16 bytes, big-endian canonical form (high64 first): exactly the bytes whose
// hex `xxhsum -H2` prints.
void xxh3_128_canonical(const uint8_t* data, size_t length, uint8_t out[16],
                        uint64_t seed = 0) noexcept;

// Name of the long-input kernel selected at compile time: "avx2", "sse2" or
// "scalar". For diagnostics and benchmarks only.
const char* xxh3_128_backend() noexcept;

}  // namespace deltanode

#endif  // DELTANODE_NATIVE_HASH_XXH3_H_
