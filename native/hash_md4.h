// MD4 message digest (RFC 1320).
//
// Only used as the legacy librsync "strong sum" (rdiff --hash=md4 signatures);
// MD4 is cryptographically broken and must not be relied on for security.
#pragma once

#include <cstddef>
#include <cstdint>

namespace deltanode {

// One-shot MD4 of `length` bytes at `data` into `out`. `data` may be null
// when `length` is 0. No alignment requirements.
void md4(const uint8_t* data, size_t length, uint8_t out[16]) noexcept;

}  // namespace deltanode
