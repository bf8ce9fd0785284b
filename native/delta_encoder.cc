#include "delta_encoder.h"

#include "byte_order.h"
#include "varint.h"

namespace deltanode {

void DeltaEncoder::literal(const uint8_t* data, size_t length) {
  if (length == 0) return;
  flush_copy();
  write_literal(data, length);
}

void DeltaEncoder::copy(uint64_t offset, uint64_t length) {
  if (length == 0) return;
  if (copyLength_ && copyOffset_ + copyLength_ == offset) {
    copyLength_ += length;
    return;
  }
  flush_copy();
  copyOffset_ = offset;
  copyLength_ = length;
}

void DeltaEncoder::end(const BasisSummary& output) {
  flush_copy();
  write_end(output);
}

void DeltaEncoder::flush_copy() {
  if (!copyLength_) return;
  write_copy(copyOffset_, copyLength_);
  copyLength_ = 0;
}

namespace {

// librsync: an opcode byte, then big-endian arguments in the smallest of 1, 2, 4 or 8 bytes.
class LibrsyncEncoder final : public DeltaEncoder {
 public:
  explicit LibrsyncEncoder(ByteSink& sink) : DeltaEncoder(sink) {
    uint8_t magic[4];
    store_u32_be(magic, kRsDeltaMagic);
    sink_.write(magic, 4);
  }

 private:
  static unsigned width_code(uint64_t v) { return v <= 0xff ? 0 : v <= 0xffff ? 1 : v <= 0xffffffffull ? 2 : 3; }

  void write_literal(const uint8_t* data, size_t length) override {
    uint8_t command[9];
    size_t used;
    if (length <= 64) {
      command[0] = uint8_t(length);
      used = 1;
    } else {
      unsigned w = width_code(length);
      command[0] = uint8_t(0x41 + w);
      store_be(command + 1, length, 1u << w);
      used = 1 + (1u << w);
    }
    sink_.write(command, used);
    sink_.write(data, length);
  }

  void write_copy(uint64_t offset, uint64_t length) override {
    unsigned wo = width_code(offset), wl = width_code(length);
    uint8_t command[17];
    command[0] = uint8_t(0x45 + 4 * wo + wl);
    store_be(command + 1, offset, 1u << wo);
    store_be(command + 1 + (1u << wo), length, 1u << wl);
    sink_.write(command, 1 + (1u << wo) + (1u << wl));
  }

  void write_end(const BasisSummary&) override {
    uint8_t end = 0;
    sink_.write(&end, 1);
  }
};

// Native: LEB128 arguments; copy offsets are relative to the end of the previous copy, so
// in-order copies cost a byte or two.
class NativeEncoder final : public DeltaEncoder {
 public:
  NativeEncoder(ByteSink& sink, const BasisSummary& basis, DigestId digest) : DeltaEncoder(sink) {
    auto header = encode_native_delta_header(basis, digest);
    sink_.write(header.data(), header.size());
  }

 private:
  void write_literal(const uint8_t* data, size_t length) override {
    uint8_t command[1 + kMaxVarintLength];
    command[0] = kNativeOpLiteral;
    size_t used = 1 + put_varint(command + 1, length);
    sink_.write(command, used);
    sink_.write(data, length);
  }

  void write_copy(uint64_t offset, uint64_t length) override {
    uint8_t command[1 + 2 * kMaxVarintLength];
    command[0] = kNativeOpCopy;
    size_t used = 1 + put_varint(command + 1, zigzag(int64_t(offset - previousEnd_)));
    used += put_varint(command + used, length);
    sink_.write(command, used);
    previousEnd_ = offset + length;
  }

  void write_end(const BasisSummary& output) override {
    uint8_t end[1 + kNativeDeltaTrailerLength];
    end[0] = kNativeOpEnd;
    store_u64_le(end + 1, output.length);
    std::copy(output.digest.begin(), output.digest.end(), end + 9);
    sink_.write(end, sizeof end);
  }

  uint64_t previousEnd_ = 0;
};

}  // namespace

std::unique_ptr<DeltaEncoder> make_delta_encoder(const SignatureParams& params, ByteSink& sink, const BasisSummary& basis) {
  if (params.format == Format::Librsync) return std::make_unique<LibrsyncEncoder>(sink);
  return std::make_unique<NativeEncoder>(sink, basis, params.digest);
}

}  // namespace deltanode
