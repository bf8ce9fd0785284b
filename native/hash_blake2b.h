// BLAKE2b (RFC 7693), unkeyed, digest length 1..64 bytes.
//
// librsync's default strong sum: rdiff signatures hash each block with
// BLAKE2b-256 (outLength 32) and then truncate to the signature's strong-sum
// length, so callers should pass 32 here and truncate themselves rather
// than asking for a shorter digest (a shorter outLength changes every byte).
#pragma once

#include <cstddef>
#include <cstdint>

namespace deltanode {

// One-shot BLAKE2b of `length` bytes at `data`, writing `outLength` bytes to
// `out`. `outLength` must be 1..64; larger values are treated as 64 and 0
// writes nothing. `data` may be null when `length` is 0.
void blake2b(const uint8_t* data, size_t length, uint8_t* out,
             size_t outLength) noexcept;

// The compression function chosen at run time for this CPU: "avx2" or
// "portable". DELTANODE_SIMD in the environment can cap the choice (see
// cpu_features.h). For diagnostics.
const char* blake2bBackend() noexcept;

// Every compression function this build and CPU can run, best first,
// ending with "portable", then a null pointer.
const char* const* blake2bBackends() noexcept;

// blake2b() computed with the named compression function instead of the one
// chosen for the process; for tests and benchmarks (results never depend on
// it). Returns false, writing nothing, when this build or CPU cannot run it.
bool blake2bWithBackend(const char* backend, const uint8_t* data,
                        size_t length, uint8_t* out,
                        size_t outLength) noexcept;

// BLAKE2b of `count` messages that all have `length` bytes: digest i (of
// `outLength` bytes, clamped as above) goes to out + i * outLength. The same
// digests as blake2b() one by one, computed several at a time in vector
// lanes where the CPU allows (librsync's block sums: every block of a
// signature, the next blocks of a matching run in a delta).
void blake2bMany(const uint8_t* const* messages, size_t count, size_t length,
                 uint8_t* out, size_t outLength) noexcept;

// The same with the named multi-message kernel ("avx2x4", "portable"), for
// tests and benchmarks; false, writing nothing, when it cannot run here.
const char* blake2bManyBackend() noexcept;
const char* const* blake2bManyBackends() noexcept;
bool blake2bManyWithBackend(const char* backend, const uint8_t* const* messages,
                            size_t count, size_t length, uint8_t* out,
                            size_t outLength) noexcept;

// Incremental BLAKE2b for input that arrives in pieces. Produces exactly the
// same digest as the one-shot function for the concatenated input.
// finalize() may be called once; the object is spent afterwards.
class Blake2b {
 public:
  // outLength must be 1..64 (same clamping as the one-shot function).
  explicit Blake2b(size_t outLength = 64) noexcept;
  void update(const uint8_t* data, size_t length) noexcept;
  // Writes outLength bytes to `out`.
  void finalize(uint8_t* out) noexcept;

 private:
  uint64_t h_[8];
  uint64_t t0_ = 0;  // total bytes hashed so far, low word
  uint64_t t1_ = 0;  // ... high word (RFC 7693 counter is 128-bit)
  uint8_t buf_[128];
  size_t bufLen_ = 0;
  size_t outLen_;
};

}  // namespace deltanode
