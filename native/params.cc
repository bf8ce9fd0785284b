#include "params.h"

#include <string>

#include "errors.h"

namespace deltanode {

static unsigned floor_log2(uint64_t v) {
  unsigned n = 0;
  while (v >>= 1) ++n;
  return n;
}

static uint64_t floor_sqrt(uint64_t v) {
  uint64_t r = 0;
  for (uint64_t bit = uint64_t(1) << 62; bit; bit >>= 2) {
    if (v >= r + bit) {
      v -= r + bit;
      r = (r >> 1) + bit;
    } else {
      r >>= 1;
    }
  }
  return r;
}

SignatureParams resolve_params(const RequestedParams& requested, int64_t basisSize) {
  SignatureParams params;
  params.format = requested.format;
  params.weak = requested.weak;
  params.strong = requested.strong;
  params.digest = requested.digest;
  if (requested.blockLength == 0) {
    if (basisSize < 0) {
      params.blockLength = kDefaultBlockLengthUnknownSize;
    } else if (basisSize <= 256 * 256) {
      params.blockLength = 256;
    } else {
      uint64_t root = floor_sqrt(uint64_t(basisSize)) & ~uint64_t(127);
      params.blockLength = uint32_t(root < kMaxBlockLength ? root : kMaxBlockLength);
    }
  } else {
    if (requested.blockLength > kMaxBlockLength)
      throw EngineError(ErrorCode::InvalidArgument, "block length above " + std::to_string(kMaxBlockLength));
    params.blockLength = requested.blockLength;
  }
  const uint32_t maxStrong = uint32_t(max_strong_length(requested.strong));
  // Assumes the worst case of a new file 16 MiB longer than the basis with every match at its end;
  // for an unknown size librsync uses a fixed 12 bytes (safe to tens of terabytes).
  uint32_t minStrong = kDefaultMinStrongLengthUnknownSize;
  if (basisSize >= 0) {
    unsigned bits = floor_log2(uint64_t(basisSize) + (uint64_t(1) << 24)) +
                    floor_log2(uint64_t(basisSize) / params.blockLength + 1);
    minStrong = 2 + (bits + 7) / 8;
  }
  if (requested.strongLength == 0) {
    params.strongLength = maxStrong;
  } else if (requested.strongLength == -1) {
    params.strongLength = minStrong < maxStrong ? minStrong : maxStrong;
  } else if (requested.strongLength < 1 || uint32_t(requested.strongLength) > maxStrong) {
    throw EngineError(ErrorCode::InvalidArgument, "strong sum length must be 1.." + std::to_string(maxStrong) +
                                                      " (or 0 for the maximum, -1 for the minimum)");
  } else {
    params.strongLength = uint32_t(requested.strongLength);
  }
  validate_params(params);
  return params;
}

}  // namespace deltanode
