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
// The helper searches the second half of what a commit holds ahead of this thread when there is
// at least this much of it (and 16 blocks): below, the handoff costs more than it saves.
static constexpr size_t kSearchAheadMinimum = 1 << 20;
static constexpr size_t kSearchAheadBlocks = 16;
// Nor for short blocks: the helper's list of matches would grow with the piece over the block.
static constexpr size_t kSearchAheadMinimumBlock = 256;

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
  state_.position -= literalStart_;
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
  const std::function<void()> claim_digest = [&] {
    if (digestShared && !digestClaimed.exchange(true, std::memory_order_relaxed)) digest_.update(added, length);
  };
  length_ += length;
  inputLength_ += length;
  if (index_.params().weak == WeakHash::RabinKarp) {
    search_all<RabinKarp>(alongside, digestShared, claim_digest);
  } else {
    search_all<RollSum>(alongside, digestShared, claim_digest);
  }
  if (state_.position - literalStart_ >= kLiteralFlush) emit_literal_until(state_.position);
}

void DeltaGenerator::emit_literal_until(size_t position) {
  encoder_->literal(data_ + literalStart_, position - literalStart_);
  literalStart_ = position;
}

void DeltaGenerator::take_match(size_t position, uint32_t block) {
  if (position > literalStart_) emit_literal_until(position);
  const size_t n = index_.params().blockLength;
  encoder_->copy(uint64_t(block) * n, n);
  literalStart_ = position + n;
}

// Whether a window matches some block does not depend on how the search got there, so the
// helper can search the second half from a fresh state while this thread searches the first.
// This thread then goes on from where it stopped: windows the helper skipped (inside one of its
// matches) it checks itself; once it stands where the helper checked windows, the helper's
// matches from there on are the ones a sequential search finds, and its end state is ours. The
// delta is the sequential one, except which of several identical blocks a copy names (the
// helper's preferred block is a guess: the one this thread's run would reach at the split) and
// the rare window whose block lies past the 64 weak-sum twins a lookup tries: it may be missed or
// found on one side only.
//
// The second half goes to whichever thread gets to it first: the helper reads the next piece
// before it looks, so where the search is cheap (matching runs, full-length XXH3) this thread
// is there first and simply goes on, and the reading stays the helper's alone.
template <class Rolling>
void DeltaGenerator::search_all(const std::function<void()>& alongside, bool digestShared,
                                const std::function<void()>& claimDigest) {
  const size_t n = index_.params().blockLength;
  const size_t span = length_ - state_.position;
  auto take = [this](size_t position, uint32_t block) { take_match(position, block); };
  const bool ahead = helper_ && index_.block_count() > 0 &&
                     (aheadAlways_ || (n >= kSearchAheadMinimumBlock && span >= kSearchAheadMinimum && span >= kSearchAheadBlocks * n));
  if (!ahead && (!helper_ || !(alongside || digestShared))) {
    search<Rolling>(state_, length_, SIZE_MAX, take);
    if (alongside) alongside();
    claimDigest();
    return;
  }
  if constexpr (std::is_same_v<Rolling, RabinKarp>) {
    if (ahead && !outTermsReady_) {  // read by both threads, so made before the helper starts
      RabinKarp::out_terms_for(n, outTerms_);
      outTermsReady_ = true;
    }
  }
  enum : int { kUnclaimed, kThisThread, kHelper };
  std::atomic<int> secondHalf{kUnclaimed};
  auto claim = [&secondHalf](int who) {
    int expected = kUnclaimed;
    return secondHalf.compare_exchange_strong(expected, who, std::memory_order_relaxed);
  };
  // The split falls on the grid of the run this thread is in, and the helper starts out preferring
  // the block that run would reach there: where the run goes on past the split, the helper takes
  // the same blocks (among identical ones, too) and its copies join up with ours.
  const size_t split = ahead ? state_.position + span / 2 / n * n : SIZE_MAX;
  SearchState aheadState;
  aheadState.position = split;
  if (ahead && state_.preferred != SignatureIndex::kNoBlock) {
    const uint64_t reached = uint64_t(state_.preferred) + (split - state_.position) / n;
    if (reached < index_.indexed_blocks()) aheadState.preferred = uint32_t(reached);
  }
  aheadMatches_.clear();
  helper_->share(
      [&] {
        if (alongside) alongside();
        if (ahead && claim(kHelper)) {
          search<Rolling>(aheadState, length_, SIZE_MAX,
                          [this](size_t position, uint32_t block) { aheadMatches_.push_back({position, block}); });
        }
        claimDigest();
      },
      [&] {
        search<Rolling>(state_, length_, split, take);
        if (ahead && !aheadAlways_ && claim(kThisThread)) search<Rolling>(state_, length_, SIZE_MAX, take);
        claimDigest();
      });
  if (secondHalf.load(std::memory_order_relaxed) != kHelper) return;
  // This thread reached the split: a split past the start leaves at least a block after it.
  size_t next = 0;  // the first of the helper's matches not behind this thread
  for (;;) {
    const size_t position = state_.position;
    while (next < aheadMatches_.size() && aheadMatches_[next].position < position) ++next;
    if (next > 0 && aheadMatches_[next - 1].position + n > position) {
      const size_t skippedUntil = aheadMatches_[next - 1].position + n;
      search<Rolling>(state_, length_, skippedUntil, take);
      if (state_.position < skippedUntil) return;  // no whole window left: this state is the end
      continue;
    }
    // At or past where the helper ended: it has no match from here, and this state knows more
    // (the preferred block).
    if (position >= aheadState.position) return;
    for (; next < aheadMatches_.size(); ++next) take(aheadMatches_[next].position, aheadMatches_[next].block);
    state_ = aheadState;
    return;
  }
}

