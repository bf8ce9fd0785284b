// BLAKE3, written from the specification paper. One generic round function
// is instantiated for plain 32-bit words and for 4-, 8- and 16-lane SIMD
// vectors, so the scalar and SIMD paths cannot disagree on the mixing
// schedule.
//
// SIMD kernels are chosen at run time (see cpu_features.h); each is compiled
// for its own instruction set through function attributes, so a baseline
// x86-64 build carries all of them. DELTANODE_BLAKE3_PORTABLE leaves only
// the portable code.
#include "hash_blake3.h"
#include "byte_order.h"
#include "cpu_features.h"

#include <cstring>

#if !defined(DELTANODE_BLAKE3_PORTABLE) && DN_SIMD_SSE2
#define DN_B3_SSE2 1
#if DN_SIMD_SSE41
#define DN_B3_SSE41 1
#endif
#if DN_SIMD_AVX2
#define DN_B3_AVX2 1
#endif
#if DN_SIMD_AVX512
#define DN_B3_AVX512 1
#endif
#endif

#if defined(_MSC_VER) && !defined(__clang__)
#define DN_B3_INLINE __forceinline
#define DN_B3_NOINLINE __declspec(noinline)
#define DN_B3_PREFETCH(address) \
  _mm_prefetch(reinterpret_cast<const char*>(address), _MM_HINT_T0)
#else
#define DN_B3_INLINE inline __attribute__((always_inline))
#define DN_B3_NOINLINE __attribute__((noinline))
#define DN_B3_PREFETCH(address) \
  __builtin_prefetch(reinterpret_cast<const void*>(address))
#endif

namespace deltanode {
namespace {

constexpr size_t kBlockLen = 64;
constexpr size_t kChunkLen = Blake3::kChunkLength;
constexpr size_t kBlocksPerChunk = kChunkLen / kBlockLen;

// Same words as the SHA-256 initial hash value.
constexpr uint32_t kIv[8] = {0x6A09E667u, 0xBB67AE85u, 0x3C6EF372u,
                             0xA54FF53Au, 0x510E527Fu, 0x9B05688Cu,
                             0x1F83D9ABu, 0x5BE0CD19u};

// Domain flags (the keyed and key-derivation modes are not implemented).
constexpr uint32_t kChunkStart = 1;
constexpr uint32_t kChunkEnd = 2;
constexpr uint32_t kParent = 4;
constexpr uint32_t kRoot = 8;

// Instead of permuting the message words between rounds, precompute which
// original word each round reads, so every index is a compile-time constant.
struct Schedule {
  uint8_t word[7][16];
};

constexpr Schedule makeSchedule() {
  const uint8_t permutation[16] = {2, 6,  3,  10, 7, 0,  4,  13,
                                   1, 11, 12, 5,  9, 14, 15, 8};
  Schedule s{};
  for (int i = 0; i < 16; ++i) s.word[0][i] = static_cast<uint8_t>(i);
  for (int r = 1; r < 7; ++r) {
    for (int i = 0; i < 16; ++i) s.word[r][i] = s.word[r - 1][permutation[i]];
  }
  return s;
}

constexpr Schedule kSchedule = makeSchedule();

// Round down to a power of two; x must be nonzero.
inline uint64_t floorPowerOfTwo(uint64_t x) noexcept {
  x |= x >> 1;
  x |= x >> 2;
  x |= x >> 4;
  x |= x >> 8;
  x |= x >> 16;
  x |= x >> 32;
  return x - (x >> 1);
}

// A run of `count` independent inputs of `blocks` blocks each, input i at
// base + i * stride, all starting from the IV. Covers both whole chunks
// (16 blocks, consecutive counters) and parent nodes (one block, counter
// 0). One 32-byte chaining value per input goes to `out`.
struct Batch {
  const uint8_t* base;
  size_t stride;
  size_t blocks;
  size_t count;
  uint64_t counter;
  uint64_t counterStep;
  uint32_t flags;
  uint32_t firstFlags;
  uint32_t lastFlags;
  uint8_t* out;
};

// ---------------------------------------------------------------------------
// Lane types. Each provides arithmetic on V (one 32-bit word per lane) and
// the transposition between "one input per lane" memory layout and "one
// message word per vector" register layout. Every member carries the
// instruction set it needs; a wider type may reuse a narrower one's members
// (a function may always inline code written for a subset of its own
// instruction set).

struct Scalar {
  using V = uint32_t;
  static constexpr size_t kWidth = 1;
  static DN_B3_INLINE V add(V a, V b) noexcept { return a + b; }
  static DN_B3_INLINE V bxor(V a, V b) noexcept { return a ^ b; }
  static DN_B3_INLINE V splat(uint32_t x) noexcept { return x; }
  static DN_B3_INLINE V gather(const uint32_t* w) noexcept { return w[0]; }
  template <int N>
  static DN_B3_INLINE V rotr(V x) noexcept {
    return (x >> N) | (x << (32 - N));
  }
  static DN_B3_INLINE void loadMessage(const uint8_t* p, size_t, V m[16]) noexcept {
    for (int i = 0; i < 16; ++i) m[i] = load_u32_le(p + 4 * i);
  }
  static DN_B3_INLINE void storeCvs(V h[8], uint8_t* out) noexcept {
    for (int i = 0; i < 8; ++i) store_u32_le(out + 4 * i, h[i]);
  }
};

#if defined(DN_B3_SSE2)
// Lanes read from several streams 1 KiB apart, each too short for the
// hardware prefetcher to pick up. Each block of a lane group asks for the
// same block of the next group (which starts Lanes * stride further on).
// On a 256 MiB input that measured ~10% faster than asking a few blocks
// ahead within the same chunks, and ~25% faster than no prefetch (8 and 16
// lanes alike). Prefetches never fault, even past the end.
template <int Lanes>
DN_B3_INLINE void prefetchLanes(const uint8_t* p, size_t stride) noexcept {
  for (int lane = 0; lane < Lanes; ++lane) {
    // Integer arithmetic: the address may lie beyond the input object.
    DN_B3_PREFETCH(reinterpret_cast<uintptr_t>(p) + (Lanes + lane) * stride);
  }
}

// Four lanes in SSE2 registers.
struct Sse2x4 {
  using V = __m128i;
  static constexpr size_t kWidth = 4;
  static DN_TARGET_SSE2 DN_B3_INLINE V add(V a, V b) noexcept {
    return _mm_add_epi32(a, b);
  }
  static DN_TARGET_SSE2 DN_B3_INLINE V bxor(V a, V b) noexcept {
    return _mm_xor_si128(a, b);
  }
  static DN_TARGET_SSE2 DN_B3_INLINE V splat(uint32_t x) noexcept {
    return _mm_set1_epi32(static_cast<int>(x));
  }
  static DN_TARGET_SSE2 DN_B3_INLINE V gather(const uint32_t* w) noexcept {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(w));
  }
  template <int N>
  static DN_TARGET_SSE2 DN_B3_INLINE V rotr(V x) noexcept {
    if constexpr (N == 16) {
      // Swapping the 16-bit halves is two word shuffles, not three ops.
      return _mm_shufflehi_epi16(_mm_shufflelo_epi16(x, 0xB1), 0xB1);
    } else {
      return _mm_or_si128(_mm_srli_epi32(x, N), _mm_slli_epi32(x, 32 - N));
    }
  }
  static DN_TARGET_SSE2 DN_B3_INLINE void transpose(V& a, V& b, V& c,
                                                    V& d) noexcept {
    const V ab01 = _mm_unpacklo_epi32(a, b);
    const V ab23 = _mm_unpackhi_epi32(a, b);
    const V cd01 = _mm_unpacklo_epi32(c, d);
    const V cd23 = _mm_unpackhi_epi32(c, d);
    a = _mm_unpacklo_epi64(ab01, cd01);
    b = _mm_unpackhi_epi64(ab01, cd01);
    c = _mm_unpacklo_epi64(ab23, cd23);
    d = _mm_unpackhi_epi64(ab23, cd23);
  }
  static DN_TARGET_SSE2 DN_B3_INLINE void loadMessage(const uint8_t* p,
                                                      size_t stride,
                                                      V m[16]) noexcept {
    prefetchLanes<4>(p, stride);
    for (int g = 0; g < 4; ++g) {
      for (int lane = 0; lane < 4; ++lane) {
        m[4 * g + lane] = _mm_loadu_si128(
            reinterpret_cast<const __m128i*>(p + lane * stride + 16 * g));
      }
      transpose(m[4 * g], m[4 * g + 1], m[4 * g + 2], m[4 * g + 3]);
    }
  }
  static DN_TARGET_SSE2 DN_B3_INLINE void storeCvs(V h[8],
                                                   uint8_t* out) noexcept {
    transpose(h[0], h[1], h[2], h[3]);
    transpose(h[4], h[5], h[6], h[7]);
    for (int lane = 0; lane < 4; ++lane) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 32 * lane), h[lane]);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 32 * lane + 16),
                       h[4 + lane]);
    }
  }
};
#endif

