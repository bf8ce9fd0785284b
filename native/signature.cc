#include "signature.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <stdexcept>

#include "byte_order.h"
#include "rolling.h"
#include "strong_sum.h"

namespace deltanode {

size_t signature_record_length(const SignatureParams& params) noexcept { return 4 + params.strongLength; }

// Full blocks whose strong sums are computed in one strong_sums call.
static constexpr size_t kBlocksPerBatch = 8;

void append_block_records(const SignatureParams& params, const uint8_t* data, size_t length,
                          std::vector<uint8_t>& out) {
  const size_t block = params.blockLength;
  const size_t recordLength = signature_record_length(params);
  const size_t blocks = (length + block - 1) / block;
  size_t at = out.size();
  out.resize(at + blocks * recordLength);
  const bool batched = strong_sums_batched(params.strong);
  uint8_t strong[kBlocksPerBatch * kMaxStrongLength];
  const uint8_t* windows[kBlocksPerBatch];
  for (size_t offset = 0; offset < length;) {
    // A batch of full blocks, or one block (the short last one, or every one without batching).
    size_t count = batched ? std::min(kBlocksPerBatch, (length - offset) / block) : 0;
    size_t n = block;
    if (count > 0) {
      for (size_t i = 0; i < count; ++i) windows[i] = data + offset + i * block;
      strong_sums(params.strong, windows, count, block, strong);
    } else {
      count = 1;
      n = std::min(length - offset, block);
      strong_sum(params.strong, data + offset, n, strong);
    }
    for (size_t i = 0; i < count; ++i, offset += n) {
      const uint8_t* p = data + offset;
      uint32_t weak = params.weak == WeakHash::RabinKarp ? RabinKarp::of(p, n) : RollSum::of(p, n);
      uint8_t* record = &out[at];
      if (params.format == Format::Librsync) {
        store_u32_be(record, weak);
      } else {
        store_u32_le(record, weak);
      }
      std::memcpy(record + 4, strong + i * kMaxStrongLength, params.strongLength);
      at += recordLength;
    }
  }
}

SignatureWriter::SignatureWriter(const SignatureParams& params, ByteSink& sink, bool headerRewritable)
    : params_(params),
      sink_(sink),
      headerRewritable_(headerRewritable),
      wantDigest_(params.format == Format::Native),
      digest_(params.digest) {
  BasisSummary placeholder;
  placeholder.known = headerRewritable;
  auto header = encode_signature_header(params_, &placeholder);
  sink_.write(header.data(), header.size());
  partialBlock_.reserve(params_.blockLength);
}

// Below this, handing work to the helper costs more than it saves.
static constexpr size_t kParallelMinimum = 1 << 20;
static constexpr size_t kSlices = 16;

// Both threads take parts of the shared work (reading the next piece, see FilePieces), hash a part
// of the digest, then take slices of blocks until none are left. Records are written in block
// order, whoever computed them.
void SignatureWriter::append_records_parallel(const uint8_t* all, size_t allLength, const uint8_t* blocks,
                                              size_t blocksLength, const std::function<bool()>& shared) {
  const size_t block = params_.blockLength;
  const size_t count = blocksLength / block;
  const size_t slices = count < kSlices ? count : kSlices;
  sliceRecords_.resize(slices);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < slices;) {
      size_t first = count * i / slices, last = count * (i + 1) / slices;
      sliceRecords_[i].clear();
      append_block_records(params_, blocks + first * block, (last - first) * block, sliceRecords_[i]);
    }
  };
  const uint64_t position = length_ - allLength;
  Blake3* blake3 = wantDigest_ ? digest_.blake3() : nullptr;
  const size_t split = blake3 ? ContentDigest::blake3_split(position, allLength) : 0;
  Blake3 secondPart = Blake3::startingAtChunk((position + split) / Blake3::kChunkLength);
  helper_->share(
      [&] {
        // The digest first: the job's thread starts on the shared work meanwhile.
        if (split) {
          secondPart.update(all + split, allLength - split);
        } else if (wantDigest_) {
          digest_.update(all, allLength);
        }
        while (shared && shared()) {
        }
        work();
      },
      [&] {
        while (shared && shared()) {
        }
        if (split) blake3->update(all, split);
        work();
      });
  if (split && !blake3->append(secondPart)) throw std::logic_error("BLAKE3 parts do not join");
  for (size_t i = 0; i < slices; ++i) records_.insert(records_.end(), sliceRecords_[i].begin(), sliceRecords_[i].end());
}

void SignatureWriter::update(const uint8_t* data, size_t length, const std::function<bool()>& shared) {
  length_ += length;
  const size_t block = params_.blockLength;
  records_.clear();
  const uint8_t* rest = data;
  size_t restLength = length;
  if (!partialBlock_.empty()) {
    size_t take = block - partialBlock_.size() < length ? block - partialBlock_.size() : length;
    partialBlock_.insert(partialBlock_.end(), data, data + take);
    rest += take;
    restLength -= take;
    if (partialBlock_.size() == block) {
      append_block_records(params_, partialBlock_.data(), block, records_);
      partialBlock_.clear();
    }
  }
  size_t whole = restLength / block * block;
  if (helper_ && length >= kParallelMinimum) {
    append_records_parallel(data, length, rest, whole, shared);
  } else {
    while (shared && shared()) {
    }
    if (wantDigest_) digest_.update(data, length);
    if (whole) append_block_records(params_, rest, whole, records_);
  }
  partialBlock_.insert(partialBlock_.end(), rest + whole, rest + restLength);
  if (!records_.empty()) sink_.write(records_.data(), records_.size());
}

void SignatureWriter::finish() {
  records_.clear();
  if (!partialBlock_.empty()) append_block_records(params_, partialBlock_.data(), partialBlock_.size(), records_);
  partialBlock_.clear();
  if (!records_.empty()) sink_.write(records_.data(), records_.size());
  if (wantDigest_) finalDigest_ = digest_.finalize();
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
