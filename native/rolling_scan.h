// The delta search's inner loop over unmatched data, sixteen windows per step: RabinKarp sums
// of consecutive windows are a prefix scan (h[k+1] = h[k] * M + c[k]), which AVX-512 computes in
// log steps, and the prefilter words of all sixteen come in one gather. Scalar code finishes what
// is left; results are identical (tests compare both).
#pragma once
#include <cstddef>
#include <cstdint>

namespace deltanode {

struct ScanResult {
  size_t position;  // the window start reached
  uint32_t hash;    // its RabinKarp sum
  bool hit;         // stopped because the filter may contain `hash` (else: fewer than 16 windows left)
};

// Whether this CPU (within DELTANODE_SIMD) runs the vector scan.
bool rabin_karp_scan_available() noexcept;

// From the window at `p` (sum `hash`, `power` = M^n for window length n), rolls towards `limit`
// while at least 16 windows remain, stopping at the first window whose sum passes the blocked
// Bloom filter of SignatureIndex::Prefilter (word `sum >> wordShift`, both bits of
// SignatureIndex::bit_pair set). Requires rabin_karp_scan_available().
ScanResult rabin_karp_scan(const uint8_t* data, size_t p, size_t limit, size_t n, uint32_t hash, uint32_t power,
                           const uint32_t* filterWords, unsigned wordShift) noexcept;

}  // namespace deltanode