#if defined(DN_B3_SSE41)
// SSSE3 (part of the SSE4.1 level) rotates by whole bytes with one shuffle.
struct Sse41x4 : Sse2x4 {
  template <int N>
  static DN_TARGET_SSE41 DN_B3_INLINE V rotr(V x) noexcept {
    if constexpr (N == 16) {
      return _mm_shuffle_epi8(x, _mm_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11,
                                               8, 9, 14, 15, 12, 13));
    } else if constexpr (N == 8) {
      return _mm_shuffle_epi8(x, _mm_setr_epi8(1, 2, 3, 0, 5, 6, 7, 4, 9, 10,
                                               11, 8, 13, 14, 15, 12));
    } else {
      return _mm_or_si128(_mm_srli_epi32(x, N), _mm_slli_epi32(x, 32 - N));
    }
  }
};
#endif

#if defined(DN_B3_AVX2)
// Eight lanes in AVX2 registers.
struct Avx2x8 {
  using V = __m256i;
  static constexpr size_t kWidth = 8;
  static DN_TARGET_AVX2 DN_B3_INLINE V add(V a, V b) noexcept {
    return _mm256_add_epi32(a, b);
  }
  static DN_TARGET_AVX2 DN_B3_INLINE V bxor(V a, V b) noexcept {
    return _mm256_xor_si256(a, b);
  }
  static DN_TARGET_AVX2 DN_B3_INLINE V splat(uint32_t x) noexcept {
    return _mm256_set1_epi32(static_cast<int>(x));
  }
  static DN_TARGET_AVX2 DN_B3_INLINE V gather(const uint32_t* w) noexcept {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
  }
  template <int N>
  static DN_TARGET_AVX2 DN_B3_INLINE V rotr(V x) noexcept {
    if constexpr (N == 16) {
      return _mm256_shuffle_epi8(
          x, _mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12,
                              13, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15,
                              12, 13));
    } else if constexpr (N == 8) {
      return _mm256_shuffle_epi8(
          x, _mm256_setr_epi8(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15,
                              12, 1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14,
                              15, 12));
    } else {
      return _mm256_or_si256(_mm256_srli_epi32(x, N),
                             _mm256_slli_epi32(x, 32 - N));
    }
  }
  // 8x8 transpose of 32-bit words: interleave pairs, then quads, then swap
  // 128-bit halves (unpack instructions never cross the halves).
  static DN_TARGET_AVX2 DN_B3_INLINE void transpose(V r[8]) noexcept {
    const V t0 = _mm256_unpacklo_epi32(r[0], r[1]);
    const V t1 = _mm256_unpackhi_epi32(r[0], r[1]);
    const V t2 = _mm256_unpacklo_epi32(r[2], r[3]);
    const V t3 = _mm256_unpackhi_epi32(r[2], r[3]);
    const V t4 = _mm256_unpacklo_epi32(r[4], r[5]);
    const V t5 = _mm256_unpackhi_epi32(r[4], r[5]);
    const V t6 = _mm256_unpacklo_epi32(r[6], r[7]);
    const V t7 = _mm256_unpackhi_epi32(r[6], r[7]);
    const V q0 = _mm256_unpacklo_epi64(t0, t2);
    const V q1 = _mm256_unpackhi_epi64(t0, t2);
    const V q2 = _mm256_unpacklo_epi64(t1, t3);
    const V q3 = _mm256_unpackhi_epi64(t1, t3);
    const V q4 = _mm256_unpacklo_epi64(t4, t6);
    const V q5 = _mm256_unpackhi_epi64(t4, t6);
    const V q6 = _mm256_unpacklo_epi64(t5, t7);
    const V q7 = _mm256_unpackhi_epi64(t5, t7);
    r[0] = _mm256_permute2x128_si256(q0, q4, 0x20);
    r[1] = _mm256_permute2x128_si256(q1, q5, 0x20);
    r[2] = _mm256_permute2x128_si256(q2, q6, 0x20);
    r[3] = _mm256_permute2x128_si256(q3, q7, 0x20);
    r[4] = _mm256_permute2x128_si256(q0, q4, 0x31);
    r[5] = _mm256_permute2x128_si256(q1, q5, 0x31);
    r[6] = _mm256_permute2x128_si256(q2, q6, 0x31);
    r[7] = _mm256_permute2x128_si256(q3, q7, 0x31);
  }
  static DN_TARGET_AVX2 DN_B3_INLINE void loadMessage(const uint8_t* p,
                                                      size_t stride,
                                                      V m[16]) noexcept {
    prefetchLanes<8>(p, stride);
    for (int half = 0; half < 2; ++half) {
      for (int lane = 0; lane < 8; ++lane) {
        m[8 * half + lane] = _mm256_loadu_si256(
            reinterpret_cast<const __m256i*>(p + lane * stride + 32 * half));
      }
      transpose(m + 8 * half);
    }
  }
  static DN_TARGET_AVX2 DN_B3_INLINE void storeCvs(V h[8],
                                                   uint8_t* out) noexcept {
    transpose(h);
    for (int lane = 0; lane < 8; ++lane) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32 * lane), h[lane]);
    }
  }
};
#endif

