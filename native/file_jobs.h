// Whole-file operations run on a worker thread: read with pread, write through a buffer, check
// for cancellation and publish progress between chunks.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>

#include "file_io.h"
#include "format.h"
#include "offload_sink.h"
#include "params.h"
#include "signature.h"

namespace deltanode {

// Shared with JavaScript through a small ArrayBuffer of four u64 slots.
class JobControl {
 public:
  enum Slot { kCancel = 0, kDone = 1, kTotal = 2 };
  explicit JobControl(uint64_t* slots = nullptr) : slots_(slots) {}
  void check_cancelled() const;
  void set_total(uint64_t total) const noexcept { store(kTotal, total); }
  void set_done(uint64_t done) const noexcept { store(kDone, done); }

 private:
  void store(Slot slot, uint64_t value) const noexcept {
    if (slots_) __atomic_store_n(&slots_[slot], value, __ATOMIC_RELAXED);
  }
  uint64_t* slots_;
};

// The piece a whole-file job reads at a time (two are in memory: one worked on, one being read).
constexpr size_t kFilePiece = 4 << 20;

// Signs a file piece by piece, reading the next piece while the writer (with its helper thread)
// signs this one. Resumable: each call carries on where the last one stopped.
class FileSigner {
 public:
  explicit FileSigner(OpenFile& file) : file_(file) {}
  // Signs whole pieces until at least `limit` more bytes are signed or the file ends; returns
  // whether anything is left. `beforeRead` runs before every read, `signedBytes` after every piece.
  bool sign(SignatureWriter& writer, uint64_t limit, const std::function<void()>& beforeRead = nullptr,
            const std::function<void(size_t)>& signedBytes = nullptr);

 private:
  OpenFile& file_;
  AlignedBuffer pieces_[2] = {AlignedBuffer(kFilePiece), AlignedBuffer(kFilePiece)};
  unsigned current_ = 0;
  size_t ready_ = 0;  // bytes read into pieces_[current_], not yet signed
  bool started_ = false;
};

struct SignatureJobResult {
  SignatureParams params;
  BasisSummary basis;  // known for the native format
};
SignatureJobResult sign_file(const FileRef& basis, const FileRef& signature, const RequestedParams& requested,
                             bool syncOutput, const JobControl& control);

struct DeltaJobResult {
  Format format = Format::Native;
  uint64_t newLength = 0;
};
DeltaJobResult delta_file(const FileRef& signature, const FileRef& newFile, const FileRef& delta, bool syncOutput,
                          const JobControl& control);

struct PatchJobResult {
  Format format = Format::Native;
  uint64_t outputLength = 0;
};
PatchJobResult patch_file(const FileRef& basis, const FileRef& delta, const FileRef& output, bool syncOutput,
                          const JobControl& control);

// The end of a patch's output (the whole-file job's and the file-writing step engine's): drain the
// offload sink, write out and (when asked) sync the file, and fail if the basis changed since
// `basisBefore`.
void finish_patch_output(OffloadSink& sink, OpenFile& output, FileSink& fileSink, bool syncOutput, const OpenFile& basis,
                         const FileIdentity& basisBefore);

// The largest signature a delta job loads (it must fit in memory next to its hash directory).
constexpr uint64_t kMaxSignatureBytes = uint64_t(4) << 30;

}  // namespace deltanode
