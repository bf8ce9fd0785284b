// BLAKE2b (RFC 7693). The compression function is fully unrolled so every
// message-schedule index is a compile-time constant and the 16-word working
// vector can live in registers.
//
// Where the compiler can build it (see cpu_features.h), an AVX2 version of
// the compression function is compiled too, and used when the CPU supports
// it (checked once, at run time), and so is a version that hashes four
// messages of one length at once (blake2bMany). DELTANODE_BLAKE2B_PORTABLE
// leaves only the portable code.
#include "hash_blake2b.h"
#include "byte_order.h"
#include "cpu_features.h"

#include <cstring>

#if !defined(DELTANODE_BLAKE2B_PORTABLE)
#if DN_SIMD_AVX2
#define DN_B2_AVX2 1
#endif
#endif

#if defined(_MSC_VER) && !defined(__clang__)
#define DN_B2_INLINE __forceinline
#else
#define DN_B2_INLINE inline __attribute__((always_inline))
#endif

namespace deltanode {
namespace {

constexpr size_t kBlockBytes = 128;
constexpr size_t kMaxOut = 64;

// Same words as the SHA-512 initial hash value (RFC 7693 section 2.6).
constexpr uint64_t kIv[8] = {
    0x6A09E667F3BCC908ull, 0xBB67AE8584CAA73Bull, 0x3C6EF372FE94F82Bull,
    0xA54FF53A5F1D36F1ull, 0x510E527FADE682D1ull, 0x9B05688C2B3E6C1Full,
    0x1F83D9ABFB41BD6Bull, 0x5BE0CD19137E2179ull};

size_t clampOut(size_t n) noexcept { return n > kMaxOut ? kMaxOut : n; }

// Parameter block word 0 for an unkeyed sequential hash: digest length,
// key length 0, fanout 1, depth 1 (RFC 7693 section 2.5).
inline void initState(uint64_t h[8], size_t outLen) noexcept {
  for (int i = 0; i < 8; ++i) h[i] = kIv[i];
  h[0] ^= 0x01010000ull ^ static_cast<uint64_t>(outLen);
}

// Adds to the 128-bit byte counter {t0, t1}.
inline void addToCounter(uint64_t& t0, uint64_t& t1, uint64_t n) noexcept {
  t0 += n;
  t1 += (t0 < n);
}

// Every compression function below takes `lastMask` as all-ones for the
// final block and zero otherwise, so the finalization flag costs no branch.
// The dispatched entry points compress `count` consecutive blocks, adding
// `increment` to the counter before each one.
using CompressBlocksFn = void (*)(uint64_t h[8], const uint8_t* blocks,
                                  size_t count, uint64_t& t0, uint64_t& t1,
                                  uint64_t increment,
                                  uint64_t lastMask) noexcept;

// The message schedule of all twelve rounds: SIGMA rows 0..9, then rows 0 and 1 again. Each
// kernel defines DN_B2_ROUND for its own registers before using this.
#define DN_B2_TWELVE_ROUNDS                                              \
  DN_B2_ROUND(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);     \
  DN_B2_ROUND(14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3);     \
  DN_B2_ROUND(11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4);     \
  DN_B2_ROUND(7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8);     \
  DN_B2_ROUND(9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13);     \
  DN_B2_ROUND(2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9);     \
  DN_B2_ROUND(12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11);     \
  DN_B2_ROUND(13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10);     \
  DN_B2_ROUND(6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5);     \
  DN_B2_ROUND(10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0);     \
  DN_B2_ROUND(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);     \
  DN_B2_ROUND(14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3)

// One round over the working words v0..v15 with the message permutation SIGMA[r] spelled out as
// literals: four column steps, then four diagonal ones, each through the kernel's own DN_B2_G
// (on 64-bit words, or on vectors with one message per lane).
#define DN_B2_WORD_ROUND(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, \
                         s12, s13, s14, s15)                                \
  do {                                                                     \
    DN_B2_G(v0, v4, v8, v12, m[s0], m[s1]);                                 \
    DN_B2_G(v1, v5, v9, v13, m[s2], m[s3]);                                 \
    DN_B2_G(v2, v6, v10, v14, m[s4], m[s5]);                                \
    DN_B2_G(v3, v7, v11, v15, m[s6], m[s7]);                                \
    DN_B2_G(v0, v5, v10, v15, m[s8], m[s9]);                                \
    DN_B2_G(v1, v6, v11, v12, m[s10], m[s11]);                              \
    DN_B2_G(v2, v7, v8, v13, m[s12], m[s13]);                               \
    DN_B2_G(v3, v4, v9, v14, m[s14], m[s15]);                               \
  } while (0)

// --------------------------------------------------------------------------
// Portable version.

inline uint64_t rotr64(uint64_t x, unsigned n) noexcept {
  return (x >> n) | (x << (64 - n));  // n is 16, 24, 32 or 63, never 0
}

// Mixing function G (RFC 7693 section 3.1).
#define DN_B2_G(a, b, c, d, x, y) \
  do {                            \
    a = a + (x) + b;              \
    d = rotr64(d ^ a, 32);        \
    c = c + d;                    \
    b = rotr64(b ^ c, 24);        \
    a = a + (y) + b;              \
    d = rotr64(d ^ a, 16);        \
    c = c + d;                    \
    b = rotr64(b ^ c, 63);        \
  } while (0)

#define DN_B2_ROUND DN_B2_WORD_ROUND

// Compression function F (RFC 7693 section 3.2).
DN_B2_INLINE void compressPortable(uint64_t h[8], const uint8_t* block,
                                   uint64_t t0, uint64_t t1,
                                   uint64_t lastMask) noexcept {
  uint64_t m[16];
  for (int i = 0; i < 16; ++i) m[i] = load_u64_le(block + 8 * i);

  uint64_t v0 = h[0], v1 = h[1], v2 = h[2], v3 = h[3];
  uint64_t v4 = h[4], v5 = h[5], v6 = h[6], v7 = h[7];
  uint64_t v8 = kIv[0], v9 = kIv[1], v10 = kIv[2], v11 = kIv[3];
  uint64_t v12 = kIv[4] ^ t0, v13 = kIv[5] ^ t1;
  uint64_t v14 = kIv[6] ^ lastMask, v15 = kIv[7];

  DN_B2_TWELVE_ROUNDS;

  h[0] ^= v0 ^ v8;  h[1] ^= v1 ^ v9;  h[2] ^= v2 ^ v10; h[3] ^= v3 ^ v11;
  h[4] ^= v4 ^ v12; h[5] ^= v5 ^ v13; h[6] ^= v6 ^ v14; h[7] ^= v7 ^ v15;
}

#undef DN_B2_ROUND
#undef DN_B2_G

void compressBlocksPortable(uint64_t h[8], const uint8_t* blocks, size_t count,
                            uint64_t& t0, uint64_t& t1, uint64_t increment,
                            uint64_t lastMask) noexcept {
  for (size_t i = 0; i < count; ++i) {
    addToCounter(t0, t1, increment);
    compressPortable(h, blocks + i * kBlockBytes, t0, t1, lastMask);
  }
}

// --------------------------------------------------------------------------
// Row-parallel SIMD version: each row of the 4x4 working matrix lives in one
// ymm register, so one vector G performs the four G calls of a half-round.
// Measured ~10% faster than the portable code on 2 KiB blocks; a single
// message is latency-bound, so wider vectors would not help much more. Nor
// did AVX-512VL's native 64-bit rotates: they measured ~10% slower here
// than the shuffles and shifts below.

#if defined(DN_B2_AVX2)

// Built from broadcasts and blends rather than element inserts: that keeps
// the message gather off the shuffle port, which the rotations and row
// permutations already keep busy (measured a few percent faster).
DN_TARGET_AVX2 DN_B2_INLINE __m256i words(const uint64_t* m, int i0, int i1,
                                          int i2, int i3) noexcept {
  const __m256i w0 = _mm256_set1_epi64x(static_cast<long long>(m[i0]));
  const __m256i w1 = _mm256_set1_epi64x(static_cast<long long>(m[i1]));
  const __m256i w2 = _mm256_set1_epi64x(static_cast<long long>(m[i2]));
  const __m256i w3 = _mm256_set1_epi64x(static_cast<long long>(m[i3]));
  const __m256i lo = _mm256_blend_epi32(w0, w1, 0x0C);  // lanes 0,1
  const __m256i hi = _mm256_blend_epi32(w2, w3, 0xC0);  // lanes 2,3
  return _mm256_blend_epi32(lo, hi, 0xF0);
}

// The message word is added to `a` first because `b` was written last; that
// keeps one add off the dependency chain.
#define DN_B2_HALF_G(x, y)                                              \
  do {                                                                  \
    a = _mm256_add_epi64(_mm256_add_epi64(a, (x)), b);                  \
    d = rotr32v(_mm256_xor_si256(d, a));                                \
    c = _mm256_add_epi64(c, d);                                         \
    b = rotr24v(_mm256_xor_si256(b, c));                                \
    a = _mm256_add_epi64(_mm256_add_epi64(a, (y)), b);                  \
    d = rotr16v(_mm256_xor_si256(d, a));                                \
    c = _mm256_add_epi64(c, d);                                         \
    b = rotr63v(_mm256_xor_si256(b, c));                                \
  } while (0)

// Diagonal step: rows a, c and d are rotated against an unmoved b, so the
// diagonal G calls 5,6,7,8 (starting at v0,v1,v2,v3) land in lanes 1,2,3,0.
// b is the most recently written row; leaving it in place keeps the 3-cycle
// lane permute off the critical path. The message words follow that order.
#define DN_B2_ROUND(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, \
                    s13, s14, s15)                                          \
  do {                                                                      \
    DN_B2_HALF_G(words(m, s0, s2, s4, s6), words(m, s1, s3, s5, s7));       \
    a = _mm256_permute4x64_epi64(a, _MM_SHUFFLE(2, 1, 0, 3));               \
    c = _mm256_permute4x64_epi64(c, _MM_SHUFFLE(0, 3, 2, 1));               \
    d = _mm256_permute4x64_epi64(d, _MM_SHUFFLE(1, 0, 3, 2));               \
    DN_B2_HALF_G(words(m, s14, s8, s10, s12),                               \
                 words(m, s15, s9, s11, s13));                              \
    a = _mm256_permute4x64_epi64(a, _MM_SHUFFLE(0, 3, 2, 1));               \
    c = _mm256_permute4x64_epi64(c, _MM_SHUFFLE(2, 1, 0, 3));               \
    d = _mm256_permute4x64_epi64(d, _MM_SHUFFLE(1, 0, 3, 2));               \
  } while (0)