#if defined(DN_B3_AVX512)
// AVX-512VL rotates narrow vectors natively; the 16-lane type is the main
// AVX-512 path, these two only handle what is left over.
struct Avx512x4 : Sse2x4 {
  template <int N>
  static DN_TARGET_AVX512 DN_B3_INLINE V rotr(V x) noexcept {
    return _mm_ror_epi32(x, N);
  }
};

struct Avx512x8 : Avx2x8 {
  template <int N>
  static DN_TARGET_AVX512 DN_B3_INLINE V rotr(V x) noexcept {
    return _mm256_ror_epi32(x, N);
  }
};

// Sixteen lanes in AVX-512 registers.
struct Avx512x16 {
  using V = __m512i;
  static constexpr size_t kWidth = 16;
  static DN_TARGET_AVX512 DN_B3_INLINE V add(V a, V b) noexcept {
    return _mm512_add_epi32(a, b);
  }
  static DN_TARGET_AVX512 DN_B3_INLINE V bxor(V a, V b) noexcept {
    return _mm512_xor_si512(a, b);
  }
  static DN_TARGET_AVX512 DN_B3_INLINE V splat(uint32_t x) noexcept {
    return _mm512_set1_epi32(static_cast<int>(x));
  }
  static DN_TARGET_AVX512 DN_B3_INLINE V gather(const uint32_t* w) noexcept {
    return _mm512_loadu_si512(w);
  }
  template <int N>
  static DN_TARGET_AVX512 DN_B3_INLINE V rotr(V x) noexcept {
    return _mm512_ror_epi32(x, N);
  }
  // 16x16 transpose of 32-bit words. r[i] holds input i; afterwards r[w]
  // holds word w of every input. Pairs and quads are interleaved inside
  // each 128-bit block first; that leaves block q of vector 4k + j holding
  // word 4q + j of inputs 4k..4k+3, so a 4x4 transpose of whole blocks
  // (two rounds of block shuffles) finishes the job.
  static DN_TARGET_AVX512 DN_B3_INLINE void transpose(V r[16]) noexcept {
    V t[16];
    for (int k = 0; k < 16; k += 2) {
      t[k] = _mm512_unpacklo_epi32(r[k], r[k + 1]);
      t[k + 1] = _mm512_unpackhi_epi32(r[k], r[k + 1]);
    }
    V u[16];
    for (int k = 0; k < 16; k += 4) {
      u[k] = _mm512_unpacklo_epi64(t[k], t[k + 2]);
      u[k + 1] = _mm512_unpackhi_epi64(t[k], t[k + 2]);
      u[k + 2] = _mm512_unpacklo_epi64(t[k + 1], t[k + 3]);
      u[k + 3] = _mm512_unpackhi_epi64(t[k + 1], t[k + 3]);
    }
    for (int j = 0; j < 4; ++j) {
      // Blocks {0,1} and {2,3} of inputs 0-3 / 4-7, then of 8-11 / 12-15.
      const V x0 = _mm512_shuffle_i32x4(u[j], u[4 + j], 0x44);
      const V x1 = _mm512_shuffle_i32x4(u[j], u[4 + j], 0xEE);
      const V x2 = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0x44);
      const V x3 = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0xEE);
      // Even blocks, then odd blocks, of each pair.
      r[j] = _mm512_shuffle_i32x4(x0, x2, 0x88);
      r[4 + j] = _mm512_shuffle_i32x4(x0, x2, 0xDD);
      r[8 + j] = _mm512_shuffle_i32x4(x1, x3, 0x88);
      r[12 + j] = _mm512_shuffle_i32x4(x1, x3, 0xDD);
    }
  }
  static DN_TARGET_AVX512 DN_B3_INLINE void loadMessage(const uint8_t* p,
                                                        size_t stride,
                                                        V m[16]) noexcept {
    prefetchLanes<16>(p, stride);
    for (int lane = 0; lane < 16; ++lane) {
      m[lane] = _mm512_loadu_si512(p + lane * stride);
    }
    transpose(m);
  }
  static DN_TARGET_AVX512 DN_B3_INLINE void storeCvs(V h[8],
                                                     uint8_t* out) noexcept {
    // Runs once per chunk: two 8x8 transposes of the 256-bit halves.
    __m256i low[8];
    __m256i high[8];
    for (int i = 0; i < 8; ++i) {
      low[i] = _mm512_castsi512_si256(h[i]);
      high[i] = _mm512_extracti64x4_epi64(h[i], 1);
    }
    Avx2x8::storeCvs(low, out);
    Avx2x8::storeCvs(high, out + 8 * 32);
  }
};
#endif

