// Block strong sums: MD4 and BLAKE2b-256 as librsync computes them, XXH3-128 for the native format.
#pragma once
#include <cstddef>
#include <cstdint>

#include "format.h"

namespace deltanode {

constexpr size_t kMaxStrongLength = 32;

// Writes the full-length sum (16 or 32 bytes) to `out`; callers compare or store a prefix.
void strong_sum(StrongHash hash, const uint8_t* data, size_t length, uint8_t out[kMaxStrongLength]) noexcept;

}  // namespace deltanode
