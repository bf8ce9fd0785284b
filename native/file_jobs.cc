#include "file_jobs.h"

#include <vector>

#include "aligned_buffer.h"
#include "delta.h"
#include "helper_thread.h"
#include "offload_sink.h"
#include "errors.h"
#include "signature.h"
#include "signature_index.h"

namespace deltanode {

static constexpr size_t kReadChunk = 1 << 20;
static constexpr uint64_t kDirectDeltaAfter = 16 << 20;

void JobControl::check_cancelled() const {
  if (slots_ && __atomic_load_n(&slots_[kCancel], __ATOMIC_RELAXED) != 0)
    throw EngineError(ErrorCode::Aborted, "the operation was aborted");
}

static void finish_output(OpenFile& output, FileSink& sink, bool syncOutput) {
  sink.finish();
  if (syncOutput && output.seekable()) output.sync();
}

bool FileSigner::sign(SignatureWriter& writer, uint64_t limit, const std::function<void()>& beforeRead,
                      const std::function<void(size_t)>& signedBytes) {
  FilePieces next(file_, beforeRead);
  if (!started_) {
    next.begin(pieces_[0].data(), kFilePiece);
    while (next.read_part()) {
    }
    ready_ = next.finish();
    started_ = true;
  }
  uint64_t covered = 0;
  while (ready_ > 0 && covered < limit) {
    next.begin(pieces_[current_ ^ 1].data(), kFilePiece);
    writer.update(pieces_[current_].data(), ready_, [&] { return next.read_part(); });
    // A short update may leave parts unread: they are read here.
    while (next.read_part()) {
    }
    covered += ready_;
    if (signedBytes) signedBytes(ready_);
    current_ ^= 1;
    ready_ = next.finish();
  }
  return ready_ > 0;
}

SignatureJobResult sign_file(const FileRef& basisRef, const FileRef& signatureRef, const RequestedParams& requested,
                             bool syncOutput, const JobControl& control) {
  OpenFile basis(basisRef, OpenFile::Mode::Read);
  int64_t size = basis.seekable() ? int64_t(basis.size()) : kUnknownSize;
  SignatureParams params = resolve_params(requested, size);
  OpenFile output(signatureRef, OpenFile::Mode::CreateExclusive);
  FileSink sink(output);
  // A seekable output gets the summary in the header (rewritten at the end); a pipe gets a trailer.
  SignatureWriter writer(params, sink, output.seekable());
  HelperThread helper;
  writer.set_helper(&helper);
  if (size >= 0) control.set_total(uint64_t(size));
  uint64_t done = 0;
  FileSigner(basis).sign(writer, UINT64_MAX, [&] { control.check_cancelled(); }, [&](size_t n) {
    done += n;
    control.set_done(done);
  });
  writer.finish();
  sink.flush();
  if (params.format == Format::Native && output.seekable()) {
    auto header = writer.final_header();
    output.write_at(0, header.data(), header.size());
  }
  finish_output(output, sink, syncOutput);
  return {params, writer.summary()};
}

DeltaJobResult delta_file(const FileRef& signatureRef, const FileRef& newRef, const FileRef& deltaRef, bool syncOutput,
                          const JobControl& control) {
  std::vector<uint8_t> signatureBytes;
  {
    OpenFile signatureFile(signatureRef, OpenFile::Mode::Read);
    signatureBytes = read_signature_file(signatureFile, kMaxSignatureBytes);
  }
  SignatureIndex index = SignatureIndex::parse(signatureBytes.data(), signatureBytes.size());
  std::vector<uint8_t>().swap(signatureBytes);
  OpenFile newFile(newRef, OpenFile::Mode::Read);
  if (newFile.seekable()) control.set_total(newFile.size());
  OpenFile output(deltaRef, OpenFile::Mode::CreateExclusive);
  FileSink sink(output);
  // A large delta (mostly literal data) is written past the page cache, in a file this job made.
  // Filling fresh page-cache pages is what costs here: right after another process's large write
  // on this VM, copying 256 MiB of delta into the page cache took 0.4 CPU-s, and the whole delta
  // 0.87-1.01 s instead of 0.47-0.51 s; written direct, 0.53-0.66 s either way. A 1 GiB patch
  // written direct was slower (disk-bound, 0.86-1.15 s), so patches keep the page cache.
  if (deltaRef.fd < 0) sink.go_direct_after(kDirectDeltaAfter);
  // A second helper writes the delta out (literals make it as large as the new file at worst)
  // while the first hashes and reads ahead and this thread searches.
  HelperThread writer;
  OffloadSink offload(sink, writer, /*hash=*/false, 1 << 20);
  DeltaGenerator generator(index, offload);
  HelperThread helper;
  generator.set_helper(&helper);
  uint64_t done = 0;
  generator.feed(
      [&](uint8_t* into, size_t max) {
        control.check_cancelled();
        return newFile.read_next(into, max);
      },
      kFilePiece,
      [&](size_t n) {
        done += n;
        control.set_done(done);
      });
  generator.finish();
  offload.finish();
  finish_output(output, sink, syncOutput);
  return {index.params().format, generator.input_length()};
}

PatchJobResult patch_file(const FileRef& basisRef, const FileRef& deltaRef, const FileRef& outputRef, bool syncOutput,
                          const JobControl& control) {
  OpenFile basis(basisRef, OpenFile::Mode::Read);
  if (!basis.seekable())
    throw EngineError(ErrorCode::InvalidArgument, "the basis " + basis.name() + " must be a regular file (patch reads it at random offsets)");
  OpenFile delta(deltaRef, OpenFile::Mode::Read);
  FileBasis reader(basis);
  PatchApplier applier(reader);
  if (delta.seekable()) {
    applier.set_input_length(delta.size());
    control.set_total(delta.size());
  }
  const FileIdentity basisBefore = basis.identity();
  OpenFile output(outputRef, OpenFile::Mode::CreateExclusive);
  // Holes only in a file this job created: a borrowed descriptor may be in append mode.
  FileSink fileSink(output, /*sparse=*/outputRef.fd < 0);
  // The helper hashes and writes the output while this thread reads the basis and the delta.
  HelperThread helper;
  OffloadSink sink(fileSink, helper, /*hash=*/true);
  applier.hash_through(&sink);
  AlignedBuffer chunk(kReadChunk);
  uint64_t done = 0;
  for (;;) {
    control.check_cancelled();
    size_t n = delta.read_next(chunk.data(), chunk.size());
    size_t at = 0;
    // A copy command can stand for gigabytes: apply it in pieces so cancellation stays prompt.
    do {
      control.check_cancelled();
      at += applier.step(chunk.data() + at, n - at, n == 0, sink, 64u << 20);
    } while (at < n || applier.has_pending_output());
    done += n;
    control.set_done(done);
    if (n == 0) break;
  }
  finish_patch_output(sink, output, fileSink, syncOutput, basis, basisBefore);
  return {applier.format(), applier.output_length()};
}

void finish_patch_output(OffloadSink& sink, OpenFile& output, FileSink& fileSink, bool syncOutput, const OpenFile& basis,
                         const FileIdentity& basisBefore) {
  sink.finish();  // librsync deltas carry no digest: this only drains the last batch
  finish_output(output, fileSink, syncOutput);
  // A basis written to meanwhile may have given the output a mix of old and new bytes; a librsync
  // delta carries no digest that would notice.
  if (basis.identity() != basisBefore)
    throw EngineError(ErrorCode::Io, "the basis " + basis.name() + " changed while it was being patched");
}

}  // namespace deltanode