// ---------------------------------------------------------------------------
// The mixing function, rounds and compression loop, generic over the lane
// type. GCC and Clang inline SIMD code only into functions compiled for the
// same (or a wider) instruction set, and a template cannot take its
// instruction set from its arguments, so this code is expanded once per
// instruction set, each copy in its own namespace. `TARGET` is that
// instruction set's attribute (empty for the portable copy).
#define DN_B3_LANE_ALGORITHMS(TARGET)                                        \
  template <class L>                                                         \
  TARGET DN_B3_INLINE void mix(typename L::V& a, typename L::V& b,           \
                               typename L::V& c, typename L::V& d,           \
                               typename L::V x, typename L::V y) noexcept {  \
    a = L::add(L::add(a, b), x);                                             \
    d = L::template rotr<16>(L::bxor(d, a));                                 \
    c = L::add(c, d);                                                        \
    b = L::template rotr<12>(L::bxor(b, c));                                 \
    a = L::add(L::add(a, b), y);                                             \
    d = L::template rotr<8>(L::bxor(d, a));                                  \
    c = L::add(c, d);                                                        \
    b = L::template rotr<7>(L::bxor(b, c));                                  \
  }                                                                          \
                                                                             \
  /* Columns, then diagonals. */                                             \
  template <class L, int R>                                                  \
  TARGET DN_B3_INLINE void round(typename L::V v[16],                        \
                                 const typename L::V m[16]) noexcept {       \
    constexpr const uint8_t* s = kSchedule.word[R];                          \
    mix<L>(v[0], v[4], v[8], v[12], m[s[0]], m[s[1]]);                       \
    mix<L>(v[1], v[5], v[9], v[13], m[s[2]], m[s[3]]);                       \
    mix<L>(v[2], v[6], v[10], v[14], m[s[4]], m[s[5]]);                      \
    mix<L>(v[3], v[7], v[11], v[15], m[s[6]], m[s[7]]);                      \
    mix<L>(v[0], v[5], v[10], v[15], m[s[8]], m[s[9]]);                      \
    mix<L>(v[1], v[6], v[11], v[12], m[s[10]], m[s[11]]);                    \
    mix<L>(v[2], v[7], v[8], v[13], m[s[12]], m[s[13]]);                     \
    mix<L>(v[3], v[4], v[9], v[14], m[s[14]], m[s[15]]);                     \
  }                                                                          \
                                                                             \
  template <class L>                                                         \
  TARGET DN_B3_INLINE void sevenRounds(typename L::V v[16],                  \
                                       const typename L::V m[16]) noexcept { \
    round<L, 0>(v, m);                                                       \
    round<L, 1>(v, m);                                                       \
    round<L, 2>(v, m);                                                       \
    round<L, 3>(v, m);                                                       \
    round<L, 4>(v, m);                                                       \
    round<L, 5>(v, m);                                                       \
    round<L, 6>(v, m);                                                       \
  }                                                                          \
                                                                             \
  /* The first L::kWidth inputs of the batch, side by side. */               \
  template <class L>                                                         \
  TARGET DN_B3_INLINE void compressLanes(const Batch& job) noexcept {        \
    using V = typename L::V;                                                 \
    uint32_t lo[L::kWidth];                                                  \
    uint32_t hi[L::kWidth];                                                  \
    for (size_t i = 0; i < L::kWidth; ++i) {                                 \
      const uint64_t c = job.counter + i * job.counterStep;                  \
      lo[i] = static_cast<uint32_t>(c);                                      \
      hi[i] = static_cast<uint32_t>(c >> 32);                                \
    }                                                                        \
    const V counterLo = L::gather(lo);                                       \
    const V counterHi = L::gather(hi);                                       \
    V h[8];                                                                  \
    for (int i = 0; i < 8; ++i) h[i] = L::splat(kIv[i]);                     \
    for (size_t b = 0; b < job.blocks; ++b) {                                \
      V m[16];                                                               \
      L::loadMessage(job.base + b * kBlockLen, job.stride, m);               \
      uint32_t f = job.flags;                                                \
      if (b == 0) f |= job.firstFlags;                                       \
      if (b + 1 == job.blocks) f |= job.lastFlags;                           \
      /* Every block of a whole chunk is full, so the length is 64. */       \
      V v[16] = {h[0],           h[1],           h[2],                       \
                 h[3],           h[4],           h[5],                       \
                 h[6],           h[7],           L::splat(kIv[0]),           \
                 L::splat(kIv[1]), L::splat(kIv[2]), L::splat(kIv[3]),       \
                 counterLo,      counterHi,      L::splat(kBlockLen),        \
                 L::splat(f)};                                               \
      sevenRounds<L>(v, m);                                                  \
      for (int i = 0; i < 8; ++i) h[i] = L::bxor(v[i], v[i + 8]);            \
    }                                                                        \
    L::storeCvs(h, job.out);                                                 \
  }                                                                          \
                                                                             \
  /* As many groups of L::kWidth inputs as the batch still holds. */         \
  template <class L>                                                         \
  TARGET DN_B3_INLINE void compressGroups(Batch& job) noexcept {             \
    for (; job.count >= L::kWidth; job.count -= L::kWidth) {                 \
      compressLanes<L>(job);                                                 \
      job.base += L::kWidth * job.stride;                                    \
      job.counter += L::kWidth * job.counterStep;                            \
      job.out += L::kWidth * 32;                                             \
    }                                                                        \
  }