namespace avx2 {

DN_TARGET_AVX2 DN_B2_INLINE __m256i rotr32v(__m256i x) noexcept {
  return _mm256_shuffle_epi32(x, _MM_SHUFFLE(2, 3, 0, 1));
}
// Byte rotations are a single shuffle; masks pick source byte (i+k) mod 8.
DN_TARGET_AVX2 DN_B2_INLINE __m256i rotr24v(__m256i x) noexcept {
  const __m256i k = _mm256_setr_epi8(
      3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10,
      3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10);
  return _mm256_shuffle_epi8(x, k);
}
DN_TARGET_AVX2 DN_B2_INLINE __m256i rotr16v(__m256i x) noexcept {
  const __m256i k = _mm256_setr_epi8(
      2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9,
      2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9);
  return _mm256_shuffle_epi8(x, k);
}
// Rotate right by 63 == rotate left by 1; x + x is the cheapest shift by 1.
DN_TARGET_AVX2 DN_B2_INLINE __m256i rotr63v(__m256i x) noexcept {
  return _mm256_or_si256(_mm256_srli_epi64(x, 63), _mm256_add_epi64(x, x));
}

DN_TARGET_AVX2 DN_B2_INLINE void compress(uint64_t h[8], const uint8_t* block,
                                          uint64_t t0, uint64_t t1,
                                          uint64_t lastMask) noexcept {
  uint64_t m[16];
  for (int i = 0; i < 16; ++i) m[i] = load_u64_le(block + 8 * i);

  const __m256i h0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(h));
  const __m256i h1 =
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(h + 4));
  __m256i a = h0, b = h1;
  __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kIv));
  __m256i d = _mm256_xor_si256(
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kIv + 4)),
      _mm256_set_epi64x(0, static_cast<long long>(lastMask),
                        static_cast<long long>(t1),
                        static_cast<long long>(t0)));

  DN_B2_TWELVE_ROUNDS;

  _mm256_storeu_si256(reinterpret_cast<__m256i*>(h),
                      _mm256_xor_si256(h0, _mm256_xor_si256(a, c)));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(h + 4),
                      _mm256_xor_si256(h1, _mm256_xor_si256(b, d)));
}

