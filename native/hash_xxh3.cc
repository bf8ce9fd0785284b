// XXH3-128, implemented from the published xxHash specification
// (doc/xxhash_spec.md, "XXH3 Algorithm Description"). Must stay bit-exact
// with xxHash 0.8.x: digests are persisted and compared across machines.
//
// Build knobs:
//   DELTANODE_XXH3_PORTABLE  disable SIMD and __int128, for testing the
//                            fallbacks on a machine that has both.
// Otherwise the long-input kernel (SSE2, AVX2 or AVX-512 where the compiler
// can build them; see cpu_features.h) is chosen at run time.
#include "hash_xxh3.h"
#include "byte_order.h"
#include "cpu_features.h"

#include <cstring>

#if !defined(DELTANODE_XXH3_PORTABLE)
#if DN_SIMD_SSE2
#define DELTANODE_XXH3_USE_SSE2 1
#endif
#if DN_SIMD_AVX2
#define DELTANODE_XXH3_USE_AVX2 1
#endif
#if DN_SIMD_AVX512
#define DELTANODE_XXH3_USE_AVX512 1
#endif
#endif

#if defined(__GNUC__) || defined(__clang__)
#define DELTANODE_XXH3_INLINE inline __attribute__((always_inline))
#else
#define DELTANODE_XXH3_INLINE inline
#endif

