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

// `data` may be null when `length` is 0. Thread-safe; the only global state
// is the kernel choice, made once.
Hash128 xxh3_128(const uint8_t* data, size_t length, uint64_t seed = 0) noexcept;

// 16 bytes, big-endian canonical form (high64 first): exactly the bytes whose
// hex `xxhsum -H2` prints.
void xxh3_128_canonical(const uint8_t* data, size_t length, uint8_t out[16],
                        uint64_t seed = 0) noexcept;

// Name of the long-input (> 240 bytes) kernel chosen at run time for this
// CPU: "avx512", "avx2", "sse2" or "scalar". The environment variable
// DELTANODE_SIMD can cap the choice (see cpu_features.h). For diagnostics
// and benchmarks only.
const char* xxh3_128_backend() noexcept;

// Every long-input kernel this build and CPU can run, best first, ending
// with "scalar", then a null pointer.
const char* const* xxh3_128_backends() noexcept;

// xxh3_128() computed with the named long-input kernel instead of the one
// chosen for the process; for tests and benchmarks (results never depend on
// the kernel). Returns false, leaving *out alone, when this build or CPU
// cannot run it.
bool xxh3_128_with_backend(const char* backend, const uint8_t* data,
                           size_t length, uint64_t seed,
                           Hash128* out) noexcept;

}  // namespace deltanode

#endif  // DELTANODE_NATIVE_HASH_XXH3_H_
