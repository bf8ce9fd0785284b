// Signature generation: one record (weak sum, strong sum prefix) per block of the basis.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "byte_sink.h"
#include "format.h"
#include "content_digest.h"
#include "helper_thread.h"

namespace deltanode {

// Appends the records of `length` bytes of basis that start on a block boundary; every block is
// full except possibly the last. Pure function of its input, so ranges can be signed in parallel.
void append_block_records(const SignatureParams& params, const uint8_t* data, size_t length,
                          std::vector<uint8_t>& out);

size_t signature_record_length(const SignatureParams& params) noexcept;

// Incremental writer: feed the basis in pieces of any size.
class SignatureWriter {
 public:
  // With `headerRewritable`, the native header is written with placeholder summary fields that the
  // caller overwrites with final_header() once finished (file output); otherwise a native
  // signature carries its summary in a trailer (stream output).
  SignatureWriter(const SignatureParams& params, ByteSink& sink, bool headerRewritable);

  // With a helper thread, large updates hash the digest there (BLAKE3: half of it) while the blocks
  // are summed on both.
  void set_helper(HelperThread* helper) noexcept { helper_ = helper; }
  // The basis's digest (of the signature's digest kind) as the caller already knows it: written
  // instead of computed, so the basis is only summed block by block. Before the first update.
  void use_known_digest(const Digest& digest) noexcept {
    wantDigest_ = false;
    finalDigest_ = digest;
  }
  // `shared` (say, reading a part of the next piece of the basis) is called, by this thread and the
  // helper alike, until it returns false, before they sum this piece's blocks in slices.
  void update(const uint8_t* data, size_t length, const std::function<bool()>& shared = nullptr);
  void finish();

  BasisSummary summary() const;                // after finish()
  std::vector<uint8_t> final_header() const;   // after finish()

 private:
  SignatureParams params_;
  ByteSink& sink_;
  bool headerRewritable_;
  bool finished_ = false;
  bool wantDigest_;
  std::vector<uint8_t> partialBlock_;
  void append_records_parallel(const uint8_t* all, size_t allLength, const uint8_t* blocks, size_t blocksLength,
                               const std::function<bool()>& shared);

  HelperThread* helper_ = nullptr;
  std::vector<uint8_t> records_;
  std::vector<std::vector<uint8_t>> sliceRecords_;
  ContentDigest digest_;
  uint64_t length_ = 0;
  Digest finalDigest_{};
};

}  // namespace deltanode