namespace deltanode {
namespace {

constexpr uint64_t kPrime32_1 = 0x9E3779B1U;
constexpr uint64_t kPrime32_2 = 0x85EBCA77U;
constexpr uint64_t kPrime32_3 = 0xC2B2AE3DU;
constexpr uint64_t kPrime64_1 = 0x9E3779B185EBCA87ULL;
constexpr uint64_t kPrime64_2 = 0xC2B2AE3D27D4EB4FULL;
constexpr uint64_t kPrime64_3 = 0x165667B19E3779F9ULL;
constexpr uint64_t kPrime64_4 = 0x85EBCA77C2B2AE63ULL;
constexpr uint64_t kPrime64_5 = 0x27D4EB2F165667C5ULL;
constexpr uint64_t kPrimeMx1 = 0x165667919E3779F9ULL;
constexpr uint64_t kPrimeMx2 = 0x9FB21C651E98DF25ULL;

// Geometry of the long-input path for the 192-byte default secret. A seeded
// hash derives a secret of the same size, so these never vary.
constexpr size_t kSecretSize = 192;
constexpr size_t kStripeLen = 64;
constexpr size_t kSecretAdvance = 8;  // secret offset step between stripes
constexpr size_t kStripesPerBlock = (kSecretSize - kStripeLen) / kSecretAdvance;
constexpr size_t kBlockLen = kStripeLen * kStripesPerBlock;
constexpr size_t kMidSizeMax = 240;
static_assert(kStripesPerBlock == 16 && kBlockLen == 1024,
              "default-secret geometry");

// The specification's default secret (a fixed, public constant).
alignas(64) constexpr uint8_t kDefaultSecret[kSecretSize] = {
    0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c,
    0xf7, 0x21, 0xad, 0x1c, 0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb,
    0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f, 0xcb, 0x79, 0xe6, 0x4e,
    0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
    0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6,
    0x81, 0x3a, 0x26, 0x4c, 0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb,
    0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3, 0x71, 0x64, 0x48, 0x97,
    0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
    0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7,
    0xc7, 0x0b, 0x4f, 0x1d, 0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31,
    0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64, 0xea, 0xc5, 0xac, 0x83,
    0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
    0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26,
    0x29, 0xd4, 0x68, 0x9e, 0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc,
    0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce, 0x45, 0xcb, 0x3a, 0x8f,
    0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e,
};

// ---------------------------------------------------------------------------
// Byte-level primitives


DELTANODE_XXH3_INLINE uint32_t byte_swap32(uint32_t x) {
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_bswap32(x);
#else
  return ((x & 0x000000FFU) << 24) | ((x & 0x0000FF00U) << 8) |
         ((x & 0x00FF0000U) >> 8) | ((x & 0xFF000000U) >> 24);
#endif
}

DELTANODE_XXH3_INLINE uint64_t byte_swap64(uint64_t x) {
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_bswap64(x);
#else
  return (static_cast<uint64_t>(byte_swap32(static_cast<uint32_t>(x))) << 32) |
         byte_swap32(static_cast<uint32_t>(x >> 32));
#endif
}

// The algorithm is defined on little-endian words regardless of host order.




DELTANODE_XXH3_INLINE uint32_t rotl32(uint32_t x, unsigned r) {
  return (x << r) | (x >> (32 - r));
}

struct Product128 {
  uint64_t lo;
  uint64_t hi;
};

// Full 64x64 -> 128-bit product.
DELTANODE_XXH3_INLINE Product128 multiply_wide(uint64_t a, uint64_t b) {
#if defined(__SIZEOF_INT128__) && !defined(DELTANODE_XXH3_PORTABLE)
  __extension__ typedef unsigned __int128 wide_t;
  const wide_t p = static_cast<wide_t>(a) * b;
  return {static_cast<uint64_t>(p), static_cast<uint64_t>(p >> 64)};
#else
  // Schoolbook on 32-bit halves. `middle` cannot overflow: its three terms
  // sum to at most 2^64 - 1.
  const uint64_t a_lo = a & 0xFFFFFFFFU, a_hi = a >> 32;
  const uint64_t b_lo = b & 0xFFFFFFFFU, b_hi = b >> 32;
  const uint64_t ll = a_lo * b_lo;
  const uint64_t hl = a_hi * b_lo;
  const uint64_t lh = a_lo * b_hi;
  const uint64_t hh = a_hi * b_hi;
  const uint64_t middle = (ll >> 32) + (hl & 0xFFFFFFFFU) + lh;
  return {(middle << 32) | (ll & 0xFFFFFFFFU), hh + (hl >> 32) + (middle >> 32)};
#endif
}

DELTANODE_XXH3_INLINE uint64_t multiply_fold(uint64_t a, uint64_t b) {
  const Product128 p = multiply_wide(a, b);
  return p.lo ^ p.hi;
}

// Finalizer borrowed from XXH64 (used by the 0..3-byte cases).
DELTANODE_XXH3_INLINE uint64_t avalanche_xxh64(uint64_t x) {
  x ^= x >> 33;
  x *= kPrime64_2;
  x ^= x >> 29;
  x *= kPrime64_3;
  x ^= x >> 32;
  return x;
}

// XXH3's own, cheaper finalizer.
DELTANODE_XXH3_INLINE uint64_t avalanche_xxh3(uint64_t x) {
  x ^= x >> 37;
  x *= kPrimeMx1;
  x ^= x >> 32;
  return x;
}

// ---------------------------------------------------------------------------
// 0..16 bytes: a handful of words, no loops. Always uses the default secret.

Hash128 hash_empty(uint64_t seed) {
  const uint8_t* s = kDefaultSecret;
  return {avalanche_xxh64(seed ^ load_u64_le(s + 64) ^ load_u64_le(s + 72)),
          avalanche_xxh64(seed ^ load_u64_le(s + 80) ^ load_u64_le(s + 88))};
}

Hash128 hash_1to3(const uint8_t* p, size_t len, uint64_t seed) {
  const uint8_t* s = kDefaultSecret;
  // Packs first, middle and last byte with the length, so all of 1..3 bytes
  // land in one word without branching on len.
  const uint32_t packed = (static_cast<uint32_t>(p[0]) << 16) |
                          (static_cast<uint32_t>(p[len >> 1]) << 24) |
                          static_cast<uint32_t>(p[len - 1]) |
                          (static_cast<uint32_t>(len) << 8);
  const uint32_t packed_high = rotl32(byte_swap32(packed), 13);
  const uint64_t key_low =
      static_cast<uint64_t>(load_u32_le(s) ^ load_u32_le(s + 4)) + seed;
  const uint64_t key_high =
      static_cast<uint64_t>(load_u32_le(s + 8) ^ load_u32_le(s + 12)) - seed;
  return {avalanche_xxh64(packed ^ key_low),
          avalanche_xxh64(packed_high ^ key_high)};
}

Hash128 hash_4to8(const uint8_t* p, size_t len, uint64_t seed) {
  const uint8_t* s = kDefaultSecret;
  seed ^= static_cast<uint64_t>(byte_swap32(static_cast<uint32_t>(seed))) << 32;
  // First and last 4 bytes overlap for len < 8; that is intended.
  const uint64_t input = static_cast<uint64_t>(load_u32_le(p)) |
                         (static_cast<uint64_t>(load_u32_le(p + len - 4)) << 32);
  const uint64_t key = (load_u64_le(s + 16) ^ load_u64_le(s + 24)) + seed;
  Product128 m = multiply_wide(input ^ key, kPrime64_1 + (len << 2));
  m.hi += m.lo << 1;
  m.lo ^= m.hi >> 3;
  m.lo ^= m.lo >> 35;
  m.lo *= kPrimeMx2;
  m.lo ^= m.lo >> 28;
  return {m.lo, avalanche_xxh3(m.hi)};
}

Hash128 hash_9to16(const uint8_t* p, size_t len, uint64_t seed) {
  const uint8_t* s = kDefaultSecret;
  const uint64_t key_low = (load_u64_le(s + 32) ^ load_u64_le(s + 40)) - seed;
  const uint64_t key_high = (load_u64_le(s + 48) ^ load_u64_le(s + 56)) + seed;
  // First and last 8 bytes overlap for len < 16; that is intended.
  const uint64_t first = load_u64_le(p);
  const uint64_t last = load_u64_le(p + len - 8);
  Product128 m = multiply_wide(first ^ last ^ key_low, kPrime64_1);
  m.lo += static_cast<uint64_t>(len - 1) << 54;
  // Spec form: hi(v) << 32 + lo32(v) * kPrime32_2. Rewritten as
  // v + lo32(v) * (kPrime32_2 - 1), which needs one 32x32 multiply only.
  const uint64_t v = last ^ key_high;
  m.hi += v + (v & 0xFFFFFFFFU) * (kPrime32_2 - 1);
  m.lo ^= byte_swap64(m.hi);
  // 128 x 64 -> 128 multiply of {lo, hi} by kPrime64_2.
  Product128 r = multiply_wide(m.lo, kPrime64_2);
  r.hi += m.hi * kPrime64_2;
  return {avalanche_xxh3(r.lo), avalanche_xxh3(r.hi)};
}

Hash128 hash_0to16(const uint8_t* p, size_t len, uint64_t seed) {
  if (len > 8) return hash_9to16(p, len, seed);
  if (len >= 4) return hash_4to8(p, len, seed);
  if (len > 0) return hash_1to3(p, len, seed);
  return hash_empty(seed);
}

// ---------------------------------------------------------------------------
// 17..240 bytes: two 64-bit lanes fed 32 bytes at a time.

DELTANODE_XXH3_INLINE uint64_t mix16(const uint8_t* in, const uint8_t* s,
                                     uint64_t seed) {
  return multiply_fold(load_u64_le(in) ^ (load_u64_le(s) + seed),
                       load_u64_le(in + 8) ^ (load_u64_le(s + 8) - seed));
}

struct MidState {
  uint64_t a;
  uint64_t b;
};

// Each lane also absorbs the raw sum of the *other* chunk, so a chunk whose
// mix16 product is zero still influences the result.
DELTANODE_XXH3_INLINE void mix32(MidState& st, const uint8_t* in1,
                                 const uint8_t* in2, const uint8_t* s,
                                 uint64_t seed) {
  st.a += mix16(in1, s, seed);
  st.a ^= load_u64_le(in2) + load_u64_le(in2 + 8);
  st.b += mix16(in2, s + 16, seed);
  st.b ^= load_u64_le(in1) + load_u64_le(in1 + 8);
}

DELTANODE_XXH3_INLINE Hash128 finish_mid(const MidState& st, size_t len,
                                         uint64_t seed) {
  const uint64_t low = st.a + st.b;
  const uint64_t high = st.a * kPrime64_1 + st.b * kPrime64_4 +
                        (static_cast<uint64_t>(len) - seed) * kPrime64_2;
  return {avalanche_xxh3(low), 0 - avalanche_xxh3(high)};
}

Hash128 hash_17to128(const uint8_t* p, size_t len, uint64_t seed) {
  const uint8_t* s = kDefaultSecret;
  MidState st{static_cast<uint64_t>(len) * kPrime64_1, 0};
  // Pairs chunks from the front and back, innermost pair first; the pairs
  // overlap when len is not a multiple of 32.
  const size_t rounds = ((len - 1) >> 5) + 1;
  for (size_t i = rounds; i-- > 0;) {
    mix32(st, p + 16 * i, p + len - 16 - 16 * i, s + 32 * i, seed);
  }
  return finish_mid(st, len, seed);
}

Hash128 hash_129to240(const uint8_t* p, size_t len, uint64_t seed) {
  const uint8_t* s = kDefaultSecret;
  MidState st{static_cast<uint64_t>(len) * kPrime64_1, 0};
  for (size_t i = 0; i < 4; ++i) {
    mix32(st, p + 32 * i, p + 32 * i + 16, s + 32 * i, seed);
  }
  // Intermediate avalanche: the remaining chunks reuse secret bytes already
  // consumed above (at an odd offset), so the state is remixed first.
  st.a = avalanche_xxh3(st.a);
  st.b = avalanche_xxh3(st.b);
  const size_t chunks = len >> 5;
  for (size_t i = 4; i < chunks; ++i) {
    mix32(st, p + 32 * i, p + 32 * i + 16, s + 3 + 32 * (i - 4), seed);
  }
  // The tail is the last 32 bytes, halves swapped and seed negated, so it is
  // distinct from a regular chunk even when it coincides with one.
  mix32(st, p + len - 16, p + len - 32, s + 103, 0 - seed);
  return finish_mid(st, len, seed);
}

// ---------------------------------------------------------------------------
// > 240 bytes: eight 64-bit accumulators over 64-byte stripes.
//
// A kernel provides load/store of the 8 accumulators, the per-stripe
// accumulate step and the per-block scramble step. The driver below is
// written once and instantiated per kernel, so the accumulators stay in
// registers across the whole input. Every SIMD member carries the
// instruction set it needs (cpu_features.h); the kernel is picked at run
// time.

struct ScalarKernel {
  struct State {
    uint64_t v[8];
  };
  static DELTANODE_XXH3_INLINE State load(const uint64_t* acc) {
    State st;
    std::memcpy(st.v, acc, sizeof st.v);
    return st;
  }
  static DELTANODE_XXH3_INLINE void store(const State& st, uint64_t* acc) {
    std::memcpy(acc, st.v, sizeof st.v);
  }
  static DELTANODE_XXH3_INLINE void accumulate(State& st, const uint8_t* in,
                                               const uint8_t* s) {
    for (size_t i = 0; i < 8; ++i) {
      const uint64_t data = load_u64_le(in + 8 * i);
      const uint64_t keyed = data ^ load_u64_le(s + 8 * i);
      // Adding raw data into the neighbour lane keeps input bits alive even
      // when the 32x32 product below is zero.
      st.v[i ^ 1] += data;
      st.v[i] += (keyed & 0xFFFFFFFFU) * (keyed >> 32);
    }
  }
  static DELTANODE_XXH3_INLINE void scramble(State& st, const uint8_t* s) {
    for (size_t i = 0; i < 8; ++i) {
      uint64_t a = st.v[i];
      a ^= a >> 47;
      a ^= load_u64_le(s + 8 * i);
      a *= kPrime32_1;
      st.v[i] = a;
    }
  }
};

#if defined(DELTANODE_XXH3_USE_SSE2)
struct Sse2Kernel {
  struct State {
    __m128i v[4];
  };
  static DN_TARGET_SSE2 DELTANODE_XXH3_INLINE State load(const uint64_t* acc) {
    State st;
    for (int j = 0; j < 4; ++j) {
      st.v[j] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(acc) + j);
    }
    return st;
  }
  static DN_TARGET_SSE2 DELTANODE_XXH3_INLINE void store(const State& st,
                                                         uint64_t* acc) {
    for (int j = 0; j < 4; ++j) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(acc) + j, st.v[j]);
    }
  }
  static DN_TARGET_SSE2 DELTANODE_XXH3_INLINE void accumulate(
      State& st, const uint8_t* in, const uint8_t* s) {
    for (int j = 0; j < 4; ++j) {
      const __m128i data =
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(in) + j);
      const __m128i keyed = _mm_xor_si128(
          data, _mm_loadu_si128(reinterpret_cast<const __m128i*>(s) + j));
      // _mm_mul_epu32 reads only the low 32 bits of each 64-bit lane.
      const __m128i product =
          _mm_mul_epu32(keyed, _mm_srli_epi64(keyed, 32));
      const __m128i swapped = _mm_shuffle_epi32(data, _MM_SHUFFLE(1, 0, 3, 2));
      st.v[j] = _mm_add_epi64(st.v[j], _mm_add_epi64(product, swapped));
    }
  }
  static DN_TARGET_SSE2 DELTANODE_XXH3_INLINE void scramble(State& st,
                                                            const uint8_t* s) {
    const __m128i prime = _mm_set1_epi32(static_cast<int>(kPrime32_1));
    for (int j = 0; j < 4; ++j) {
      __m128i a = st.v[j];
      a = _mm_xor_si128(a, _mm_srli_epi64(a, 47));
      a = _mm_xor_si128(
          a, _mm_loadu_si128(reinterpret_cast<const __m128i*>(s) + j));
      // 64x32 multiply from two 32x32 products; the hi*prime term only
      // contributes its low 32 bits, shifted up.
      const __m128i lo = _mm_mul_epu32(a, prime);
      const __m128i hi = _mm_mul_epu32(_mm_srli_epi64(a, 32), prime);
      st.v[j] = _mm_add_epi64(lo, _mm_slli_epi64(hi, 32));
    }
  }
};
#endif