DN_TARGET_AVX2 void compressBlocks(uint64_t h[8], const uint8_t* blocks,
                                   size_t count, uint64_t& t0, uint64_t& t1,
                                   uint64_t increment,
                                   uint64_t lastMask) noexcept {
  for (size_t i = 0; i < count; ++i) {
    addToCounter(t0, t1, increment);
    compress(h, blocks + i * kBlockBytes, t0, t1, lastMask);
  }
}

}  // namespace avx2

#undef DN_B2_ROUND
#undef DN_B2_HALF_G

// --------------------------------------------------------------------------
// Message-parallel version: each 64-bit lane belongs to another message, so
// four independent hashes advance per instruction instead of one hash's four
// columns. No lane permutes and no dependency chain across lanes: 2.2-2.4
// GB/s per core on 32 KiB blocks against 0.9 one message at a time (AMD
// EPYC, 2026-12-07; see blake2bMany).

namespace avx2x4 {

DN_TARGET_AVX2 DN_B2_INLINE __m256i broadcast(uint64_t word) noexcept {
  return _mm256_set1_epi64x(static_cast<long long>(word));
}

// Words 4q..4q+3 of the four lanes' blocks, transposed so m[4q+i] holds word
// 4q+i of every lane.
DN_TARGET_AVX2 DN_B2_INLINE void loadWords(const uint8_t* const block[4],
                                           __m256i m[16]) noexcept {
  for (int q = 0; q < 4; ++q) {
    const __m256i r0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block[0] + 32 * q));
    const __m256i r1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block[1] + 32 * q));
    const __m256i r2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block[2] + 32 * q));
    const __m256i r3 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block[3] + 32 * q));
    const __m256i t0 = _mm256_unpacklo_epi64(r0, r1);  // 0 of lanes 0,1 | 2 of lanes 0,1
    const __m256i t1 = _mm256_unpackhi_epi64(r0, r1);  // 1 ... | 3 ...
    const __m256i t2 = _mm256_unpacklo_epi64(r2, r3);
    const __m256i t3 = _mm256_unpackhi_epi64(r2, r3);
    m[4 * q + 0] = _mm256_permute2x128_si256(t0, t2, 0x20);
    m[4 * q + 1] = _mm256_permute2x128_si256(t1, t3, 0x20);
    m[4 * q + 2] = _mm256_permute2x128_si256(t0, t2, 0x31);
    m[4 * q + 3] = _mm256_permute2x128_si256(t1, t3, 0x31);
  }
}