// The inputs of a batch one at a time, through compressCore (defined below):
// the tail of every kernel's batch, narrower than its narrowest lanes.
void compressEach(Batch& job) noexcept;

// One copy per instruction set. Each hashMany() takes the widest lanes
// first and finishes the batch with narrower ones.
namespace portable {
DN_B3_LANE_ALGORITHMS()
void hashMany(Batch job) noexcept { compressGroups<Scalar>(job); }
}  // namespace portable

#if defined(DN_B3_SSE2)
namespace sse2 {
DN_B3_LANE_ALGORITHMS(DN_TARGET_SSE2)
DN_TARGET_SSE2 void hashMany(Batch job) noexcept {
  compressGroups<Sse2x4>(job);
  compressEach(job);
}
}  // namespace sse2
#endif

#if defined(DN_B3_SSE41)
namespace sse41 {
DN_B3_LANE_ALGORITHMS(DN_TARGET_SSE41)
DN_TARGET_SSE41 void hashMany(Batch job) noexcept {
  compressGroups<Sse41x4>(job);
  compressEach(job);
}
}  // namespace sse41
#endif

#if defined(DN_B3_AVX2)
namespace avx2 {
DN_B3_LANE_ALGORITHMS(DN_TARGET_AVX2)
DN_TARGET_AVX2 void hashMany(Batch job) noexcept {
  compressGroups<Avx2x8>(job);
  compressGroups<Sse41x4>(job);
  compressEach(job);
}
}  // namespace avx2
#endif

#if defined(DN_B3_AVX512)
namespace avx512 {
DN_B3_LANE_ALGORITHMS(DN_TARGET_AVX512)
DN_TARGET_AVX512 void hashMany(Batch job) noexcept {
  compressGroups<Avx512x16>(job);
  compressGroups<Avx512x8>(job);
  compressGroups<Avx512x4>(job);
  compressEach(job);
}
}  // namespace avx512
#endif

#undef DN_B3_LANE_ALGORITHMS

}  // namespace

// One lane-parallel implementation, and the level the CPU must support.
struct detail::Blake3Kernel {
  const char* name;
  cpu::Simd level;
  void (*hashMany)(Batch job) noexcept;
};

