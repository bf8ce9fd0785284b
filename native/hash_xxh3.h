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

// Streaming XXH3-128 (seed 0): digest() equals xxh3_128() of everything given to update(), however
// it was split. Used for whole-file digests, where the input never sits in memory at once.
class Xxh3Stream {
 public:
  Xxh3Stream() noexcept { reset(); }
  void reset() noexcept;
  void update(const uint8_t* data, size_t length) noexcept;
  Hash128 digest() const noexcept;
  // The 16 bytes `xxhsum -H2` prints, as in xxh3_128_canonical().
  void canonical(uint8_t out[16]) const noexcept;

 private:
  static constexpr size_t kBlock = 1024;
  static constexpr size_t kStripe = 64;
  alignas(64) uint64_t acc_[8];
  // The last block is hashed differently, so a block is consumed only once a byte follows it.
  alignas(64) uint8_t pending_[kBlock];
  uint8_t previous_[kStripe];  // the end of the last consumed block: the final stripe may reach into it
  size_t pendingLength_ = 0;
  uint64_t total_ = 0;
};

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
