// BLAKE3 hash (unkeyed "hash" mode), default 32-byte digest, extendable
// output available through finalize(out, n) for any n.
//
// Written from the BLAKE3 specification (Aumasson, Neves, O'Connor,
// Wilcox-O'Hearn, 2020). Input is split into 1 KiB chunks that form the
// leaves of a binary tree; every left subtree holds a power-of-two number of
// chunks. That shape is what makes SIMD and multi-threaded hashing possible:
// independent chunks are compressed side by side, and any power-of-two
// aligned run of chunks can be hashed separately and merged later.
//
// SIMD: the lane-parallel path is chosen at run time, once, from what the
// CPU supports (see cpu_features.h; DELTANODE_SIMD in the environment can
// cap it). AVX-512 hashes 16 chunks or parents at a time, AVX2 8, SSE4.1
// and SSE2 4; the portable scalar code is always there. Every path gives
// the same bytes. Defining DELTANODE_BLAKE3_PORTABLE compiles only the
// portable code.
#pragma once

#include <cstddef>
#include <cstdint>

namespace deltanode {

namespace detail {
struct Blake3Kernel;
}

class Blake3 {
 public:
  static constexpr size_t kDigestLength = 32;
  static constexpr size_t kChunkLength = 1024;
  // Height of the tallest tree: 2^64 bytes / 1 KiB = 2^54 chunks.
  static constexpr size_t kMaxDepth = 54;

  Blake3() noexcept;

  // A hasher for the part of a larger input that begins at byte offset
  // chunkIndex * 1024 of that input. Chunk counters are absolute, so the
  // part can later be append()ed to the hasher that holds everything before
  // it. finalize() on such a part is not a digest of anything; only
  // append() gives its state meaning.
  static Blake3 startingAtChunk(uint64_t chunkIndex) noexcept;

  // Any number of calls with any lengths; `data` may be null when `length`
  // is 0. Runs of whole chunks that start on a suitably aligned chunk index
  // are hashed as complete subtrees on the SIMD path.
  void update(const uint8_t* data, size_t length) noexcept;

  // Writes outLength bytes of output (32 = the standard digest; longer
  // values extend it, shorter values are prefixes). The state is unchanged,
  // so update() may continue afterwards.
  void finalize(uint8_t* out, size_t outLength = kDigestLength) const noexcept;

  // Back to the empty state of a hasher starting at chunk 0.
  void reset() noexcept;

  // Splices `following` onto the end of this hasher, leaving *this in
  // exactly the state it would have had after update() with all of
  // following's input. This is the merge step for parallel hashing:
  //
  //   // n bytes at buf; split = the largest 1024 * 2^j that is < n
  //   Blake3 left;                                           // thread A
  //   left.update(buf, split);
  //   Blake3 right = Blake3::startingAtChunk(split / 1024);  // thread B
  //   right.update(buf + split, n - split);
  //   left.append(right);                            // after both joined
  //   left.finalize(digest);              // same as blake3(buf, n, digest)
  //
  // Contract, checked: when it does not hold, append() returns false and
  // changes nothing.
  //  - following's first chunk (its startingAtChunk index) is the chunk
  //    right after this hasher's input, so this hasher's input must end on
  //    a chunk boundary (or be empty: then the indices must simply match);
  //  - following must be a subtree of the combined tree: its offset in
  //    chunks, counted from this hasher's own first chunk, must be a
  //    multiple of 2^j for the smallest 2^j >= following's length in chunks
  //    (rounded up). That rule is sufficient; the actual check is looser
  //    (it looks at the subtrees `following` really holds) and only accepts
  //    merges that give the exact sequential result.
  // Typical use: parts of 2^j chunks each, part i starting at chunk
  // i * 2^j, hashed on any threads and appended in order; only the last
  // part may be shorter (or end mid-chunk). An empty `following` is always
  // accepted and changes nothing.
  bool append(const Blake3& following) noexcept;

  // The lane-parallel path this hasher uses; see blake3SimdPaths().
  const char* simdPath() const noexcept;

  // Makes this hasher use the named path from now on, instead of the one
  // chosen for the process. Returns false, changing nothing, when this build
  // or CPU cannot run it. Results never depend on the path; this is for
  // tests and benchmarks. Copies keep the path; append() and reset() do not
  // change it.
  bool selectSimdPath(const char* path) noexcept;

 private:
  struct Node;
  uint64_t chunkBytes() const noexcept;
  bool empty() const noexcept;
  void resetTail() noexcept;
  void tailNode(Node* node) const noexcept;
  void absorbChunkBytes(const uint8_t* data, size_t length) noexcept;
  void commitTail() noexcept;
  void pushSubtree(const uint8_t cv[32], uint64_t chunkCount) noexcept;

  // Chaining values of complete subtrees, biggest first. Their sizes are the
  // set bits of committed_, so at most kMaxDepth of them exist.
  uint8_t stack_[kMaxDepth][32];
  uint32_t stackLen_;
  uint64_t firstChunk_;  // absolute index of this hasher's first chunk
  uint64_t committed_;   // chunks folded into stack_, relative to firstChunk_

  // The tail: the newest input, held back uncompressed until more input
  // proves it is not the root (the root compression gets a different flag).
  // Either a chunk in progress, or (pairChunks_ != 0) the two halves of a
  // subtree of pairChunks_ chunks, whose CVs sit in tailBlock_.
  uint32_t tailCv_[8];
  uint8_t tailBlock_[64];
  uint32_t tailBlockLen_;
  uint32_t tailBlocksDone_;
  uint64_t pairChunks_;

  const detail::Blake3Kernel* kernel_;  // lane-parallel code in use
};

// One-shot digest of `length` bytes; `data` may be null when `length` is 0.
void blake3(const uint8_t* data, size_t length, uint8_t out[32]) noexcept;

// The lane-parallel path new hashers use: "avx512", "avx2", "sse4.1",
// "sse2" or "portable". For logs and benchmarks.
const char* blake3SimdPath() noexcept;

// Every path this build and CPU can run, best first, ending with
// "portable", then a null pointer. blake3SimdPath() is the first of them
// unless DELTANODE_SIMD caps it.
const char* const* blake3SimdPaths() noexcept;

}  // namespace deltanode
