// Writes delta commands in one of the two formats. Adjacent copies are merged here, so the
// search can report matches block by block.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "byte_sink.h"
#include "format.h"

namespace deltanode {

class DeltaEncoder {
 public:
  virtual ~DeltaEncoder() = default;
  void literal(const uint8_t* data, size_t length);
  void copy(uint64_t offset, uint64_t length);
  // Flushes the pending copy and writes the end of the delta. `output` describes the new file
  // (its length and digest), which only the native format records.
  void end(const BasisSummary& output);

 protected:
  explicit DeltaEncoder(ByteSink& sink) : sink_(sink) {}
  virtual void write_literal(const uint8_t* data, size_t length) = 0;
  virtual void write_copy(uint64_t offset, uint64_t length) = 0;
  virtual void write_end(const BasisSummary& output) = 0;
  ByteSink& sink_;

 private:
  void flush_copy();
  uint64_t copyOffset_ = 0;
  uint64_t copyLength_ = 0;
};

// `basis` is what the signature said about the basis (the native header records it).
std::unique_ptr<DeltaEncoder> make_delta_encoder(const SignatureParams& params, ByteSink& sink, const BasisSummary& basis);

}  // namespace deltanode
