// The whole-content digest a native signature (of its basis) or delta (of its output) carries.
// XXH3-128 is the default: these digests catch a wrong basis or a damaged file, not an attacker
// (a peer who writes the delta also writes its digest), and XXH3 keeps the engine at I/O speed.
// BLAKE3 is there for callers who want the file's cryptographic digest from the same pass.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "format.h"
#include "hash_blake3.h"
#include "hash_xxh3.h"

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

 private:
  DigestId id_;
  Blake3 blake3_;
  Xxh3Stream xxh3_;
};

}  // namespace deltanode