#if defined(DELTANODE_XXH3_USE_AVX2)
struct Avx2Kernel {
  struct State {
    __m256i v[2];
  };
  static DN_TARGET_AVX2 DELTANODE_XXH3_INLINE State load(const uint64_t* acc) {
    State st;
    for (int j = 0; j < 2; ++j) {
      st.v[j] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc) + j);
    }
    return st;
  }
  static DN_TARGET_AVX2 DELTANODE_XXH3_INLINE void store(const State& st,
                                                         uint64_t* acc) {
    for (int j = 0; j < 2; ++j) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc) + j, st.v[j]);
    }
  }
  static DN_TARGET_AVX2 DELTANODE_XXH3_INLINE void accumulate(
      State& st, const uint8_t* in, const uint8_t* s) {
    for (int j = 0; j < 2; ++j) {
      const __m256i data =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in) + j);
      const __m256i keyed = _mm256_xor_si256(
          data, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s) + j));
      // _mm256_mul_epu32 reads only the low 32 bits of each 64-bit lane.
      const __m256i product =
          _mm256_mul_epu32(keyed, _mm256_srli_epi64(keyed, 32));
      const __m256i swapped =
          _mm256_shuffle_epi32(data, _MM_SHUFFLE(1, 0, 3, 2));
      st.v[j] = _mm256_add_epi64(st.v[j], _mm256_add_epi64(product, swapped));
    }
  }
  static DN_TARGET_AVX2 DELTANODE_XXH3_INLINE void scramble(State& st,
                                                            const uint8_t* s) {
    const __m256i prime = _mm256_set1_epi32(static_cast<int>(kPrime32_1));
    for (int j = 0; j < 2; ++j) {
      __m256i a = st.v[j];
      a = _mm256_xor_si256(a, _mm256_srli_epi64(a, 47));
      a = _mm256_xor_si256(
          a, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s) + j));
      // 64x32 multiply from two 32x32 products; see Sse2Kernel::scramble.
      const __m256i lo = _mm256_mul_epu32(a, prime);
      const __m256i hi = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), prime);
      st.v[j] = _mm256_add_epi64(lo, _mm256_slli_epi64(hi, 32));
    }
  }
};
#endif