template <class Rolling, class Matched>
void DeltaGenerator::search(SearchState& state, size_t end, size_t windowLimit, const Matched& matched) {
  const size_t n = index_.params().blockLength;
  const uint8_t* data = data_;
  Rolling& sum = state.sum<Rolling>();
  if (index_.block_count() == 0) {
    state.position = std::max(state.position, std::min(end, windowLimit));
    return;
  }
  for (;;) {
    if (!state.sumValid) {
      if (end - state.position < n || state.position >= windowLimit) return;
      if (followRuns_ && state.preferred != SignatureIndex::kNoBlock) {
        follow_run<Rolling>(state, end, windowLimit, matched);
        if (end - state.position < n || state.position >= windowLimit) return;
      }
      sum.reset();
      sum.update(data + state.position, n);
      state.sumValid = true;
      state.checked = false;
    }
    if (!state.checked) {
      if (state.position >= windowLimit) return;
      uint32_t weak = sum.digest();
      if (index_.may_contain(weak)) {
        uint32_t block = index_.find(weak, data + state.position, state.preferred);
        if (block != SignatureIndex::kNoBlock) {
          matched(state.position, block);
          state.position += n;
          state.preferred = block + 1;
          state.sumValid = false;
          continue;
        }
      }
      state.checked = true;
    }
    if (state.position + n >= end) return;  // rolling needs the byte after the window
    // The hot loop: roll byte by byte until the prefilter says a block might match. It works on
    // local copies: byte loads may alias any member, which would force them through memory.
    size_t p = state.position;
    const size_t limit = std::min(end - n, std::max(windowLimit, p + 1));
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
    state.position = p;
    state.checked = false;
  }
}

// The decisions of the window-by-window search (find() takes the preferred block first when its
// sums match), so the delta is byte-identical; only the order of work differs. Without the weak
// sum (strong first), a window is taken when its strong sum alone matches: the same unless the
// signature's two sums disagree, which the native format's whole-file digest then catches.
template <class Rolling, class Matched>
void DeltaGenerator::follow_run(SearchState& state, size_t end, size_t windowLimit, const Matched& matched) {
  const size_t n = index_.params().blockLength;
  const size_t strongLength = index_.params().strongLength;
  const uint32_t indexed = index_.indexed_blocks();
  const uint8_t* windows[kRunBatch];
  uint8_t strong[kRunBatch * kMaxStrongLength];
  while (state.preferred < indexed && state.position < windowLimit) {
    const size_t below = (std::min(windowLimit, end) - state.position + n - 1) / n;  // windows starting before the limit
    const size_t count = std::min({kRunBatch, (end - state.position) / n, below, size_t(indexed - state.preferred)});
    size_t candidates = 0;
    // Windows that may continue the run: all of them, or those up to the first weak mismatch.
    for (; candidates < count; ++candidates) {
      const uint8_t* window = data_ + state.position + candidates * n;
      if (weakFirst_ && Rolling::of(window, n) != index_.weak(state.preferred + uint32_t(candidates))) break;
      windows[candidates] = window;
    }
    // One window of a weak-first run costs the same through the ordinary lookup.
    if (candidates == 0 || (weakFirst_ && candidates < 2)) return;
    strong_sums(index_.params().strong, windows, candidates, n, strong);
    size_t accepted = 0;
    while (accepted < candidates &&
           std::memcmp(strong + accepted * kMaxStrongLength, index_.strong(state.preferred + uint32_t(accepted)), strongLength) == 0) {
      ++accepted;
    }
    if (accepted == 0) return;
    for (size_t i = 0; i < accepted; ++i) {
      matched(state.position, state.preferred);
      state.position += n;
      ++state.preferred;
    }
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
    state_.position = end;
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
