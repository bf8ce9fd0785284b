#include "strong_sum.h"

#include "hash_blake2b.h"
#include "hash_md4.h"
#include "hash_xxh3.h"

namespace deltanode {

void strong_sum(StrongHash hash, const uint8_t* data, size_t length, uint8_t out[kMaxStrongLength]) noexcept {
  switch (hash) {
    case StrongHash::Md4: md4(data, length, out); return;
    // librsync hashes with a 32-byte BLAKE2b and truncates, rather than asking for a shorter output.
    case StrongHash::Blake2b: blake2b(data, length, out, 32); return;
    case StrongHash::Xxh3: xxh3_128_canonical(data, length, out); return;
  }
}

}  // namespace deltanode