#define DN_B2_G(a, b, c, d, x, y)                              \
  do {                                                         \
    a = _mm256_add_epi64(_mm256_add_epi64(a, (x)), b);         \
    d = avx2::rotr32v(_mm256_xor_si256(d, a));                 \
    c = _mm256_add_epi64(c, d);                                \
    b = avx2::rotr24v(_mm256_xor_si256(b, c));                 \
    a = _mm256_add_epi64(_mm256_add_epi64(a, (y)), b);         \
    d = avx2::rotr16v(_mm256_xor_si256(d, a));                 \
    c = _mm256_add_epi64(c, d);                                \
    b = avx2::rotr63v(_mm256_xor_si256(b, c));                 \
  } while (0)

#define DN_B2_ROUND DN_B2_WORD_ROUND

// The lanes share the byte counter (their messages have one length), so it
// and the final flag are broadcast.
DN_TARGET_AVX2 DN_B2_INLINE void compress(__m256i h[8], const uint8_t* const block[4],
                                          uint64_t t0, uint64_t lastMask) noexcept {
  __m256i m[16];
  loadWords(block, m);
  __m256i v0 = h[0], v1 = h[1], v2 = h[2], v3 = h[3];
  __m256i v4 = h[4], v5 = h[5], v6 = h[6], v7 = h[7];
  __m256i v8 = broadcast(kIv[0]), v9 = broadcast(kIv[1]);
  __m256i v10 = broadcast(kIv[2]), v11 = broadcast(kIv[3]);
  __m256i v12 = broadcast(kIv[4] ^ t0), v13 = broadcast(kIv[5]);
  __m256i v14 = broadcast(kIv[6] ^ lastMask), v15 = broadcast(kIv[7]);

  DN_B2_TWELVE_ROUNDS;

  h[0] = _mm256_xor_si256(h[0], _mm256_xor_si256(v0, v8));
  h[1] = _mm256_xor_si256(h[1], _mm256_xor_si256(v1, v9));
  h[2] = _mm256_xor_si256(h[2], _mm256_xor_si256(v2, v10));
  h[3] = _mm256_xor_si256(h[3], _mm256_xor_si256(v3, v11));
  h[4] = _mm256_xor_si256(h[4], _mm256_xor_si256(v4, v12));
  h[5] = _mm256_xor_si256(h[5], _mm256_xor_si256(v5, v13));
  h[6] = _mm256_xor_si256(h[6], _mm256_xor_si256(v6, v14));
  h[7] = _mm256_xor_si256(h[7], _mm256_xor_si256(v7, v15));
}