#if defined(DELTANODE_XXH3_USE_AVX512)
// All eight accumulators in one register: half the instructions of AVX2
// per stripe.
struct Avx512Kernel {
  struct State {
    __m512i v;
  };
  static DN_TARGET_AVX512 DELTANODE_XXH3_INLINE State
  load(const uint64_t* acc) {
    return State{_mm512_loadu_si512(acc)};
  }
  static DN_TARGET_AVX512 DELTANODE_XXH3_INLINE void store(const State& st,
                                                           uint64_t* acc) {
    _mm512_storeu_si512(acc, st.v);
  }
  static DN_TARGET_AVX512 DELTANODE_XXH3_INLINE void accumulate(
      State& st, const uint8_t* in, const uint8_t* s) {
    const __m512i data = _mm512_loadu_si512(in);
    const __m512i keyed = _mm512_xor_si512(data, _mm512_loadu_si512(s));
    const __m512i product =
        _mm512_mul_epu32(keyed, _mm512_srli_epi64(keyed, 32));
    const __m512i swapped = _mm512_shuffle_epi32(
        data, static_cast<_MM_PERM_ENUM>(_MM_SHUFFLE(1, 0, 3, 2)));
    st.v = _mm512_add_epi64(st.v, _mm512_add_epi64(product, swapped));
  }
  static DN_TARGET_AVX512 DELTANODE_XXH3_INLINE void scramble(
      State& st, const uint8_t* s) {
    const __m512i prime = _mm512_set1_epi32(static_cast<int>(kPrime32_1));
    // 0x96 is the truth table of a three-way xor.
    const __m512i a = _mm512_ternarylogic_epi64(
        st.v, _mm512_srli_epi64(st.v, 47), _mm512_loadu_si512(s), 0x96);
    // 64x32 multiply from two 32x32 products; see Sse2Kernel::scramble.
    const __m512i lo = _mm512_mul_epu32(a, prime);
    const __m512i hi = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), prime);
    st.v = _mm512_add_epi64(lo, _mm512_slli_epi64(hi, 32));
  }
};
#endif