namespace {

using Kernel = detail::Blake3Kernel;

// Best first; the portable kernel runs anywhere and ends the list.
constexpr Kernel kKernels[] = {
#if defined(DN_B3_AVX512)
    {"avx512", cpu::Simd::kAvx512, avx512::hashMany},
#endif
#if defined(DN_B3_AVX2)
    {"avx2", cpu::Simd::kAvx2, avx2::hashMany},
#endif
#if defined(DN_B3_SSE41)
    {"sse4.1", cpu::Simd::kSse41, sse41::hashMany},
#endif
#if defined(DN_B3_SSE2)
    {"sse2", cpu::Simd::kSse2, sse2::hashMany},
#endif
    {"portable", cpu::Simd::kPortable, portable::hashMany},
};

// Chosen on first use, then fixed for the life of the process.
const Kernel* defaultKernel() noexcept {
  static const Kernel* const kernel = &cpu::bestKernel(kKernels, cpu::selectedSimd());
  return kernel;
}

// `count` inputs laid out at a fixed stride; see Batch.
void hashMany(const Kernel& kernel, const uint8_t* base, size_t stride,
              size_t blocks, size_t count, uint64_t counter,
              uint64_t counterStep, uint32_t flags, uint32_t firstFlags,
              uint32_t lastFlags, uint8_t* out) noexcept {
  kernel.hashMany(Batch{base, stride, blocks, count, counter, counterStep,
                        flags, firstFlags, lastFlags, out});
}

// `block` is left CV || right CV; out may alias either half.
void parentCv(const uint8_t block[64], uint8_t out[32]) noexcept {
  uint8_t copy[64];
  std::memcpy(copy, block, 64);
  portable::compressLanes<Scalar>(
      Batch{copy, kBlockLen, 1, 1, 0, 0, kParent, 0, 0, out});
}

// Subtrees up to this many chunks are reduced in a stack buffer with the
// parents compressed lane-parallel too; above it, one scalar parent per
// 256 chunks is noise. (256 measured ~4% faster than 64 with 16 lanes: the
// narrow tail of each parent level matters less.)
constexpr uint64_t kGroupChunks = 256;

// hashSubtree() for chunks <= kGroupChunks. Kept out of line so that only
// one 8 KiB buffer is ever on the stack, not one per level of recursion.
DN_B3_NOINLINE void hashGroup(const Kernel& kernel, const uint8_t* data,
                              uint64_t chunks, uint64_t counter, uint8_t* out,
                              uint64_t halves) noexcept {
  uint8_t cvs[kGroupChunks * 32];
  hashMany(kernel, data, kChunkLen, kBlocksPerChunk,
           static_cast<size_t>(chunks), counter, 1, 0, kChunkStart, kChunkEnd,
           cvs);
  // Adjacent CV pairs already form parent blocks. Reducing in place is
  // safe: parent i is written at 32*i, at or below its own input at 64*i,
  // and each lane group loads its inputs before storing.
  for (; chunks > halves; chunks /= 2) {
    hashMany(kernel, cvs, kBlockLen, 1, static_cast<size_t>(chunks / 2), 0, 0,
             kParent, 0, 0, cvs);
  }
  std::memcpy(out, cvs, static_cast<size_t>(halves) * 32);
}

// Chaining value(s) of the complete subtree of `chunks` whole chunks (a
// power of two) whose first chunk has absolute index `counter`. With
// halves == 1, writes its 32-byte CV. With halves == 2 (needs chunks >= 2),
// writes the CVs of its two halves instead, i.e. its parent block, so the
// caller can still finalize it as the root.
void hashSubtree(const Kernel& kernel, const uint8_t* data, uint64_t chunks,
                 uint64_t counter, uint8_t* out, uint64_t halves) noexcept {
  if (chunks <= kGroupChunks) {
    hashGroup(kernel, data, chunks, counter, out, halves);
    return;
  }
  const uint64_t half = chunks / 2;
  uint8_t pair[64];
  hashSubtree(kernel, data, half, counter, pair, 1);
  hashSubtree(kernel, data + half * kChunkLen, half, counter + half, pair + 32,
              1);
  if (halves == 2) {
    std::memcpy(out, pair, 64);
  } else {
    parentCv(pair, out);
  }
}

#if defined(DN_B3_SSE41)
// One compression with the state as four rows of a 4x4 matrix: the four
// column (then diagonal) mixes of a round run side by side in one register
// each, the diagonals reached by rotating rows. Plain 32-bit code keeps all
// 16 state and 16 message words live, more than the registers hold: a 1 KiB
// input (16 compressions) took 5.7 us that way here, 3x this.
DN_TARGET_SSE41 DN_B3_INLINE __m128i rowRot16(__m128i x) noexcept {
  return _mm_shuffle_epi8(x, _mm_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13));
}
DN_TARGET_SSE41 DN_B3_INLINE __m128i rowRot8(__m128i x) noexcept {
  return _mm_shuffle_epi8(x, _mm_setr_epi8(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12));
}
template <int N>
DN_TARGET_SSE41 DN_B3_INLINE __m128i rowRot(__m128i x) noexcept {
  return _mm_or_si128(_mm_srli_epi32(x, N), _mm_slli_epi32(x, 32 - N));
}
DN_TARGET_SSE41 DN_B3_INLINE void rowMix(__m128i& a, __m128i& b, __m128i& c, __m128i& d, __m128i x,
                                         __m128i y) noexcept {
  a = _mm_add_epi32(_mm_add_epi32(a, b), x);
  d = rowRot16(_mm_xor_si128(d, a));
  c = _mm_add_epi32(c, d);
  b = rowRot<12>(_mm_xor_si128(b, c));
  a = _mm_add_epi32(_mm_add_epi32(a, b), y);
  d = rowRot8(_mm_xor_si128(d, a));
  c = _mm_add_epi32(c, d);
  b = rowRot<7>(_mm_xor_si128(b, c));
}
template <int R>
DN_TARGET_SSE41 DN_B3_INLINE void rowRound(__m128i& a, __m128i& b, __m128i& c, __m128i& d,
                                           const uint32_t m[16]) noexcept {
  constexpr const uint8_t* s = kSchedule.word[R];
  rowMix(a, b, c, d, _mm_setr_epi32(int(m[s[0]]), int(m[s[2]]), int(m[s[4]]), int(m[s[6]])),
         _mm_setr_epi32(int(m[s[1]]), int(m[s[3]]), int(m[s[5]]), int(m[s[7]])));
  b = _mm_shuffle_epi32(b, 0x39);
  c = _mm_shuffle_epi32(c, 0x4E);
  d = _mm_shuffle_epi32(d, 0x93);
  rowMix(a, b, c, d, _mm_setr_epi32(int(m[s[8]]), int(m[s[10]]), int(m[s[12]]), int(m[s[14]])),
         _mm_setr_epi32(int(m[s[9]]), int(m[s[11]]), int(m[s[13]]), int(m[s[15]])));
  b = _mm_shuffle_epi32(b, 0x93);
  c = _mm_shuffle_epi32(c, 0x4E);
  d = _mm_shuffle_epi32(d, 0x39);
}
DN_TARGET_SSE41 void compressRows(const uint32_t cv[8], const uint8_t block[64], uint64_t counter,
                                  uint32_t blockLen, uint32_t flags, uint32_t v[16]) noexcept {
  uint32_t m[16];
  Scalar::loadMessage(block, 0, m);
  __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(cv));
  __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(cv + 4));
  __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kIv));
  __m128i d = _mm_setr_epi32(int(uint32_t(counter)), int(uint32_t(counter >> 32)), int(blockLen), int(flags));
  rowRound<0>(a, b, c, d, m);
  rowRound<1>(a, b, c, d, m);
  rowRound<2>(a, b, c, d, m);
  rowRound<3>(a, b, c, d, m);
  rowRound<4>(a, b, c, d, m);
  rowRound<5>(a, b, c, d, m);
  rowRound<6>(a, b, c, d, m);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(v), a);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(v + 4), b);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(v + 8), c);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(v + 12), d);
}
#endif

