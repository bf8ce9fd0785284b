// Patch application: a state machine fed with delta bytes in pieces of any size. Every command
// is checked against the basis (and, when known, the remaining input) before it produces output.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "byte_sink.h"
#include "format.h"
#include "hash_blake3.h"
#include "aligned_buffer.h"
#include "content_digest.h"
#include "offload_sink.h"

namespace deltanode {

class BasisReader {
 public:
  virtual ~BasisReader() = default;
  virtual uint64_t size() const = 0;
  // Reads exactly `length` bytes at `offset`; the caller guarantees the range is inside size().
  virtual void read(uint64_t offset, uint8_t* out, size_t length) = 0;
};

class MemoryBasis final : public BasisReader {
 public:
  MemoryBasis(const uint8_t* data, size_t length) : data_(data), length_(length) {}
  uint64_t size() const override { return length_; }
  void read(uint64_t offset, uint8_t* out, size_t length) override;

 private:
  const uint8_t* data_;
  size_t length_;
};

class PatchApplier {
 public:
  explicit PatchApplier(BasisReader& basis);

  // Optional: the total length of the delta, so that a literal longer than what is left of the
  // input is refused before anything of it is written.
  void set_input_length(uint64_t length) noexcept { inputLength_ = length; inputLengthKnown_ = true; }

  // Consumes delta bytes and writes at most `outputBudget` bytes of the new file to `sink`.
  // Returns how many input bytes were consumed; fewer than `length` means the budget ran out
  // (call again with the rest). `endOfInput` says no bytes follow these.
  size_t step(const uint8_t* data, size_t length, bool endOfInput, ByteSink& sink, size_t outputBudget);

  // The output goes through `sink`, which hashes it: the applier then takes its digest from there
  // instead of hashing itself. Pass the same sink to step().
  void hash_through(OffloadSink* sink) noexcept { hashingSink_ = sink; }

  bool done() const noexcept { return stage_ == Stage::Done; }
  // True while a copy or literal still has output to give without more input.
  bool has_pending_output() const noexcept {
    return (stage_ == Stage::Copy && remaining_ > 0);
  }
  uint64_t output_length() const noexcept { return outputLength_; }
  Format format() const noexcept { return format_; }

 private:
  enum class Stage { Magic, NativeHeader, Command, Literal, Copy, NativeTrailer, Done };
  enum class Parse { Ok, NeedMore };
  struct Command {
    enum Kind { End, Literal, Copy } kind = End;
    uint64_t offset = 0;
    uint64_t length = 0;
  };

  Parse parse_unit(const uint8_t* data, size_t length, size_t& used);
  Parse parse_librsync_command(const uint8_t* data, size_t length, size_t& used, Command& command);
  Parse parse_native_command(const uint8_t* data, size_t length, size_t& used, Command& command);
  void begin(const Command& command);
  void produce(const uint8_t* data, size_t length, ByteSink& sink);

  BasisReader& basis_;
  Stage stage_ = Stage::Magic;
  Format format_ = Format::Native;
  Command parsedCommand_;
  bool hasParsedCommand_ = false;
  std::vector<uint8_t> pending_;  // a command, header or trailer split across calls
  AlignedBuffer scratch_;        // copies are read here: aligned reads are faster
  uint64_t remaining_ = 0;        // bytes left in the current literal or copy
  uint64_t copyOffset_ = 0;
  uint64_t previousCopyEnd_ = 0;
  uint64_t outputLength_ = 0;
  uint64_t consumedTotal_ = 0;
  uint64_t inputLength_ = 0;
  bool inputLengthKnown_ = false;
  bool wantDigest_ = false;
  OffloadSink* hashingSink_ = nullptr;
  ContentDigest digest_;
};

}  // namespace deltanode
