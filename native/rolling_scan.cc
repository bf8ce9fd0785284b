#include "rolling_scan.h"

#include "cpu_features.h"
#include "rolling.h"


namespace deltanode {

namespace {

using ScanFn = ScanResult (*)(const uint8_t* data, size_t p, size_t limit, size_t n, uint32_t hash, uint32_t power,
                              const uint32_t* filterWords, unsigned wordShift) noexcept;

// No vector code: no progress, the scalar roll finishes everything.
ScanResult scan_none(const uint8_t*, size_t p, size_t, size_t, uint32_t hash, uint32_t, const uint32_t*,
                     unsigned) noexcept {
  return {p, hash, false};
}

#if DN_SIMD_AVX2 || DN_SIMD_AVX512
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
#endif

// Both kernels: c[k] = in[k] - power * (out[k] + M - 1) is what window k + 1 adds to window k
// times M, and window p + i + 1 sums to M^(i+1) * (hash + sum over j <= i of c[j] * M^-(j+1)):
// scaling by inverse powers turns the scan into a plain prefix sum (shifts and adds, no
// multiplies). The running sum stays in a vector (every lane equal): a trip through memory to a
// scalar and back costs a store-forwarding stall per step.

#if DN_SIMD_AVX512
namespace avx512 {

// Lane i gets lane i - s of v; the lowest s lanes get zero.
template <int S>
DN_TARGET_AVX512 inline __m512i shift_up(__m512i v) {
  return _mm512_alignr_epi32(v, _mm512_setzero_si512(), 16 - S);
}

DN_TARGET_AVX512 ScanResult scan(const uint8_t* data, size_t p, size_t limit, size_t n, uint32_t hash, uint32_t power,
                                 const uint32_t* filterWords, unsigned wordShift) noexcept {
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
  __m512i current = _mm512_set1_epi32(int(hash));
  while (limit - p >= 16) {
    const __m512i in = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(data + p + n)));
    const __m512i out = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(data + p)));
    const __m512i c = _mm512_sub_epi32(in, _mm512_add_epi32(_mm512_mullo_epi32(out, outScale), outBias));
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

}  // namespace avx512
#endif

#if DN_SIMD_AVX2
namespace avx2 {

// Eight windows per step. The prefix sum works in each 128-bit half (byte shifts do not cross
// halves), then adds the low half's total to the high half.
DN_TARGET_AVX2 ScanResult scan(const uint8_t* data, size_t p, size_t limit, size_t n, uint32_t hash, uint32_t power,
                               const uint32_t* filterWords, unsigned wordShift) noexcept {
  const __m256i up = _mm256_load_si256(reinterpret_cast<const __m256i*>(kPowers.up));
  const __m256i down = _mm256_load_si256(reinterpret_cast<const __m256i*>(kPowers.down));
  const __m256i outScale = _mm256_set1_epi32(int(power));
  const __m256i outBias = _mm256_set1_epi32(int(power * (kM - 1)));
  const __m128i wordCount = _mm_cvtsi32_si128(int(wordShift));
  const __m128i firstBit = _mm_cvtsi32_si128(int(wordShift - 5));
  const __m128i secondBit = _mm_cvtsi32_si128(int(wordShift - 10));
  const __m256i low5 = _mm256_set1_epi32(31);
  const __m256i one = _mm256_set1_epi32(1);
  const auto* words = reinterpret_cast<const int*>(filterWords);
  const __m256i lastLane = _mm256_set1_epi32(7);
  __m256i current = _mm256_set1_epi32(int(hash));
  while (limit - p >= 8) {
    const __m256i in = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(data + p + n)));
    const __m256i out = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(data + p)));
    const __m256i c = _mm256_sub_epi32(in, _mm256_add_epi32(_mm256_mullo_epi32(out, outScale), outBias));
    __m256i t = _mm256_mullo_epi32(c, down);
    t = _mm256_add_epi32(t, _mm256_slli_si256(t, 4));
    t = _mm256_add_epi32(t, _mm256_slli_si256(t, 8));
    const __m256i halfTotal = _mm256_shuffle_epi32(t, _MM_SHUFFLE(3, 3, 3, 3));
    t = _mm256_add_epi32(t, _mm256_permute2x128_si256(halfTotal, halfTotal, 0x08));  // low half: zero
    const __m256i sums8 = _mm256_mullo_epi32(_mm256_add_epi32(current, t), up);
    const __m256i gathered = _mm256_i32gather_epi32(words, _mm256_srl_epi32(sums8, wordCount), 4);
    const __m256i mask = _mm256_or_si256(
        _mm256_sllv_epi32(one, _mm256_and_si256(_mm256_srl_epi32(sums8, firstBit), low5)),
        _mm256_sllv_epi32(one, _mm256_and_si256(_mm256_srl_epi32(sums8, secondBit), low5)));
    const int hits = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(gathered, mask), mask)));
    if (hits) {
      alignas(32) uint32_t sums[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(sums), sums8);
      const unsigned k = unsigned(__builtin_ctz(unsigned(hits)));
      return {p + k + 1, sums[k], true};
    }
    current = _mm256_permutevar8x32_epi32(sums8, lastLane);
    p += 8;
  }
  return {p, uint32_t(_mm_cvtsi128_si32(_mm256_castsi256_si128(current))), false};
}

}  // namespace avx2
#endif

struct Kernel {
  const char* name;
  cpu::Simd level;
  ScanFn scan;
};

// Best first; "portable" (no vector scan) ends the list.
constexpr Kernel kKernels[] = {
#if DN_SIMD_AVX512
    {"avx512", cpu::Simd::kAvx512, avx512::scan},
#endif
#if DN_SIMD_AVX2
    {"avx2", cpu::Simd::kAvx2, avx2::scan},
#endif
    {"portable", cpu::Simd::kPortable, scan_none},
};

const Kernel& chosen() noexcept {
  static const Kernel& kernel = cpu::bestKernel(kKernels, cpu::selectedSimd());
  return kernel;
}

}  // namespace

bool rabin_karp_scan_available() noexcept { return chosen().scan != scan_none; }

const char* rabin_karp_scan_kernel() noexcept { return chosen().name; }

ScanResult rabin_karp_scan(const uint8_t* data, size_t p, size_t limit, size_t n, uint32_t hash, uint32_t power,
                           const uint32_t* filterWords, unsigned wordShift) noexcept {
  return chosen().scan(data, p, limit, n, hash, power, filterWords, wordShift);
}

const char* const* rabin_karp_scan_kernels() noexcept { return cpu::supportedKernelNames(kKernels); }

bool rabin_karp_scan_with(const char* kernel, const uint8_t* data, size_t p, size_t limit, size_t n, uint32_t hash,
                          uint32_t power, const uint32_t* filterWords, unsigned wordShift, ScanResult* result) noexcept {
  const Kernel* named = cpu::supportedKernelNamed(kKernels, kernel);
  if (named == nullptr) return false;
  *result = named->scan(data, p, limit, n, hash, power, filterWords, wordShift);
  return true;
}

}  // namespace deltanode