// Large inputs are memory-bound once they exceed the caches. Hashing a
// 256 MiB buffer block by block measured roughly 1.6x faster with software
// prefetch about three KiB ahead of the stripe being consumed (AVX2 build;
// shorter distances helped less, longer ones no more). It costs nothing
// measurable when the data is already cached.
constexpr uintptr_t kPrefetchDistance = 3072;

DELTANODE_XXH3_INLINE void prefetch_ahead(const uint8_t* p) {
#if defined(__GNUC__) || defined(__clang__)
  // The target may lie past the end of the input. A prefetch never faults,
  // but forming an out-of-range pointer by pointer arithmetic would be UB,
  // so the address is computed on integers.
  __builtin_prefetch(reinterpret_cast<const void*>(
      reinterpret_cast<uintptr_t>(p) + kPrefetchDistance));
#else
  (void)p;
#endif
}

alignas(64) constexpr uint64_t kInitialAccumulators[8] = {
    kPrime32_3, kPrime64_1, kPrime64_2, kPrime64_3,
    kPrime64_4, kPrime32_2, kPrime64_5, kPrime32_1};

DELTANODE_XXH3_INLINE uint64_t merge_accumulators(const uint64_t* acc,
                                                  const uint8_t* s,
                                                  uint64_t start) {
  uint64_t result = start;
  for (size_t i = 0; i < 4; ++i) {
    result += multiply_fold(acc[2 * i] ^ load_u64_le(s + 16 * i),
                            acc[2 * i + 1] ^ load_u64_le(s + 16 * i + 8));
  }
  return avalanche_xxh3(result);
}

