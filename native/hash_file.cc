#include "hash_file.h"

#include <functional>
#include <memory>

#include "aligned_buffer.h"
#include "content_digest.h"
#include "errors.h"
#include "helper_thread.h"

namespace deltanode {

// Small files (most of a tree) take one read and no second thread; large ones are read in
// pieces, each read and then BLAKE3-hashed half and half on two threads.
static constexpr size_t kSmallPiece = 1 << 20;
static constexpr size_t kLargePiece = 8 << 20;
static constexpr uint64_t kTwoThreadMinimum = 16 << 20;

HashFileResult hash_file(const FileRef& ref, DigestId id, const JobControl& control) {
  OpenFile file(ref, OpenFile::Mode::Read);
  HashFileResult result;
  result.before = file.identity();
  if (file.seekable()) control.set_total(file.size());
  ContentDigest digest(id);
  std::unique_ptr<HelperThread> helper;
  if (id == DigestId::Blake3 && file.seekable() && file.size() >= kTwoThreadMinimum)
    helper = std::make_unique<HelperThread>();
  AlignedBuffer piece(helper ? kLargePiece : kSmallPiece);
  const std::function<void()> beforeRead = [&] { control.check_cancelled(); };
  FilePieces pieces(file, beforeRead);
  for (;;) {
    control.check_cancelled();
    size_t n = 0;
    if (helper) {
      // Both threads copy parts of the piece out of the page cache (see FilePieces), then each
      // hashes a half of it.
      pieces.begin(piece.data(), piece.size());
      const auto readParts = [&] {
        while (pieces.read_part()) {
        }
      };
      helper->share(readParts, readParts);
      n = pieces.finish();
    } else {
      n = file.read_next(piece.data(), piece.size());
    }
    if (n == 0) break;
    if (helper) {
      digest.update_on_two(result.length, piece.data(), n, *helper);
    } else {
      digest.update(piece.data(), n);
    }
    result.length += n;
    control.set_done(result.length);
  }
  result.digest = digest.finalize();
  result.after = file.identity();
  return result;
}

}  // namespace deltanode
