#include "rolling_scan.h"

#include "cpu_features.h"
#include "rolling.h"

#if DN_SIMD_AVX512
#include <immintrin.h>
#endif

namespace deltanode {

#if DN_SIMD_AVX512

bool rabin_karp_scan_available() noexcept { return cpu::selectedSimd() >= cpu::Simd::kAvx512; }

namespace {
constexpr uint32_t kM = RabinKarp::kMultiplier;

constexpr uint32_t kInverse = RabinKarp::kInverse;

struct Powers {
  alignas(64) uint32_t up[16];    // M^1 .. M^16
  alignas(64) uint32_t down[16];  // M^-1 .. M^-16 (M is odd, so it has an inverse mod 2^32)
  constexpr Powers() : up(), down() {
    uint32_t value = 1, inverse = 1;
    for (int i = 0; i < 16; ++i) {
      up[i] = value *= kM;
      down[i] = inverse *= kInverse;
    }
  }
};
constexpr Powers kPowers{};

// Lane i gets lane i - s of v; the lowest s lanes get zero.
template <int S>
DN_TARGET_AVX512 inline __m512i shift_up(__m512i v) {
  return _mm512_alignr_epi32(v, _mm512_setzero_si512(), 16 - S);
}
}  // namespace

DN_TARGET_AVX512 ScanResult rabin_karp_scan(const uint8_t* data, size_t p, size_t limit, size_t n, uint32_t hash,
                                            uint32_t power, const uint32_t* filterWords, unsigned wordShift) noexcept {
  const __m512i up = _mm512_load_si512(kPowers.up);
  const __m512i down = _mm512_load_si512(kPowers.down);
  const __m512i outScale = _mm512_set1_epi32(int(power));
  const __m512i outBias = _mm512_set1_epi32(int(power * (kM - 1)));
  const __m128i wordCount = _mm_cvtsi32_si128(int(wordShift));
  const __m128i firstBit = _mm_cvtsi32_si128(int(wordShift - 5));
  const __m128i secondBit = _mm_cvtsi32_si128(int(wordShift - 10));
  const __m512i low5 = _mm512_set1_epi32(31);
  const __m512i one = _mm512_set1_epi32(1);
  const auto* words = reinterpret_cast<const int*>(filterWords);
  const __m512i lastLane = _mm512_set1_epi32(15);
  // The running sum stays in a vector (every lane equal): a trip through memory to a scalar
  // and back costs a store-forwarding stall per step.
  __m512i current = _mm512_set1_epi32(int(hash));
  while (limit - p >= 16) {
    // c[k] = in[k] - power * (out[k] + M - 1): what window k + 1 adds to window k times M.
    const __m512i in = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(data + p + n)));
    const __m512i out = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(data + p)));
    const __m512i c = _mm512_sub_epi32(in, _mm512_add_epi32(_mm512_mullo_epi32(out, outScale), outBias));
    // Window p + i + 1 sums to M^(i+1) * (hash + sum over j <= i of c[j] * M^-(j+1)): scaling
    // by inverse powers turns the scan into a plain prefix sum (shifts and adds, no multiplies).
    __m512i t = _mm512_mullo_epi32(c, down);
    t = _mm512_add_epi32(t, shift_up<1>(t));
    t = _mm512_add_epi32(t, shift_up<2>(t));
    t = _mm512_add_epi32(t, shift_up<4>(t));
    t = _mm512_add_epi32(t, shift_up<8>(t));
    const __m512i sums16 = _mm512_mullo_epi32(_mm512_add_epi32(current, t), up);
    const __m512i wordIndex = _mm512_srl_epi32(sums16, wordCount);
    const __m256i low = _mm256_i32gather_epi32(words, _mm512_castsi512_si256(wordIndex), 4);
    const __m256i high = _mm256_i32gather_epi32(words, _mm512_extracti64x4_epi64(wordIndex, 1), 4);
    const __m512i gathered = _mm512_inserti64x4(_mm512_castsi256_si512(low), high, 1);
    const __m512i mask = _mm512_or_si512(
        _mm512_sllv_epi32(one, _mm512_and_si512(_mm512_srl_epi32(sums16, firstBit), low5)),
        _mm512_sllv_epi32(one, _mm512_and_si512(_mm512_srl_epi32(sums16, secondBit), low5)));
    const __mmask16 hits = _mm512_cmpeq_epi32_mask(_mm512_and_si512(gathered, mask), mask);
    if (hits) {
      alignas(64) uint32_t sums[16];
      _mm512_store_si512(sums, sums16);
      const unsigned k = unsigned(__builtin_ctz(hits));
      return {p + k + 1, sums[k], true};
    }
    current = _mm512_permutexvar_epi32(lastLane, sums16);
    p += 16;
  }
  return {p, uint32_t(_mm_cvtsi128_si32(_mm512_castsi512_si128(current))), false};
}

#else

bool rabin_karp_scan_available() noexcept { return false; }

ScanResult rabin_karp_scan(const uint8_t*, size_t p, size_t, size_t, uint32_t hash, uint32_t, const uint32_t*,
                           unsigned) noexcept {
  return {p, hash, false};
}

#endif

}  // namespace deltanode
