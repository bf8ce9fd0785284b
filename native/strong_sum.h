// Block strong sums: MD4 and BLAKE2b-256 as librsync computes them, XXH3-128 for the native format.
#pragma once
#include <cstddef>
#include <cstdint>

#include "format.h"

namespace deltanode {

constexpr size_t kMaxStrongLength = 32;

// Writes the full-length sum (16 or 32 bytes) to `out`; callers compare or store a prefix.
void strong_sum(StrongHash hash, const uint8_t* data, size_t length, uint8_t out[kMaxStrongLength]) noexcept;

// The sums of `count` windows of `length` bytes each, sum i to out + i * kMaxStrongLength: several
// at once where the hash has a multi-message kernel (BLAKE2b), one by one otherwise.
void strong_sums(StrongHash hash, const uint8_t* const* windows, size_t count, size_t length, uint8_t* out) noexcept;

// Whether strong_sums is faster than as many strong_sum calls.
bool strong_sums_batched(StrongHash hash) noexcept;

}  // namespace deltanode