// The drivers. GCC and Clang inline SIMD code only into functions compiled
// for the same (or a wider) instruction set, and a template cannot take its
// instruction set from its arguments, so the drivers are expanded once per
// kernel's instruction set (TARGET), each copy in its own namespace. The
// one-shot hash and the streaming state share them, so both give the same
// result by construction.
#define DELTANODE_XXH3_LONG_DRIVER(TARGET)                                    \
  /* Whole blocks that are known not to be the final one. */                  \
  template <class Kernel>                                                     \
  TARGET DELTANODE_XXH3_INLINE void consume_blocks(                           \
      uint64_t* acc, const uint8_t* p, size_t blocks, const uint8_t* secret) { \
    typename Kernel::State st = Kernel::load(acc);                            \
    const uint8_t* scramble_key = secret + kSecretSize - kStripeLen;          \
    for (size_t b = 0; b < blocks; ++b) {                                     \
      const uint8_t* block = p + b * kBlockLen;                               \
      for (size_t n = 0; n < kStripesPerBlock; ++n) {                         \
        prefetch_ahead(block + n * kStripeLen);                               \
        Kernel::accumulate(st, block + n * kStripeLen,                        \
                           secret + n * kSecretAdvance);                      \
      }                                                                       \
      Kernel::scramble(st, scramble_key);                                     \
    }                                                                         \
    Kernel::store(st, acc);                                                   \
  }                                                                           \
  /* The final block (1..kBlockLen bytes, never scrambled) and the last 64    \
     input bytes, which may overlap stripes consumed before. The odd secret   \
     offset keeps that stripe distinct from any regular one. */              \
  template <class Kernel>                                                     \
  TARGET DELTANODE_XXH3_INLINE Hash128 finish_long(                           \
      uint64_t* acc, const uint8_t* tail, size_t tail_len,                    \
      const uint8_t* last_stripe, uint64_t total, const uint8_t* secret) {    \
    typename Kernel::State st = Kernel::load(acc);                            \
    const size_t tail_stripes = (tail_len - 1) / kStripeLen;                  \
    for (size_t n = 0; n < tail_stripes; ++n) {                               \
      Kernel::accumulate(st, tail + n * kStripeLen,                           \
                         secret + n * kSecretAdvance);                        \
    }                                                                         \
    Kernel::accumulate(st, last_stripe,                                       \
                       secret + kSecretSize - kStripeLen - 7);                \
    Kernel::store(st, acc);                                                   \
    return {merge_accumulators(acc, secret + 11, total * kPrime64_1),         \
            merge_accumulators(acc, secret + kSecretSize - kStripeLen - 11,   \
                               ~(total * kPrime64_2))};                       \
  }                                                                           \
  template <class Kernel>                                                     \
  TARGET DELTANODE_XXH3_INLINE Hash128 hash_long(                             \
      const uint8_t* p, size_t len, const uint8_t* secret) {                  \
    alignas(64) uint64_t acc[8];                                              \
    std::memcpy(acc, kInitialAccumulators, sizeof acc);                       \
    const size_t full_blocks = (len - 1) / kBlockLen;                         \
    consume_blocks<Kernel>(acc, p, full_blocks, secret);                      \
    return finish_long<Kernel>(acc, p + full_blocks * kBlockLen,              \
                               len - full_blocks * kBlockLen,                 \
                               p + len - kStripeLen, len, secret);            \
  }