#undef DN_B2_ROUND
#undef DN_B2_G

// Four messages of `length` bytes (under 2^64, so the counter's high word
// stays zero); digest k goes to out + k * outLen.
DN_TARGET_AVX2 void hashGroup(const uint8_t* const messages[], size_t length,
                              uint8_t* out, size_t outLen) noexcept {
  __m256i h[8];
  for (int i = 0; i < 8; ++i) h[i] = broadcast(kIv[i]);
  h[0] = _mm256_xor_si256(h[0], broadcast(0x01010000ull ^ outLen));
  const size_t before = length == 0 ? 0 : (length - 1) / kBlockBytes;
  const uint8_t* block[4];
  uint64_t t0 = 0;
  for (size_t b = 0; b < before; ++b) {
    for (int k = 0; k < 4; ++k) block[k] = messages[k] + b * kBlockBytes;
    t0 += kBlockBytes;
    compress(h, block, t0, 0);
  }
  const size_t rest = length - before * kBlockBytes;
  alignas(32) uint8_t last[4][kBlockBytes] = {};
  for (int k = 0; k < 4; ++k) {
    if (rest != 0) std::memcpy(last[k], messages[k] + before * kBlockBytes, rest);
    block[k] = last[k];
  }
  compress(h, block, t0 + rest, ~0ull);
  alignas(32) uint64_t words[8][4];
  for (int i = 0; i < 8; ++i) _mm256_store_si256(reinterpret_cast<__m256i*>(words[i]), h[i]);
  for (int k = 0; k < 4; ++k) {
    uint8_t full[kMaxOut];
    for (int i = 0; i < 8; ++i) store_u64_le(full + 8 * i, words[i][k]);
    std::memcpy(out + k * outLen, full, outLen);
  }
}

}  // namespace avx2x4

