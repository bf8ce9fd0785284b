#include "errors.h"

namespace deltanode {

const char* error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::BadSignature: return "DELTANODE_ERR_BAD_SIGNATURE";
    case ErrorCode::CorruptDelta: return "DELTANODE_ERR_CORRUPT_DELTA";
    case ErrorCode::BasisMismatch: return "DELTANODE_ERR_BASIS_MISMATCH";
    case ErrorCode::DigestMismatch: return "DELTANODE_ERR_DIGEST_MISMATCH";
    case ErrorCode::Aborted: return "DELTANODE_ERR_ABORTED";
    case ErrorCode::Io: return "DELTANODE_ERR_IO";
    case ErrorCode::InvalidArgument: return "DELTANODE_ERR_INVALID_ARGUMENT";
  }
  return "DELTANODE_ERR_INTERNAL";
}

}  // namespace deltanode