using LongHashFn = Hash128 (*)(const uint8_t* p, size_t len,
                               const uint8_t* secret);

// The entry points the kernel table holds, one set per instruction set.
#define DELTANODE_XXH3_ENTRIES(TARGET, KERNEL)                                \
  DELTANODE_XXH3_LONG_DRIVER(TARGET)                                          \
  TARGET Hash128 hash_long_entry(const uint8_t* p, size_t len,                \
                                 const uint8_t* secret) {                     \
    return hash_long<KERNEL>(p, len, secret);                                 \
  }                                                                           \
  TARGET void consume_blocks_entry(uint64_t* acc, const uint8_t* p,           \
                                   size_t blocks, const uint8_t* secret) {    \
    consume_blocks<KERNEL>(acc, p, blocks, secret);                           \
  }                                                                           \
  TARGET Hash128 finish_long_entry(uint64_t* acc, const uint8_t* tail,        \
                                   size_t tail_len,                           \
                                   const uint8_t* last_stripe,                \
                                   uint64_t total, const uint8_t* secret) {   \
    return finish_long<KERNEL>(acc, tail, tail_len, last_stripe, total,       \
                               secret);                                       \
  }

namespace scalar {
DELTANODE_XXH3_ENTRIES(, ScalarKernel)
}  // namespace scalar

#if defined(DELTANODE_XXH3_USE_SSE2)
namespace sse2 {
DELTANODE_XXH3_ENTRIES(DN_TARGET_SSE2, Sse2Kernel)
}  // namespace sse2
#endif

#if defined(DELTANODE_XXH3_USE_AVX2)
namespace avx2 {
DELTANODE_XXH3_ENTRIES(DN_TARGET_AVX2, Avx2Kernel)
}  // namespace avx2
#endif

#if defined(DELTANODE_XXH3_USE_AVX512)
namespace avx512 {
DELTANODE_XXH3_ENTRIES(DN_TARGET_AVX512, Avx512Kernel)
}  // namespace avx512
#endif

#undef DELTANODE_XXH3_ENTRIES
#undef DELTANODE_XXH3_LONG_DRIVER

using ConsumeBlocksFn = void (*)(uint64_t* acc, const uint8_t* p, size_t blocks,
                                 const uint8_t* secret);
using FinishLongFn = Hash128 (*)(uint64_t* acc, const uint8_t* tail,
                                 size_t tail_len, const uint8_t* last_stripe,
                                 uint64_t total, const uint8_t* secret);

struct LongKernel {
  const char* name;
  cpu::Simd level;  // what the CPU must support
  LongHashFn hash;
  ConsumeBlocksFn consume_blocks;
  FinishLongFn finish;
};

// Best first; the scalar kernel runs anywhere and ends the list.
constexpr LongKernel kLongKernels[] = {
#if defined(DELTANODE_XXH3_USE_AVX512)
    {"avx512", cpu::Simd::kAvx512, avx512::hash_long_entry,
     avx512::consume_blocks_entry, avx512::finish_long_entry},
#endif
#if defined(DELTANODE_XXH3_USE_AVX2)
    {"avx2", cpu::Simd::kAvx2, avx2::hash_long_entry,
     avx2::consume_blocks_entry, avx2::finish_long_entry},
#endif
#if defined(DELTANODE_XXH3_USE_SSE2)
    {"sse2", cpu::Simd::kSse2, sse2::hash_long_entry,
     sse2::consume_blocks_entry, sse2::finish_long_entry},
#endif
    {"scalar", cpu::Simd::kPortable, scalar::hash_long_entry,
     scalar::consume_blocks_entry, scalar::finish_long_entry},
};

// Chosen on first use, then fixed for the life of the process.
const LongKernel& default_long_kernel() {
  static const LongKernel& kernel = cpu::bestKernel(kLongKernels, cpu::selectedSimd());
  return kernel;
}

