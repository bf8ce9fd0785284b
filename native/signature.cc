#include "signature.h"

#include <cstring>

#include "byte_order.h"
#include "rolling.h"
#include "strong_sum.h"

namespace deltanode {

size_t signature_record_length(const SignatureParams& params) noexcept { return 4 + params.strongLength; }

void append_block_records(const SignatureParams& params, const uint8_t* data, size_t length,
                          std::vector<uint8_t>& out) {
  const size_t block = params.blockLength;
  const size_t recordLength = signature_record_length(params);
  const size_t blocks = (length + block - 1) / block;
  size_t at = out.size();
  out.resize(at + blocks * recordLength);
  uint8_t strong[kMaxStrongLength];
  for (size_t offset = 0; offset < length; offset += block) {
    size_t n = length - offset < block ? length - offset : block;
    const uint8_t* p = data + offset;
    uint32_t weak = params.weak == WeakHash::RabinKarp ? RabinKarp::of(p, n) : RollSum::of(p, n);
    strong_sum(params.strong, p, n, strong);
    uint8_t* record = &out[at];
    if (params.format == Format::Librsync) {
      store_u32_be(record, weak);
    } else {
      store_u32_le(record, weak);
    }
    std::memcpy(record + 4, strong, params.strongLength);
    at += recordLength;
  }
}

SignatureWriter::SignatureWriter(const SignatureParams& params, ByteSink& sink, bool headerRewritable)
    : params_(params), sink_(sink), headerRewritable_(headerRewritable), wantDigest_(params.format == Format::Native) {
  BasisSummary placeholder;
  placeholder.known = headerRewritable;
  auto header = encode_signature_header(params_, &placeholder);
  sink_.write(header.data(), header.size());
  partialBlock_.reserve(params_.blockLength);
}

void SignatureWriter::update(const uint8_t* data, size_t length) {
  if (wantDigest_) digest_.update(data, length);
  length_ += length;
  const size_t block = params_.blockLength;
  records_.clear();
  if (!partialBlock_.empty()) {
    size_t take = block - partialBlock_.size() < length ? block - partialBlock_.size() : length;
    partialBlock_.insert(partialBlock_.end(), data, data + take);
    data += take;
    length -= take;
    if (partialBlock_.size() < block) return;
    append_block_records(params_, partialBlock_.data(), block, records_);
    partialBlock_.clear();
  }
  size_t whole = length / block * block;
  if (whole) append_block_records(params_, data, whole, records_);
  partialBlock_.assign(data + whole, data + length);
  if (!records_.empty()) sink_.write(records_.data(), records_.size());
}

void SignatureWriter::finish() {
  records_.clear();
  if (!partialBlock_.empty()) append_block_records(params_, partialBlock_.data(), partialBlock_.size(), records_);
  partialBlock_.clear();
  if (!records_.empty()) sink_.write(records_.data(), records_.size());
  if (wantDigest_) digest_.finalize(finalDigest_.data(), kDigestLength);
  finished_ = true;
  if (params_.format == Format::Native && !headerRewritable_) {
    auto trailer = encode_signature_trailer(summary());
    sink_.write(trailer.data(), trailer.size());
  }
}

BasisSummary SignatureWriter::summary() const {
  BasisSummary summary;
  summary.known = finished_ && params_.format == Format::Native;
  summary.length = length_;
  summary.digest = finalDigest_;
  return summary;
}

std::vector<uint8_t> SignatureWriter::final_header() const {
  BasisSummary s = summary();
  return encode_signature_header(params_, &s);
}

}  // namespace deltanode
