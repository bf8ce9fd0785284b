#include "delta.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <stdexcept>
#include <type_traits>

#include "errors.h"
#include "rolling_scan.h"
#include "strong_sum.h"

namespace deltanode {

// Pending literal bytes are written out once they reach this size, which bounds the buffer.
static constexpr size_t kLiteralFlush = 64 * 1024;
// Strong sums tried on the tail of a new file against a librsync signature's unknown-length last block.
static constexpr unsigned kMaxTailAttempts = 8;
static constexpr size_t kReadAlignment = 64;
// Windows of a matching run checked together (follow_run).
static constexpr size_t kRunBatch = 8;
static constexpr uint32_t kMaxXxh3Length = 16;

DeltaGenerator::DeltaGenerator(const SignatureIndex& index, ByteSink& sink)
    : index_(index),
      encoder_(make_delta_encoder(index.params(), sink, index.summary())),
      wantDigest_(index.params().format == Format::Native),
      digest_(index.params().digest),
      vectorScan_(rabin_karp_scan_available()),
      followRuns_(index.params().strong != StrongHash::Md4),
      // The strong sum goes alone only at full length (XXH3's 128 bits): a shortened one was sized
      // on the assumption that the 32-bit weak sum is checked too.
      weakFirst_(index.params().strong != StrongHash::Xxh3 || index.params().strongLength < kMaxXxh3Length) {}

void DeltaGenerator::carry_to(uint8_t* at) {
  // What is kept: the pending literal (under kLiteralFlush once commit() has flushed) and a
  // window that could not be completed (under one block).
  const size_t keep = length_ - literalStart_;
  if (keep && at != data_ + literalStart_) std::memmove(at, data_ + literalStart_, keep);
  data_ = at;
  length_ = keep;
  position_ -= literalStart_;
  literalStart_ = 0;
}

void DeltaGenerator::update(const uint8_t* data, size_t length) {
  const size_t keep = length_ - literalStart_;
  if (buffer_.size() < keep + length) {
    AlignedBuffer larger(std::max(keep + length, 2 * buffer_.size()));
    carry_to(larger.data());  // before the old buffer goes: the kept bytes may live in it
    buffer_ = std::move(larger);
  } else {
    carry_to(buffer_.data());
  }
  if (length) std::memcpy(data_ + length_, data, length);  // an empty input may have no storage at all
  commit(length, nullptr);
}

void DeltaGenerator::feed(const Reader& read, size_t pieceLength, const std::function<void(size_t)>& progress) {
  // Each piece is read 64-byte aligned (a misaligned read from the page cache costs up to 6x),
  // after room for what the previous piece leaves over.
  const size_t room = (kLiteralFlush + index_.params().blockLength + 2 * kReadAlignment) / kReadAlignment * kReadAlignment;
  for (AlignedBuffer& piece : pieces_) piece.grow(room + pieceLength);
  auto place_kept = [&](AlignedBuffer& piece) {
    if (length_ - literalStart_ > room) throw std::logic_error("delta generator kept more than a block and a literal");
    carry_to(piece.data() + room - (length_ - literalStart_));
  };
  unsigned current = 0;
  place_kept(pieces_[current]);
  size_t got = read(pieces_[current].data() + room, pieceLength);
  while (got > 0) {
    size_t next = 0;
    uint8_t* nextAt = pieces_[current ^ 1].data() + room;
    commit(got, [&] { next = read(nextAt, pieceLength); });
    progress(got);
    current ^= 1;
    place_kept(pieces_[current]);
    got = next;
  }
}

void DeltaGenerator::commit(size_t length, const std::function<void()>& alongside) {
  if (finished_) throw EngineError(ErrorCode::InvalidArgument, "delta generator already finished");
  const uint8_t* added = data_ + length_;
  const bool digestShared = wantDigest_ && helper_ && length >= (1 << 20);
  if (wantDigest_ && !digestShared) digest_.update(added, length);
  // The helper runs `alongside` (reading the next piece) while the search runs here; the search
  // never touches bytes past this piece. The piece's digest goes to whichever thread is free
  // first: the helper when the search is slow (unrelated data), this thread when it is fast
  // (matching runs), so neither waits on the other with work left undone.
  std::atomic<bool> digestClaimed{false};
  auto claim_digest = [&] {
    if (digestShared && !digestClaimed.exchange(true, std::memory_order_relaxed)) digest_.update(added, length);
  };
  const bool helped = helper_ && (digestShared || alongside);
  if (helped) {
    helper_->start([&] {
      if (alongside) alongside();
      claim_digest();
    });
  }
  length_ += length;
  inputLength_ += length;
  try {
    if (index_.params().weak == WeakHash::RabinKarp) {
      search(rabinKarp_);
    } else {
      search(rollSum_);
    }
  } catch (...) {
    if (helped) {
      try {
        helper_->wait();
      } catch (...) {  // the search's error is the one reported
      }
    }
    throw;
  }
  claim_digest();
  if (helped) helper_->wait();
  if (!helped && alongside) alongside();
  if (position_ - literalStart_ >= kLiteralFlush) emit_literal_until(position_);
}

void DeltaGenerator::emit_literal_until(size_t position) {
  encoder_->literal(data_ + literalStart_, position - literalStart_);
  literalStart_ = position;
}

template <class Rolling>
void DeltaGenerator::search(Rolling& sum) {
  const size_t n = index_.params().blockLength;
  const uint8_t* data = data_;
  const size_t end = length_;
  if (index_.block_count() == 0) {
    position_ = end;
    return;
  }
  for (;;) {
    if (!sumValid_) {
      if (end - position_ < n) return;
      if (followRuns_ && preferred_ != SignatureIndex::kNoBlock) {
        follow_run<Rolling>();
        if (end - position_ < n) return;
      }
      sum.reset();
      sum.update(data + position_, n);
      sumValid_ = true;
      checked_ = false;
    }
    if (!checked_) {
      uint32_t weak = sum.digest();
      if (index_.may_contain(weak)) {
        uint32_t block = index_.find(weak, data + position_, preferred_);
        if (block != SignatureIndex::kNoBlock) {
          emit_literal_until(position_);
          encoder_->copy(uint64_t(block) * n, n);
          position_ += n;
          literalStart_ = position_;
          preferred_ = block + 1;
          sumValid_ = false;
          continue;
        }
      }
      checked_ = true;
    }
    if (position_ + n >= end) return;  // rolling needs the byte after the window
    // The hot loop: roll byte by byte until the prefilter says a block might match. It works on
    // local copies: byte loads may alias any member, which would force them through memory.
    size_t p = position_;
    const size_t limit = end - n;
    Rolling rolling = sum;
    const SignatureIndex::Prefilter filter = index_.prefilter();
    if constexpr (std::is_same_v<Rolling, RabinKarp>) {
      if (!outTermsReady_) {
        rolling.out_terms(outTerms_);  // the window is n bytes long from here on
        outTermsReady_ = true;
      }
      const RabinKarp::OutTerms& out = outTerms_;
      bool hit = false;
      if (vectorScan_) {
        const ScanResult scan = rabin_karp_scan(data, p, limit, n, rolling.digest(), rolling.power(), filter.words,
                                                filter.wordShift);
        rolling.resume_at(scan.hash);
        p = scan.position;
        hit = scan.hit;
      }
      if (!hit && p < limit) {
        p = rolling.roll_until(data, p, limit, n, out, [&filter](uint32_t weak) { return filter.may_contain<true>(weak); });
      }
    } else {
      do {
        rolling.rotate(data[p], data[p + n]);
        ++p;
      } while (p < limit && !filter.may_contain<false>(rolling.digest()));
    }
    sum = rolling;
    position_ = p;
    checked_ = false;
  }
}

// The decisions of the window-by-window search (find() takes the preferred block first when its
// sums match), so the delta is byte-identical; only the order of work differs. Without the weak
// sum (strong first), a window is taken when its strong sum alone matches: the same unless the
// signature's two sums disagree, which the native format's whole-file digest then catches.
template <class Rolling>
void DeltaGenerator::follow_run() {
  const size_t n = index_.params().blockLength;
  const size_t strongLength = index_.params().strongLength;
  const uint32_t indexed = index_.indexed_blocks();
  const uint8_t* windows[kRunBatch];
  uint8_t strong[kRunBatch * kMaxStrongLength];
  while (preferred_ < indexed) {
    const size_t count = std::min({kRunBatch, (length_ - position_) / n, size_t(indexed - preferred_)});
    size_t candidates = 0;
    // Windows that may continue the run: all of them, or those up to the first weak mismatch.
    for (; candidates < count; ++candidates) {
      const uint8_t* window = data_ + position_ + candidates * n;
      if (weakFirst_ && Rolling::of(window, n) != index_.weak(preferred_ + uint32_t(candidates))) break;
      windows[candidates] = window;
    }
    // One window of a weak-first run costs the same through the ordinary lookup.
    if (candidates == 0 || (weakFirst_ && candidates < 2)) return;
    strong_sums(index_.params().strong, windows, candidates, n, strong);
    size_t accepted = 0;
    while (accepted < candidates &&
           std::memcmp(strong + accepted * kMaxStrongLength, index_.strong(preferred_ + uint32_t(accepted)), strongLength) == 0) {
      ++accepted;
    }
    if (accepted == 0) return;
    if (position_ > literalStart_) emit_literal_until(position_);
    for (size_t i = 0; i < accepted; ++i) {
      encoder_->copy(uint64_t(preferred_) * n, n);
      position_ += n;
      ++preferred_;
    }
    literalStart_ = position_;
    if (accepted < count) return;
  }
}

template <class Rolling>
void DeltaGenerator::match_tail() {
  const size_t n = index_.params().blockLength;
  const uint32_t blocks = index_.block_count();
  if (blocks == 0) return;
  const uint32_t last = blocks - 1;
  const uint8_t* data = data_;
  const size_t end = length_;
  const size_t available = end - literalStart_;
  auto take = [&](size_t length) {
    emit_literal_until(end - length);
    encoder_->copy(uint64_t(last) * n, length);
    literalStart_ = end;
    position_ = end;
  };
  if (uint32_t known = index_.last_block_length()) {
    // The native signature states the final block's length: one window to try.
    if (known < n && available >= known &&
        index_.matches_block(last, Rolling::of(data + end - known, known), data + end - known, known))
      take(known);
    return;
  }
  // librsync signatures do not state it: try every shorter tail, longest first.
  size_t longest = std::min(available, n - 1);
  if (longest == 0) return;
  Rolling sum;
  sum.reset();
  sum.update(data + end - longest, longest);
  // Each weak-sum hit costs a strong sum over the tail; cap them so a crafted signature cannot
  // make this quadratic (the worst case is a literal of less than one block).
  unsigned strongAttempts = 0;
  for (size_t length = longest; length > 0; --length) {
    if (index_.weak(last) == sum.digest()) {
      if (index_.matches_block(last, sum.digest(), data + end - length, length)) {
        take(length);
        return;
      }
      if (++strongAttempts >= kMaxTailAttempts) return;
    }
    sum.rollout(data[end - length]);
  }
}

void DeltaGenerator::finish() {
  if (finished_) return;
  finished_ = true;
  if (index_.params().weak == WeakHash::RabinKarp) {
    match_tail<RabinKarp>();
  } else {
    match_tail<RollSum>();
  }
  emit_literal_until(length_);
  BasisSummary output;
  output.known = wantDigest_ || digestKnown_;
  output.length = inputLength_;
  if (wantDigest_) output.digest = digest_.finalize();
  if (digestKnown_) output.digest = knownDigest_;
  encoder_->end(output);
}

}  // namespace deltanode
