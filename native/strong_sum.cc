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

void strong_sums(StrongHash hash, const uint8_t* const* windows, size_t count, size_t length, uint8_t* out) noexcept {
  if (hash == StrongHash::Blake2b) {
    static_assert(kMaxStrongLength == 32, "BLAKE2b sums are stored at a 32-byte stride");
    blake2bMany(windows, count, length, out, 32);
    return;
  }
  for (size_t i = 0; i < count; ++i) strong_sum(hash, windows[i], length, out + i * kMaxStrongLength);
}

bool strong_sums_batched(StrongHash hash) noexcept { return hash == StrongHash::Blake2b; }

}  // namespace deltanode