// Runs one compression; v receives the final 16-word state.
void compressCore(const uint32_t cv[8], const uint8_t block[64],
                  uint64_t counter, uint32_t blockLen, uint32_t flags,
                  uint32_t v[16]) noexcept {
#if defined(DN_B3_SSE41)
  static const bool rows = cpu::selectedSimd() >= cpu::Simd::kSse41;
  if (rows) {
    compressRows(cv, block, counter, blockLen, flags, v);
    return;
  }
#endif
  uint32_t m[16];
  Scalar::loadMessage(block, 0, m);
  for (int i = 0; i < 8; ++i) v[i] = cv[i];
  for (int i = 0; i < 4; ++i) v[8 + i] = kIv[i];
  v[12] = static_cast<uint32_t>(counter);
  v[13] = static_cast<uint32_t>(counter >> 32);
  v[14] = blockLen;
  v[15] = flags;
  portable::sevenRounds<Scalar>(v, m);
}

void compressInPlace(uint32_t cv[8], const uint8_t block[64], uint64_t counter,
                     uint32_t blockLen, uint32_t flags) noexcept {
  uint32_t v[16];
  compressCore(cv, block, counter, blockLen, flags, v);
  for (int i = 0; i < 8; ++i) cv[i] = v[i] ^ v[i + 8];
}

void compressEach(Batch& job) noexcept {
  for (; job.count > 0; --job.count) {
    uint32_t h[8];
    std::memcpy(h, kIv, sizeof h);
    for (size_t b = 0; b < job.blocks; ++b) {
      uint32_t f = job.flags;
      if (b == 0) f |= job.firstFlags;
      if (b + 1 == job.blocks) f |= job.lastFlags;
      compressInPlace(h, job.base + b * kBlockLen, job.counter, uint32_t(kBlockLen), f);
    }
    for (int i = 0; i < 8; ++i) store_u32_le(job.out + 4 * i, h[i]);
    job.base += job.stride;
    job.counter += job.counterStep;
    job.out += 32;
  }
}

}  // namespace

// A node whose final compression has not run yet: whether it is the root
// decides its flags, and the root may be squeezed for more than 32 bytes.
struct Blake3::Node {
  uint32_t cv[8];
  uint8_t block[64];
  uint64_t counter;
  uint32_t blockLen;
  uint32_t flags;

  void chainingValue(uint8_t out[32]) const noexcept {
    uint32_t v[16];
    compressCore(cv, block, counter, blockLen, flags, v);
    for (int i = 0; i < 8; ++i) store_u32_le(out + 4 * i, v[i] ^ v[i + 8]);
  }

  void rootBytes(uint8_t* out, size_t length) const noexcept {
    // Extended output: the root compression is repeated with the output
    // block index in the counter, and all 16 state words are used.
    for (uint64_t index = 0; length > 0; ++index) {
      uint32_t v[16];
      compressCore(cv, block, index, blockLen, flags | kRoot, v);
      uint8_t bytes[64];
      for (int i = 0; i < 8; ++i) {
        store_u32_le(bytes + 4 * i, v[i] ^ v[i + 8]);
        store_u32_le(bytes + 32 + 4 * i, v[i + 8] ^ cv[i]);
      }
      const size_t take = length < 64 ? length : 64;
      std::memcpy(out, bytes, take);
      out += take;
      length -= take;
    }
  }

  static Node parent(const uint8_t block[64]) noexcept {
    Node n;
    std::memcpy(n.cv, kIv, sizeof n.cv);
    std::memcpy(n.block, block, 64);
    n.counter = 0;
    n.blockLen = kBlockLen;
    n.flags = kParent;
    return n;
  }
};

Blake3::Blake3() noexcept : kernel_(defaultKernel()) { reset(); }

Blake3 Blake3::startingAtChunk(uint64_t chunkIndex) noexcept {
  Blake3 h;
  h.firstChunk_ = chunkIndex;
  return h;
}

void Blake3::reset() noexcept {
  stackLen_ = 0;
  firstChunk_ = 0;
  committed_ = 0;
  resetTail();
}

void Blake3::resetTail() noexcept {
  std::memcpy(tailCv_, kIv, sizeof tailCv_);
  std::memset(tailBlock_, 0, sizeof tailBlock_);
  tailBlockLen_ = 0;
  tailBlocksDone_ = 0;
  pairChunks_ = 0;
}

uint64_t Blake3::chunkBytes() const noexcept {
  return pairChunks_ != 0 ? 0 : uint64_t(tailBlocksDone_) * kBlockLen + tailBlockLen_;
}

bool Blake3::empty() const noexcept {
  return committed_ == 0 && pairChunks_ == 0 && tailBlocksDone_ == 0 &&
         tailBlockLen_ == 0;
}

void Blake3::tailNode(Node* node) const noexcept {
  if (pairChunks_ != 0) {
    *node = Node::parent(tailBlock_);
    return;
  }
  std::memcpy(node->cv, tailCv_, sizeof node->cv);
  std::memset(node->block, 0, sizeof node->block);  // short blocks are zero-padded
  std::memcpy(node->block, tailBlock_, tailBlockLen_);
  node->counter = firstChunk_ + committed_;
  node->blockLen = tailBlockLen_;
  node->flags = kChunkEnd | (tailBlocksDone_ == 0 ? kChunkStart : 0);
}

