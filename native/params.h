// Default block and strong-sum lengths, chosen as librsync 2.3's rs_sig_args chooses them so
// that `deltanode signature --format librsync` matches rdiff byte for byte.
#pragma once
#include <cstdint>

#include "format.h"

namespace deltanode {

constexpr int64_t kUnknownSize = -1;
constexpr uint32_t kDefaultBlockLengthUnknownSize = 2048;
constexpr uint32_t kDefaultMinStrongLengthUnknownSize = 12;
constexpr uint32_t kMaxBlockLength = 1u << 28;  // the search keeps a block in memory

struct RequestedParams {
  Format format = Format::Native;
  WeakHash weak = WeakHash::RabinKarp;
  StrongHash strong = StrongHash::Xxh3;
  uint32_t blockLength = 0;  // 0: recommended for the basis size
  int32_t strongLength = 0;  // 0: maximum, -1: minimum safe for the basis size
  DigestId digest = DigestId::Xxh3;
};

// Throws EngineError(InvalidArgument) for lengths out of range.
SignatureParams resolve_params(const RequestedParams& requested, int64_t basisSize);

}  // namespace deltanode
