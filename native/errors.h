// Engine failures carry a stable code that the binding turns into a typed JavaScript error.
#pragma once
#include <stdexcept>
#include <string>

namespace deltanode {

enum class ErrorCode {
  BadSignature,    // malformed or unsupported signature input
  CorruptDelta,    // malformed delta, or a command that does not fit the basis
  BasisMismatch,   // the basis is not the one the delta was made against
  DigestMismatch,  // the produced content does not hash to the digest the delta promised
  Aborted,         // the caller cancelled the job
  Io,              // a system call failed
  InvalidArgument, // a caller broke a documented precondition
};

const char* error_code_name(ErrorCode code) noexcept;

class EngineError : public std::runtime_error {
 public:
  EngineError(ErrorCode code, const std::string& message, int sysErrno = 0)
      : std::runtime_error(message), code_(code), errno_(sysErrno) {}
  ErrorCode code() const noexcept { return code_; }
  int sys_errno() const noexcept { return errno_; }

 private:
  ErrorCode code_;
  int errno_;
};

}  // namespace deltanode