#endif  // DN_B2_AVX2

#undef DN_B2_TWELVE_ROUNDS
#undef DN_B2_WORD_ROUND

// --------------------------------------------------------------------------
// Choice of compression function.

struct Kernel {
  const char* name;
  cpu::Simd level;  // what the CPU must support
  CompressBlocksFn compressBlocks;
};

// Best first; the portable version runs anywhere and ends the list.
constexpr Kernel kKernels[] = {
#if defined(DN_B2_AVX2)
    {"avx2", cpu::Simd::kAvx2, avx2::compressBlocks},
#endif
    {"portable", cpu::Simd::kPortable, compressBlocksPortable},
};

// Chosen on first use, then fixed for the life of the process.
const Kernel& defaultKernel() noexcept {
  static const Kernel& kernel = cpu::bestKernel(kKernels, cpu::selectedSimd());
  return kernel;
}

inline void writeDigest(const uint64_t h[8], uint8_t* out,
                        size_t outLen) noexcept {
  uint8_t full[kMaxOut];
  for (int i = 0; i < 8; ++i) store_u64_le(full + 8 * i, h[i]);
  std::memcpy(out, full, outLen);
}

void oneShot(CompressBlocksFn compressBlocks, const uint8_t* data,
             size_t length, uint8_t* out, size_t outLength) noexcept {
  const size_t outLen = clampOut(outLength);
  if (outLen == 0) return;
  uint64_t h[8];
  initState(h, outLen);

  // The last block (possibly empty) must carry the final flag, so only
  // blocks strictly before it are compressed in place.
  uint64_t t0 = 0, t1 = 0;
  const size_t before = length == 0 ? 0 : (length - 1) / kBlockBytes;
  compressBlocks(h, data, before, t0, t1, kBlockBytes, 0);
  const size_t rest = length - before * kBlockBytes;
  uint8_t last[kBlockBytes] = {};
  if (rest != 0) std::memcpy(last, data + before * kBlockBytes, rest);
  compressBlocks(h, last, 1, t0, t1, rest, ~0ull);
  writeDigest(h, out, outLen);
}

// Several messages of one length at once: `lanes` per call of hashGroup.
using HashGroupFn = void (*)(const uint8_t* const messages[], size_t length,
                             uint8_t* out, size_t outLen) noexcept;

void hashOnePortable(const uint8_t* const messages[], size_t length,
                     uint8_t* out, size_t outLen) noexcept {
  oneShot(compressBlocksPortable, messages[0], length, out, outLen);
}

struct GroupKernel {
  const char* name;
  cpu::Simd level;
  size_t lanes;
  HashGroupFn hashGroup;
};

constexpr GroupKernel kGroupKernels[] = {
#if defined(DN_B2_AVX2)
    {"avx2x4", cpu::Simd::kAvx2, 4, avx2x4::hashGroup},
#endif
    {"portable", cpu::Simd::kPortable, 1, hashOnePortable},
};

// The widest kernel's lanes: the size of the padded group in hashMany.
constexpr size_t widestGroup() noexcept {
  size_t lanes = 1;
  for (const GroupKernel& kernel : kGroupKernels) lanes = kernel.lanes > lanes ? kernel.lanes : lanes;
  return lanes;
}
constexpr size_t kMaxLanes = widestGroup();

const GroupKernel& defaultGroupKernel() noexcept {
  static const GroupKernel& kernel = cpu::bestKernel(kGroupKernels, cpu::selectedSimd());
  return kernel;
}

