// Delta generation: slide a window over the new file, emit COPY for blocks the basis has and
// LITERAL for the rest. Fed incrementally; memory is bounded by a few block lengths.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>
#include <vector>

#include "aligned_buffer.h"
#include "byte_sink.h"
#include "delta_encoder.h"
#include "content_digest.h"
#include "helper_thread.h"
#include "rolling.h"
#include "signature_index.h"

namespace deltanode {

class DeltaGenerator {
 public:
  DeltaGenerator(const SignatureIndex& index, ByteSink& sink);
  void update(const uint8_t* data, size_t length);
  // Zero-copy feeding from a file: `read(into, max)` fills up to `max` bytes and returns how many
  // (0 at the end). With a helper thread, the next piece is read there while this one is searched.
  // `progress` hears the length of every piece searched.
  using Reader = std::function<size_t(uint8_t* into, size_t max)>;
  void feed(const Reader& read, size_t pieceLength, const std::function<void(size_t)>& progress);
  void finish();
  uint64_t input_length() const noexcept { return inputLength_; }
  // With a helper thread, each large commit is shared with it: the helper reads the next piece,
  // hashes the digest unless this thread got to it first, and searches the second half ahead.
  void set_helper(HelperThread* helper) noexcept { helper_ = helper; }
  // For tests and fuzzing: the helper searches the second half of every commit, however short
  // (this thread never takes it over), so the joining of the two searches runs every time.
  void always_search_ahead() noexcept { aheadAlways_ = true; }
  // The new file's digest (of the signature's digest kind) as the caller already knows it: written
  // instead of computed. A patch checks its output against it, so content that differs from it
  // (a file changed since it was hashed) fails there. Before the first update.
  void use_known_digest(const Digest& digest) noexcept {
    wantDigest_ = false;
    knownDigest_ = digest;
    digestKnown_ = true;
  }

 private:
  // Where a search stands: the window at `position` and what is known of it.
  struct SearchState {
    size_t position = 0;
    bool sumValid = false;  // the rolling sum describes the window at `position`
    bool checked = false;   // that window has been looked up already
    uint32_t preferred = SignatureIndex::kNoBlock;  // the block after the last match
    RollSum rollSum;
    RabinKarp rabinKarp;
    template <class Rolling> Rolling& sum() noexcept {
      if constexpr (std::is_same_v<Rolling, RabinKarp>) {
        return rabinKarp;
      } else {
        return rollSum;
      }
    }
  };
  struct Match {
    size_t position;
    uint32_t block;
  };

  // Checks the windows of data_[0, end) that start before `windowLimit`, from `state`; calls
  // `matched(position, block)` for each match, in order. Stops at the first window at or past
  // the limit, or where no whole window is left.
  template <class Rolling, class Matched>
  void search(SearchState& state, size_t end, size_t windowLimit, const Matched& matched);
  // After a match: the blocks that follow it in the basis, checked a batch at a time while they
  // keep matching.
  template <class Rolling, class Matched>
  void follow_run(SearchState& state, size_t end, size_t windowLimit, const Matched& matched);
  // search() over everything held, with the helper (when there is one) running `alongside`,
  // hashing the digest if this thread has not yet (`claimDigest`), and searching the second half
  // ahead when enough is held.
  template <class Rolling>
  void search_all(const std::function<void()>& alongside, bool digestShared, const std::function<void()>& claimDigest);
  template <class Rolling> void match_tail();
  void take_match(size_t position, uint32_t block);
  void emit_literal_until(size_t position);
  // Searches `length` more bytes written at data_ + length_; runs `alongside` meanwhile.
  void commit(size_t length, const std::function<void()>& alongside);
  // Moves the bytes still needed to `at` (which may overlap them) and rebases the positions.
  void carry_to(uint8_t* at);

  const SignatureIndex& index_;
  std::unique_ptr<DeltaEncoder> encoder_;
  bool wantDigest_;
  HelperThread* helper_ = nullptr;
  ContentDigest digest_;
  Digest knownDigest_{};
  bool digestKnown_ = false;
  uint64_t inputLength_ = 0;

  // Input lives at data_[0, length_): in buffer_ (update) or in one of pieces_ (feed). Within it,
  // [literalStart_, state_.position) is pending literal and the search window starts at
  // state_.position.
  uint8_t* data_ = nullptr;
  AlignedBuffer buffer_;
  AlignedBuffer pieces_[2];
  size_t literalStart_ = 0;
  SearchState state_;
  size_t length_ = 0;       // bytes of input held
  std::vector<Match> aheadMatches_;  // what the helper's search of the second half found
  RabinKarp::OutTerms outTerms_{};
  bool outTermsReady_ = false;
  bool vectorScan_;
  // How runs are followed (follow_run): not at all (MD4: no cheaper way than the lookup), by weak
  // sum first (BLAKE2b: the strong sums of those that pass are computed together), or by strong sum
  // alone (full-length XXH3: cheaper than the weak sum).
  bool followRuns_;
  bool weakFirst_;
  bool aheadAlways_ = false;
  bool finished_ = false;
};

}  // namespace deltanode