Hash128 hash_long_seeded(LongHashFn hash, const uint8_t* p, size_t len,
                         uint64_t seed) {
  if (seed == 0) return hash(p, len, kDefaultSecret);
  // A seed is folded into a per-call copy of the secret instead of into
  // every stripe, so the hot loop is identical for seeded and unseeded use.
  alignas(64) uint8_t secret[kSecretSize];
  for (size_t i = 0; i < kSecretSize; i += 16) {
    store_u64_le(secret + i, load_u64_le(kDefaultSecret + i) + seed);
    store_u64_le(secret + i + 8, load_u64_le(kDefaultSecret + i + 8) - seed);
  }
  return hash(p, len, secret);
}

Hash128 hash_any(LongHashFn long_hash, const uint8_t* data, size_t length,
                 uint64_t seed) {
  if (length <= 16) return hash_0to16(data, length, seed);
  if (length <= 128) return hash_17to128(data, length, seed);
  if (length <= kMidSizeMax) return hash_129to240(data, length, seed);
  return hash_long_seeded(long_hash, data, length, seed);
}

}  // namespace

Hash128 xxh3_128(const uint8_t* data, size_t length, uint64_t seed) noexcept {
  // Short inputs never touch the kernel table.
  if (length <= kMidSizeMax) return hash_any(nullptr, data, length, seed);
  return hash_any(default_long_kernel().hash, data, length, seed);
}

void xxh3_128_canonical(const uint8_t* data, size_t length, uint8_t out[16],
                        uint64_t seed) noexcept {
  const Hash128 h = xxh3_128(data, length, seed);
  store_u64_be(out, h.high);
  store_u64_be(out + 8, h.low);
}

void Xxh3Stream::reset() noexcept {
  std::memcpy(acc_, kInitialAccumulators, sizeof acc_);
  pendingLength_ = 0;
  total_ = 0;
}

void Xxh3Stream::update(const uint8_t* data, size_t length) noexcept {
  total_ += length;
  if (pendingLength_ + length <= kBlock) {
    if (length) std::memcpy(pending_ + pendingLength_, data, length);
    pendingLength_ += length;
    return;
  }
  const LongKernel& kernel = default_long_kernel();
  if (pendingLength_) {
    const size_t take = kBlock - pendingLength_;
    std::memcpy(pending_ + pendingLength_, data, take);
    data += take;
    length -= take;
    kernel.consume_blocks(acc_, pending_, 1, kDefaultSecret);
    std::memcpy(previous_, pending_ + kBlock - kStripe, kStripe);
  }
  // At least one byte remains here: keep up to a block of it pending.
  const size_t blocks = (length - 1) / kBlock;
  if (blocks) {
    kernel.consume_blocks(acc_, data, blocks, kDefaultSecret);
    std::memcpy(previous_, data + blocks * kBlock - kStripe, kStripe);
    data += blocks * kBlock;
    length -= blocks * kBlock;
  }
  std::memcpy(pending_, data, length);
  pendingLength_ = length;
}

Hash128 Xxh3Stream::digest() const noexcept {
  if (total_ <= kMidSizeMax) return hash_any(default_long_kernel().hash, pending_, size_t(total_), 0);
  alignas(64) uint64_t acc[8];
  std::memcpy(acc, acc_, sizeof acc);
  uint8_t joined[kStripe];
  const uint8_t* lastStripe = pending_ + pendingLength_ - kStripe;
  if (pendingLength_ < kStripe) {
    std::memcpy(joined, previous_ + pendingLength_, kStripe - pendingLength_);
    std::memcpy(joined + kStripe - pendingLength_, pending_, pendingLength_);
    lastStripe = joined;
  }
  return default_long_kernel().finish(acc, pending_, pendingLength_, lastStripe, total_, kDefaultSecret);
}

void Xxh3Stream::canonical(uint8_t out[16]) const noexcept {
  const Hash128 h = digest();
  store_u64_be(out, h.high);
  store_u64_be(out + 8, h.low);
}

const char* xxh3_128_backend() noexcept { return default_long_kernel().name; }

const char* const* xxh3_128_backends() noexcept { return cpu::supportedKernelNames(kLongKernels); }

bool xxh3_128_with_backend(const char* backend, const uint8_t* data,
                           size_t length, uint64_t seed,
                           Hash128* out) noexcept {
  const LongKernel* kernel = cpu::supportedKernelNamed(kLongKernels, backend);
  if (kernel == nullptr) return false;
  *out = hash_any(kernel->hash, data, length, seed);
  return true;
}

}  // namespace deltanode
