// Delta generation: slide a window over the new file, emit COPY for blocks the basis has and
// LITERAL for the rest. Fed incrementally; memory is bounded by a few block lengths.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
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
  // Zero-copy feeding: write up to `length` bytes at the returned pointer, then commit() what
  // was written. Lets a file job read straight into the search buffer.
  uint8_t* input_space(size_t length);
  void commit(size_t length);
  void finish();
  uint64_t input_length() const noexcept { return inputLength_; }
  // With a helper thread, large inputs are hashed for the digest there while the search runs here.
  void set_helper(HelperThread* helper) noexcept { helper_ = helper; }

 private:
  template <class Rolling> void search(Rolling& sum);
  template <class Rolling> void match_tail();
  void emit_literal_until(size_t position);

  const SignatureIndex& index_;
  std::unique_ptr<DeltaEncoder> encoder_;
  bool wantDigest_;
  HelperThread* helper_ = nullptr;
  ContentDigest digest_;
  uint64_t inputLength_ = 0;

  uint8_t* window() noexcept { return buffer_.data() + base_; }

  // Input lives at buffer_[base_, base_ + length_); within it, [literalStart_, position_) is
  // pending literal and the search window starts at position_.
  AlignedBuffer buffer_;
  size_t base_ = 0;
  size_t literalStart_ = 0;
  size_t position_ = 0;
  bool sumValid_ = false;   // the rolling state describes the window at position_
  bool checked_ = false;    // the window at position_ has been looked up already
  size_t length_ = 0;       // bytes of input held
  RollSum rollSum_;
  RabinKarp rabinKarp_;
  RabinKarp::OutTerms outTerms_{};
  bool outTermsReady_ = false;
  bool vectorScan_;
  uint32_t preferred_ = SignatureIndex::kNoBlock;
  bool finished_ = false;
};

}  // namespace deltanode
