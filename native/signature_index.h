// A parsed signature ready for matching: per-block sums plus a hash directory keyed by weak sum.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "format.h"

namespace deltanode {

class SignatureIndex {
 public:
  static constexpr uint32_t kNoBlock = 0xffffffffu;
  // Identical blocks are indexed once; beyond this many weak-sum twins a position gives up, so a
  // basis crafted to collide cannot make the search quadratic.
  static constexpr unsigned kMaxCandidates = 64;

  // Throws EngineError(BadSignature) on malformed input.
  static SignatureIndex parse(const uint8_t* data, size_t length);

  const SignatureParams& params() const noexcept { return params_; }
  const BasisSummary& summary() const noexcept { return summary_; }
  uint32_t block_count() const noexcept { return uint32_t(weak_.size()); }
  // Length of the final block when the signature says (native); 0 when unknown (librsync).
  uint32_t last_block_length() const noexcept { return lastBlockLength_; }
  // Blocks a full window can match (all but a known short final block).
  uint32_t indexed_blocks() const noexcept { return indexedBlocks_; }
  uint32_t weak(uint32_t block) const noexcept { return weak_[block]; }
  const uint8_t* strong(uint32_t block) const noexcept { return &strong_[size_t(block) * params_.strongLength]; }

  // Cheap test that rejects most positions: a blocked Bloom filter, two bits in one 32-bit word
  // per indexed sum. At 64 to 128 bits per sum it passes 0.03-0.1% of windows that match nothing
  // (each costs a scan exit and a directory lookup; at 16-32 bits, 0.4% of windows did, 10-13%
  // of an unrelated-data delta's time), and it stays small enough for L2 (512 KiB for a 1 GiB
  // basis) while the input streams through the caches: a lookup from L2 costs the vector scan
  // no more than one from L1, since its gathers bound it either way. A small value type so the
  // search loop keeps it in registers.
  // RabinKarp sums are used as they are (their high bits are well mixed, and the search saves a
  // multiply per byte); rollsum's halves are too regular and are mixed first.
  struct Prefilter {
    const uint32_t* words;
    unsigned wordShift;  // key >> wordShift is the word; the next 10 bits down pick its two bits
    template <bool Raw>
    bool may_contain(uint32_t weak) const noexcept {
      const uint32_t key = filter_key<Raw>(weak);
      const uint32_t mask = bit_pair(key, wordShift);
      return (words[key >> wordShift] & mask) == mask;
    }
  };
  static uint32_t bit_pair(uint32_t key, unsigned wordShift) noexcept {
    return (1u << ((key >> (wordShift - 5)) & 31)) | (1u << ((key >> (wordShift - 10)) & 31));
  }
  Prefilter prefilter() const noexcept { return {filter_.data(), 32 - (filterBits_ - 5)}; }
  bool may_contain(uint32_t weak) const noexcept {
    return params_.weak == WeakHash::RabinKarp ? prefilter().may_contain<true>(weak) : prefilter().may_contain<false>(weak);
  }

  // Finds a full-length block whose sums match the window; `preferred` (the block after the last
  // match) wins when it matches, which keeps copies contiguous. The strong sum of the window is
  // computed at most once per call.
  uint32_t find(uint32_t weak, const uint8_t* window, uint32_t preferred) const noexcept;

  // Whether the window (the tail of the new file) equals the basis's final block.
  bool matches_block(uint32_t block, uint32_t weak, const uint8_t* window, size_t length) const noexcept;

 private:
  static uint64_t mix(uint32_t weak) noexcept { return uint64_t(weak) * 0x9E3779B97F4A7C15ull; }
  template <bool Raw>
  static uint32_t filter_key(uint32_t weak) noexcept { return Raw ? weak : uint32_t(mix(weak) >> 32); }
  void build_directory();

  SignatureParams params_;
  BasisSummary summary_;
  uint32_t lastBlockLength_ = 0;
  uint32_t indexedBlocks_ = 0;  // blocks eligible for full-window matches
  std::vector<uint32_t> weak_;
  std::vector<uint8_t> strong_;
  unsigned tableBits_ = 1;
  unsigned filterBits_ = 6;
  std::vector<uint32_t> bucketStart_;
  std::vector<uint32_t> bucketBlocks_;
  std::vector<uint32_t> filter_;
};

}  // namespace deltanode
