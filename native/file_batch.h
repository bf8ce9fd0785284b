// Many small files of one folder in one call, on a worker thread. Writing or reading a small file
// from JavaScript costs a round trip through the libuv pool per system call (about 12 for a
// verified, durable write, 5 for a read); these jobs make all of them here, in one task, and a
// write batch makes its files durable together before renaming any (see SyncBarrier).
//
// write_folder_batches, for files of one or more folders in one job (each folder opened once; when
// that fails every file of it fails with its errno):
//   1. each file goes to `.<name>.<12 hex>.deltanode-tmp` (O_EXCL, 0600; the name part is cut at
//      a code-point boundary to keep it within 255 bytes), gets its mode and mtime, is read back
//      and must hash (BLAKE3) to its expected digest and size;
//   2. one durability barrier for all files of all folders before anything is renamed (SyncBarrier,
//      below; a syncfs per file system the folders are on);
//   3. a new name is taken with one rename that cannot replace anything; otherwise an existing
//      entry at the name is hard-linked into the folder's trash folder first when a trash name is
//      given (the trash folder is made, with its missing parents, the first time; if any of that
//      fails the file fails and nothing is replaced), then the temporary file is
//      renamed over it; a folder at the name fails the file;
//   4. each folder (and its trash folder, when links were made) is synced once.
//   A file that fails leaves no temporary file behind; the others go on. Cancellation is seen
//   between files until the barrier: the job then throws Aborted and leaves nothing behind.
// write_file_batch is the same for one folder.
//
// read_file_batch: each name opened without following links; it must be a regular file of at most
// `maxFileBytes`; all contents go into one buffer (each at a 64-byte aligned offset); a file whose
// size, mtime or ctime changed while it was read is an error result.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "file_jobs.h"

namespace deltanode {

// Per-file outcome; the binding maps it to a DELTANODE_ERR_* code.
enum class BatchStatus : uint8_t { Ok = 0, Io = 1, DigestMismatch = 2 };

// How a write batch makes its temporary files durable before renaming them.
//   Syncfs: one syncfs(2) of the folder's file system after all files are written: one journal
//     commit, but it also waits for every other dirty page and metadata block of that file system.
//   FsyncEach: fsync(2) of each file right after it is written: a journal commit per file.
//   WritebackThenFsync: the write-back of each file is started as it is written
//     (sync_file_range), and each is fsynced at the barrier; the commits find their data on its way.
//     Its descriptors stay open until the barrier. Linux only.
//   Auto: WritebackThenFsync below kSyncfsBatch files in the job, Syncfs from there (FsyncEach off
//     Linux).
//     Measured with bench/file-batch.js (ext4, virtio disk), ms per batch, idle file system /
//     with 256 MiB of other dirty data:
//                    syncfs          fsync each      write-back, fsync each
//       1 file       0.8 / 56        0.8 / 1.4       0.8 / 1.3
//       16 files     2.2 / 60        7.3 / 6.5       3.5 / 3.3
//       64 files     5.3 / 109       22 / 46         14 / 26
//       256 files    23 / 80         109 / 112       55 / 50
//     A syncfs wins on a quiet file system from 16 files on, but pays for everyone's dirty data:
//     for small batches that dominates, for large ones it is a smaller share of their own cost.
// None is for tests and benchmarks only: nothing is synced, not even the folder.
enum class SyncBarrier : uint8_t { Auto = 0, Syncfs = 1, FsyncEach = 2, None = 3, WritebackThenFsync = 4 };

// From this many files on, Auto uses one syncfs.
constexpr size_t kSyncfsBatch = 64;

struct BatchWriteFile {
  std::string name;                 // one path segment, checked by the caller
  const uint8_t* content = nullptr; // borrowed for the whole call
  size_t length = 0;
  uint32_t mode = 0;                // permission bits (& 07777)
  int64_t mtimeNs = 0;
  uint8_t digest[32] = {};          // expected BLAKE3-256 of the content
  std::string trashName;            // empty: no trash link
};

struct BatchWriteOptions {
  std::string trashFolder;  // absolute; made when first needed. Empty: none (then no file may have a trash name)
  SyncBarrier barrier = SyncBarrier::Auto;
};

struct BatchWriteOutcome {
  BatchStatus status = BatchStatus::Ok;
  bool replaced = false;  // an entry was at the name and was replaced
  int sysErrno = 0;
  uint64_t inode = 0;
  int64_t mtimeNs = 0;    // as the file system stored it
  std::string message;    // set when status != Ok
};

std::vector<BatchWriteOutcome> write_file_batch(const std::string& folder, const std::vector<BatchWriteFile>& files,
                                                const BatchWriteOptions& options, const JobControl& control);

struct FolderBatch {
  std::string folder;
  std::vector<BatchWriteFile> files;
  std::string trashFolder;  // absolute; made when first needed. Empty: none (then no file may have a trash name)
};

// One outcome list per folder, in the order given. Auto picks the barrier by the job's file count.
std::vector<std::vector<BatchWriteOutcome>> write_folder_batches(const std::vector<FolderBatch>& batches,
                                                                 SyncBarrier barrier, const JobControl& control);

// `.<name>.<tag>.deltanode-tmp`, with `name` cut (at a UTF-8 code-point boundary) so that the
// whole is at most 255 bytes. The tag is `<pid hex>-<12 random hex>` (see temporary-files.ts).
std::string batch_temporary_name(const std::string& name, const std::string& tag);

// The contents of a read batch: one page-aligned allocation, handed to JavaScript whole.
class BatchBytes {
 public:
  BatchBytes() = default;
  ~BatchBytes() { std::free(data_); }
  BatchBytes(const BatchBytes&) = delete;
  BatchBytes& operator=(const BatchBytes&) = delete;
  uint8_t* data() noexcept { return data_; }
  size_t length() const noexcept { return length_; }
  // Room for `extra` more bytes at a 64-byte aligned offset past the end; returns that offset.
  size_t reserve_next(size_t extra);
  void set_length(size_t length) noexcept { length_ = length; }
  // Gives up the memory (to be released with std::free).
  uint8_t* release() noexcept {
    uint8_t* data = data_;
    data_ = nullptr;
    length_ = capacity_ = 0;
    return data;
  }

 private:
  uint8_t* data_ = nullptr;
  size_t length_ = 0;
  size_t capacity_ = 0;
};

struct BatchReadOutcome {
  BatchStatus status = BatchStatus::Ok;
  int sysErrno = 0;
  uint64_t offset = 0;  // of the content in the batch's bytes
  uint64_t size = 0;
  int64_t mtimeNs = 0;
  uint64_t inode = 0;
  std::string message;
};

// The largest total a read batch holds; a file that would take it past this fails (EFBIG).
constexpr uint64_t kMaxReadBatchBytes = uint64_t(2) << 30;

std::vector<BatchReadOutcome> read_file_batch(const std::string& folder, const std::vector<std::string>& names,
                                              uint64_t maxFileBytes, BatchBytes& bytes, const JobControl& control);

}  // namespace deltanode
