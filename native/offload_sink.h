// A sink that hashes filled buffers (optionally) and hands them to a helper thread, which passes
// them on to the real sink: producing and hashing output overlap with writing it. Writing into
// the page cache is the slowest step of a patch, so it alone runs on the helper.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#include "aligned_buffer.h"
#include "byte_sink.h"
#include "format.h"
#include "content_digest.h"
#include "helper_thread.h"

namespace deltanode {

class OffloadSink final : public ByteSink {
 public:
  OffloadSink(ByteSink& target, HelperThread& helper, bool hash, size_t batch = 4 << 20)
      : target_(target), helper_(&helper), hash_(hash), batch_(batch) {
    allocate();
  }
  // Without a helper yet: use_helper() before the first write.
  OffloadSink(ByteSink& target, bool hash, size_t batch = 4 << 20)
      : target_(target), helper_(nullptr), hash_(hash), batch_(batch) {
    allocate();
  }
  ~OffloadSink() override {
    try {
      settle();
    } catch (...) {  // the job is failing already; its error is the one reported
    }
  }

  void write(const uint8_t* data, size_t length) override {
    while (length > 0) {
      size_t take = batch_ - fillingLength_ < length ? batch_ - fillingLength_ : length;
      std::memcpy(filling_.data() + fillingLength_, data, take);
      fillingLength_ += take;
      data += take;
      length -= take;
      if (fillingLength_ == batch_) hand_off();
    }
  }

  uint8_t* room(size_t want, size_t& granted) override {
    if (fillingLength_ == batch_) hand_off();
    granted = batch_ - fillingLength_ < want ? batch_ - fillingLength_ : want;
    return filling_.data() + fillingLength_;
  }

  void commit(size_t length) override {
    fillingLength_ += length;
    if (fillingLength_ == batch_) hand_off();
  }

  // A sink that outlives its helper (an engine driven one step at a time, each with a thread of its
  // own) waits for the write in flight and moves to the next one; null: to none until then.
  void use_helper(HelperThread* helper) {
    settle();
    helper_ = helper;
  }

  // Chooses the digest; only before the first write.
  void use_digest(DigestId id) noexcept { digest_ = ContentDigest(id); }

  // Writes out everything and returns the digest of all bytes written (zero when not hashing).
  Digest finish() {
    hand_off();
    settle();
    return hash_ ? digest_.finalize() : Digest{};
  }

 private:
  // Page-aligned, so that a sink writing with O_DIRECT can take the batches as they are.
  void allocate() {
    filling_.grow(batch_);
    flying_.grow(batch_);
  }

  void hand_off() {
    settle();
    if (fillingLength_ == 0) return;
    if (hash_) digest_.update(filling_.data(), fillingLength_);
    std::swap(flying_, filling_);
    flyingLength_ = std::exchange(fillingLength_, 0);
    inFlight_ = true;
    helper_->start([this] { target_.write(flying_.data(), flyingLength_); });
  }

  void settle() {
    if (!inFlight_) return;
    inFlight_ = false;
    helper_->wait();
  }

  ByteSink& target_;
  HelperThread* helper_;
  bool hash_;
  size_t batch_;
  bool inFlight_ = false;
  AlignedBuffer filling_;
  AlignedBuffer flying_;
  size_t fillingLength_ = 0;
  size_t flyingLength_ = 0;
  ContentDigest digest_;
};

}  // namespace deltanode