void hashMany(const GroupKernel& kernel, const uint8_t* const* messages,
              size_t count, size_t length, uint8_t* out,
              size_t outLength) noexcept {
  const size_t outLen = clampOut(outLength);
  if (outLen == 0) return;
  const size_t lanes = kernel.lanes;
  for (; count >= lanes; count -= lanes, messages += lanes, out += lanes * outLen) {
    kernel.hashGroup(messages, length, out, outLen);
  }
  if (count == 0) return;
  if (count == 1) {
    oneShot(lanes == 1 ? compressBlocksPortable : defaultKernel().compressBlocks, messages[0], length, out, outLen);
    return;
  }
  // Two or three left: a group with the last message repeated still costs
  // less than hashing them one by one.
  const uint8_t* group[kMaxLanes];
  for (size_t k = 0; k < lanes; ++k) group[k] = messages[k < count ? k : count - 1];
  uint8_t digests[kMaxLanes * kMaxOut];
  kernel.hashGroup(group, length, digests, outLen);
  std::memcpy(out, digests, count * outLen);
}

}  // namespace

void blake2bMany(const uint8_t* const* messages, size_t count, size_t length,
                 uint8_t* out, size_t outLength) noexcept {
  hashMany(defaultGroupKernel(), messages, count, length, out, outLength);
}

const char* blake2bManyBackend() noexcept { return defaultGroupKernel().name; }

const char* const* blake2bManyBackends() noexcept { return cpu::supportedKernelNames(kGroupKernels); }

bool blake2bManyWithBackend(const char* backend, const uint8_t* const* messages,
                            size_t count, size_t length, uint8_t* out,
                            size_t outLength) noexcept {
  const GroupKernel* kernel = cpu::supportedKernelNamed(kGroupKernels, backend);
  if (kernel == nullptr) return false;
  hashMany(*kernel, messages, count, length, out, outLength);
  return true;
}

void blake2b(const uint8_t* data, size_t length, uint8_t* out,
             size_t outLength) noexcept {
  oneShot(defaultKernel().compressBlocks, data, length, out, outLength);
}

const char* blake2bBackend() noexcept { return defaultKernel().name; }

const char* const* blake2bBackends() noexcept { return cpu::supportedKernelNames(kKernels); }

bool blake2bWithBackend(const char* backend, const uint8_t* data,
                        size_t length, uint8_t* out,
                        size_t outLength) noexcept {
  const Kernel* kernel = cpu::supportedKernelNamed(kKernels, backend);
  if (kernel == nullptr) return false;
  oneShot(kernel->compressBlocks, data, length, out, outLength);
  return true;
}

Blake2b::Blake2b(size_t outLength) noexcept : outLen_(clampOut(outLength)) {
  initState(h_, outLen_);
}

void Blake2b::update(const uint8_t* data, size_t length) noexcept {
  if (length == 0) return;
  const CompressBlocksFn compressBlocks = defaultKernel().compressBlocks;
  // A full buffered block is compressed only once more input shows it is not
  // the last one.
  if (bufLen_ != 0) {
    const size_t room = kBlockBytes - bufLen_;
    if (length <= room) {
      std::memcpy(buf_ + bufLen_, data, length);
      bufLen_ += length;
      return;
    }
    std::memcpy(buf_ + bufLen_, data, room);
    data += room;
    length -= room;
    compressBlocks(h_, buf_, 1, t0_, t1_, kBlockBytes, 0);
    bufLen_ = 0;
  }
  const size_t before = (length - 1) / kBlockBytes;  // length > 0 here
  compressBlocks(h_, data, before, t0_, t1_, kBlockBytes, 0);
  data += before * kBlockBytes;
  length -= before * kBlockBytes;
  std::memcpy(buf_, data, length);
  bufLen_ = length;
}

void Blake2b::finalize(uint8_t* out) noexcept {
  std::memset(buf_ + bufLen_, 0, kBlockBytes - bufLen_);
  defaultKernel().compressBlocks(h_, buf_, 1, t0_, t1_, bufLen_, ~0ull);
  if (outLen_ != 0) writeDigest(h_, out, outLen_);
}

}  // namespace deltanode
