#include "signature_index.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "byte_order.h"
#include "errors.h"
#include "signature.h"
#include "strong_sum.h"

namespace deltanode {

// A signature with more blocks than this needs a larger block length, not more memory.
static constexpr uint64_t kMaxBlocks = uint64_t(1) << 31;

SignatureIndex SignatureIndex::parse(const uint8_t* data, size_t length) {
  ParsedSignatureHeader header = parse_signature_header(data, length);
  SignatureIndex index;
  index.params_ = header.params;
  if (length < header.headerLength + header.trailerLength)
    throw EngineError(ErrorCode::BadSignature, "signature is truncated");
  index.summary_ = header.summary;
  if (header.trailerLength) index.summary_ = parse_signature_trailer(data + length - header.trailerLength);
  size_t body = length - header.headerLength - header.trailerLength;
  size_t recordLength = signature_record_length(index.params_);
  if (body % recordLength != 0) throw EngineError(ErrorCode::BadSignature, "signature is truncated inside a block record");
  uint64_t blocks = body / recordLength;
  if (blocks >= kMaxBlocks) throw EngineError(ErrorCode::BadSignature, "signature has too many blocks for its block length");
  const uint64_t blockLength = index.params_.blockLength;
  if (index.summary_.known) {
    uint64_t expected = index.summary_.length / blockLength + (index.summary_.length % blockLength ? 1 : 0);
    if (expected != blocks)
      throw EngineError(ErrorCode::BadSignature, "signature block count does not match the basis length it states");
    uint64_t tail = index.summary_.length % blockLength;
    index.lastBlockLength_ = uint32_t(blocks == 0 ? 0 : tail ? tail : blockLength);
  }
  index.weak_.resize(blocks);
  index.strong_.resize(blocks * index.params_.strongLength);
  const uint8_t* record = data + header.headerLength;
  const bool bigEndian = index.params_.format == Format::Librsync;
  for (uint64_t i = 0; i < blocks; ++i, record += recordLength) {
    index.weak_[i] = bigEndian ? load_u32_be(record) : load_u32_le(record);
    std::memcpy(&index.strong_[i * index.params_.strongLength], record + 4, index.params_.strongLength);
  }
  // A known short final block can only match the tail of the new file, never a full window.
  index.indexedBlocks_ = uint32_t(blocks);
  if (index.lastBlockLength_ && index.lastBlockLength_ < blockLength) index.indexedBlocks_ -= 1;
  index.build_directory();
  return index;
}

void SignatureIndex::build_directory() {
  const uint32_t blocks = indexedBlocks_;
  tableBits_ = 1;
  while (tableBits_ < 31 && (uint64_t(1) << tableBits_) < uint64_t(blocks) * 2) ++tableBits_;
  // 64 to 128 filter bits per indexed sum (see Prefilter), at most 4 MiB.
  filterBits_ = std::min(std::max(tableBits_ + 6, 12u), 25u);
  filter_.assign((size_t(1) << filterBits_) / 32, 0);
  bucketStart_.assign((size_t(1) << tableBits_) + 1, 0);

  auto bucketOf = [this](uint32_t block) { return uint32_t(mix(weak_[block]) >> (64 - tableBits_)); };
  for (uint32_t b = 0; b < blocks; ++b) bucketStart_[bucketOf(b) + 1]++;
  for (size_t i = 1; i < bucketStart_.size(); ++i) bucketStart_[i] += bucketStart_[i - 1];
  std::vector<uint32_t> fill(bucketStart_.begin(), bucketStart_.end() - 1);
  bucketBlocks_.resize(blocks);
  for (uint32_t b = 0; b < blocks; ++b) bucketBlocks_[fill[bucketOf(b)]++] = b;

  // Sort each bucket by (weak, strong, index) and keep the first of identical blocks, so that
  // repeated content (all zeros, say) costs one candidate instead of thousands.
  const size_t strongLength = params_.strongLength;
  std::vector<uint32_t> kept;
  kept.reserve(blocks);
  std::vector<uint32_t> newStart(bucketStart_.size(), 0);
  for (size_t bucket = 0; bucket + 1 < bucketStart_.size(); ++bucket) {
    auto first = bucketBlocks_.begin() + bucketStart_[bucket];
    auto last = bucketBlocks_.begin() + bucketStart_[bucket + 1];
    newStart[bucket] = uint32_t(kept.size());
    if (first == last) continue;
    std::sort(first, last, [&](uint32_t a, uint32_t b) {
      if (weak_[a] != weak_[b]) return weak_[a] < weak_[b];
      int c = std::memcmp(strong(a), strong(b), strongLength);
      return c != 0 ? c < 0 : a < b;
    });
    for (auto it = first; it != last; ++it) {
      if (it != first && weak_[*it] == weak_[*(it - 1)] && std::memcmp(strong(*it), strong(*(it - 1)), strongLength) == 0)
        continue;
      kept.push_back(*it);
    }
  }
  newStart.back() = uint32_t(kept.size());
  bucketBlocks_ = std::move(kept);
  bucketBlocks_.shrink_to_fit();
  bucketStart_ = std::move(newStart);
  const bool raw = params_.weak == WeakHash::RabinKarp;
  for (uint32_t b = 0; b < blocks; ++b) {
    const uint32_t key = raw ? filter_key<true>(weak_[b]) : filter_key<false>(weak_[b]);
    const unsigned wordShift = prefilter().wordShift;
    filter_[key >> wordShift] |= bit_pair(key, wordShift);
  }
}

uint32_t SignatureIndex::find(uint32_t weak, const uint8_t* window, uint32_t preferred) const noexcept {
  uint8_t windowStrong[kMaxStrongLength];
  bool haveStrong = false;
  const size_t strongLength = params_.strongLength;
  auto strongMatches = [&](uint32_t block) {
    if (!haveStrong) {
      strong_sum(params_.strong, window, params_.blockLength, windowStrong);
      haveStrong = true;
    }
    return std::memcmp(windowStrong, strong(block), strongLength) == 0;
  };
  if (preferred < indexedBlocks_ && weak_[preferred] == weak && strongMatches(preferred)) return preferred;
  uint32_t bucket = uint32_t(mix(weak) >> (64 - tableBits_));
  unsigned candidates = 0;
  for (uint32_t i = bucketStart_[bucket]; i < bucketStart_[bucket + 1]; ++i) {
    uint32_t block = bucketBlocks_[i];
    if (weak_[block] != weak) continue;
    if (block != preferred && strongMatches(block)) return block;
    if (++candidates >= kMaxCandidates) break;
  }
  return kNoBlock;
}

bool SignatureIndex::matches_block(uint32_t block, uint32_t weak, const uint8_t* window, size_t length) const noexcept {
  if (weak_[block] != weak) return false;
  uint8_t windowStrong[kMaxStrongLength];
  strong_sum(params_.strong, window, length, windowStrong);
  return std::memcmp(windowStrong, strong(block), params_.strongLength) == 0;
}

}  // namespace deltanode