void Blake3::absorbChunkBytes(const uint8_t* data, size_t length) noexcept {
  const uint64_t chunkIndex = firstChunk_ + committed_;
  while (length > 0) {
    if (tailBlockLen_ == kBlockLen) {
      // More bytes are coming, so the buffered block does not end the chunk.
      compressInPlace(tailCv_, tailBlock_, chunkIndex, kBlockLen,
                      tailBlocksDone_ == 0 ? kChunkStart : 0);
      ++tailBlocksDone_;
      tailBlockLen_ = 0;
    }
    if (tailBlockLen_ == 0) {
      // Skip the copy, but keep the last available block buffered: it may
      // turn out to be the chunk's final block.
      while (length > kBlockLen) {
        compressInPlace(tailCv_, data, chunkIndex, kBlockLen,
                        tailBlocksDone_ == 0 ? kChunkStart : 0);
        ++tailBlocksDone_;
        data += kBlockLen;
        length -= kBlockLen;
      }
    }
    const size_t room = kBlockLen - tailBlockLen_;
    const size_t take = length < room ? length : room;
    std::memcpy(tailBlock_ + tailBlockLen_, data, take);
    tailBlockLen_ += static_cast<uint32_t>(take);
    data += take;
    length -= take;
  }
}

void Blake3::pushSubtree(const uint8_t cv[32], uint64_t chunkCount) noexcept {
  uint8_t block[64];
  std::memcpy(block + 32, cv, 32);
  committed_ += chunkCount;
  // Each carry past this subtree's bit in committed_ means two equal-sized
  // neighbours are now complete and merge into their parent.
  for (uint64_t units = committed_ / chunkCount; (units & 1) == 0; units >>= 1) {
    --stackLen_;
    std::memcpy(block, stack_[stackLen_], 32);
    parentCv(block, block + 32);
  }
  std::memcpy(stack_[stackLen_], block + 32, 32);
  ++stackLen_;
}

void Blake3::commitTail() noexcept {
  Node node;
  tailNode(&node);
  uint8_t cv[32];
  node.chainingValue(cv);
  const uint64_t chunkCount = pairChunks_ != 0 ? pairChunks_ : 1;
  resetTail();
  pushSubtree(cv, chunkCount);
}

void Blake3::update(const uint8_t* data, size_t length) noexcept {
  while (length > 0) {
    if (pairChunks_ != 0 || chunkBytes() == kChunkLen) {
      commitTail();  // more input proves the tail is not the root
    }
    const uint64_t have = chunkBytes();
    if (have == 0 && length > kChunkLen) {
      uint64_t chunks = floorPowerOfTwo(length / kChunkLen);
      // A subtree must start at a multiple of its own size.
      while ((committed_ & (chunks - 1)) != 0) chunks >>= 1;
      if (chunks >= 2) {
        hashSubtree(*kernel_, data, chunks, firstChunk_ + committed_,
                    tailBlock_, 2);
        pairChunks_ = chunks;
        data += chunks * kChunkLen;
        length -= static_cast<size_t>(chunks * kChunkLen);
        continue;
      }
    }
    const size_t room = static_cast<size_t>(kChunkLen - have);
    const size_t take = length < room ? length : room;
    absorbChunkBytes(data, take);
    data += take;
    length -= take;
  }
}

void Blake3::finalize(uint8_t* out, size_t outLength) const noexcept {
  Node node;
  tailNode(&node);
  // Fold the right edge of the tree from the bottom up.
  for (uint32_t i = stackLen_; i-- > 0;) {
    uint8_t block[64];
    std::memcpy(block, stack_[i], 32);
    node.chainingValue(block + 32);
    node = Node::parent(block);
  }
  node.rootBytes(out, outLength);
}

bool Blake3::append(const Blake3& following) noexcept {
  if (following.empty()) return true;
  if (empty()) {
    if (following.firstChunk_ != firstChunk_) return false;
    const Kernel* const kernel = kernel_;
    *this = following;
    kernel_ = kernel;  // keep this hasher's own choice
    return true;
  }
  uint64_t tailChunks = pairChunks_;
  if (tailChunks == 0) {
    if (chunkBytes() != kChunkLen) return false;
    tailChunks = 1;
  }
  const uint64_t before = committed_ + tailChunks;
  if (following.firstChunk_ != firstChunk_ + before) return false;
  // following's biggest stacked subtree and its tail pair must land on
  // multiples of their own sizes in the combined tree too.
  uint64_t alignment = following.pairChunks_;
  if (following.committed_ != 0) {
    const uint64_t biggest = floorPowerOfTwo(following.committed_);
    if (biggest > alignment) alignment = biggest;
  }
  if (alignment != 0 && (before & (alignment - 1)) != 0) return false;

  commitTail();
  uint64_t rest = following.committed_;
  for (uint32_t i = 0; i < following.stackLen_; ++i) {
    const uint64_t size = floorPowerOfTwo(rest);  // stack is biggest first
    rest -= size;
    pushSubtree(following.stack_[i], size);
  }
  std::memcpy(tailCv_, following.tailCv_, sizeof tailCv_);
  std::memcpy(tailBlock_, following.tailBlock_, sizeof tailBlock_);
  tailBlockLen_ = following.tailBlockLen_;
  tailBlocksDone_ = following.tailBlocksDone_;
  pairChunks_ = following.pairChunks_;
  return true;
}

void blake3(const uint8_t* data, size_t length, uint8_t out[32]) noexcept {
  Blake3 h;
  h.update(data, length);
  h.finalize(out, Blake3::kDigestLength);
}

bool Blake3::selectSimdPath(const char* path) noexcept {
  const Kernel* kernel = cpu::supportedKernelNamed(kKernels, path);
  if (kernel == nullptr) return false;
  kernel_ = kernel;
  return true;
}

const char* Blake3::simdPath() const noexcept { return kernel_->name; }

const char* blake3SimdPath() noexcept { return defaultKernel()->name; }

const char* const* blake3SimdPaths() noexcept { return cpu::supportedKernelNames(kKernels); }

}  // namespace deltanode
