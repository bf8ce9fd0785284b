// The whole-content digest a native signature (of its basis) or delta (of its output) carries.
// XXH3-128 is the default: these digests catch a wrong basis or a damaged file, not an attacker
// (a peer who writes the delta also writes its digest), and XXH3 keeps the engine at I/O speed.
// BLAKE3 is there for callers who want the file's cryptographic digest from the same pass.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <stdexcept>

#include "format.h"
#include "hash_blake3.h"
#include "hash_xxh3.h"
#include "helper_thread.h"

namespace deltanode {

class ContentDigest {
 public:
  explicit ContentDigest(DigestId id = DigestId::Xxh3) noexcept : id_(id) {}
  DigestId id() const noexcept { return id_; }
  void update(const uint8_t* data, size_t length) noexcept {
    if (id_ == DigestId::Blake3) {
      blake3_.update(data, length);
    } else {
      xxh3_.update(data, length);
    }
  }
  // 32 bytes: BLAKE3-256, or XXH3-128 in canonical (big-endian) form followed by 16 zero bytes.
  Digest finalize() const noexcept {
    Digest out{};
    if (id_ == DigestId::Blake3) {
      blake3_.finalize(out.data(), kDigestLength);
    } else {
      xxh3_.canonical(out.data());
    }
    return out;
  }
  // The BLAKE3 state, for callers that hash subtrees of it on several threads; null for XXH3.
  Blake3* blake3() noexcept { return id_ == DigestId::Blake3 ? &blake3_ : nullptr; }

  // Where `length` bytes at offset `position` of the input may be cut so that BLAKE3 hashes the
  // two parts apart: the second part must start at a multiple of a power of two no smaller than
  // itself. 0 when there is no such point.
  static size_t blake3_split(uint64_t position, size_t length) noexcept {
    size_t split = Blake3::kChunkLength;
    while (split < (length + 1) / 2) split <<= 1;
    return split < length && position % split == 0 ? split : 0;
  }

  // update() with BLAKE3's second half hashed on `helper` when the input allows; otherwise all
  // on this thread. `position` is how many bytes came before.
  void update_on_two(uint64_t position, const uint8_t* data, size_t length, HelperThread& helper) {
    const size_t split = id_ == DigestId::Blake3 ? blake3_split(position, length) : 0;
    if (!split) {
      update(data, length);
      return;
    }
    Blake3 second = Blake3::startingAtChunk((position + split) / Blake3::kChunkLength);
    helper.start([&] { second.update(data + split, length - split); });
    blake3_.update(data, split);
    helper.wait();
    if (!blake3_.append(second)) throw std::logic_error("BLAKE3 parts do not join");
  }

 private:
  DigestId id_;
  Blake3 blake3_;
  Xxh3Stream xxh3_;
};

}  // namespace deltanode
