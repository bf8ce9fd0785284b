// The delta search's inner loop over unmatched data, sixteen (AVX-512) or eight (AVX2) windows
// per step: RabinKarp sums of consecutive windows are a prefix scan (h[k+1] = h[k] * M + c[k]),
// which vectors compute in log steps, and the prefilter words of all of them come in one gather.
// Scalar code finishes what is left; results are identical (tests compare every kernel).
#pragma once
#include <cstddef>
#include <cstdint>

namespace deltanode {

struct ScanResult {
  size_t position;  // the window start reached
  uint32_t hash;    // its RabinKarp sum
  bool hit;         // stopped because the filter may contain `hash` (else: less than one step of windows left)
};

// Whether this CPU (within DELTANODE_SIMD) runs a vector scan, and which ("avx512", "avx2",
// "portable" when none).
bool rabin_karp_scan_available() noexcept;
const char* rabin_karp_scan_kernel() noexcept;

// From the window at `p` (sum `hash`, `power` = M^n for window length n), rolls towards `limit`
// while at least one step of windows remains, stopping at the first window whose sum passes the blocked
// Bloom filter of SignatureIndex::Prefilter (word `sum >> wordShift`, both bits of
// SignatureIndex::bit_pair set). Requires rabin_karp_scan_available().
ScanResult rabin_karp_scan(const uint8_t* data, size_t p, size_t limit, size_t n, uint32_t hash, uint32_t power,
                           const uint32_t* filterWords, unsigned wordShift) noexcept;

// For tests: the kernels this CPU can run, best first, then a null pointer; and the scan with the
// named one (false when it cannot run here). "portable" makes no progress.
const char* const* rabin_karp_scan_kernels() noexcept;
bool rabin_karp_scan_with(const char* kernel, const uint8_t* data, size_t p, size_t limit, size_t n, uint32_t hash,
                          uint32_t power, const uint32_t* filterWords, unsigned wordShift, ScanResult* result) noexcept;

}  // namespace deltanode
