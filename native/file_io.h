// Thin POSIX file helpers: every failure becomes an EngineError(Io) naming the file and errno.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "aligned_buffer.h"
#include "byte_sink.h"
#include "patch.h"

namespace deltanode {

// A file named by path (opened and closed here) or by an open descriptor (borrowed).
struct FileRef {
  std::string path;
  int fd = -1;
  std::string describe() const { return fd >= 0 ? "fd " + std::to_string(fd) : path; }
};

// What fstat says about an open file: enough to notice that it changed.
struct FileIdentity {
  uint64_t size = 0;
  int64_t mtimeNs = 0;
  int64_t ctimeNs = 0;
  uint64_t inode = 0;
  uint64_t device = 0;
  bool operator==(const FileIdentity& other) const noexcept {
    return size == other.size && mtimeNs == other.mtimeNs && ctimeNs == other.ctimeNs && inode == other.inode &&
           device == other.device;
  }
  bool operator!=(const FileIdentity& other) const noexcept { return !(*this == other); }
};

class OpenFile {
 public:
  enum class Mode { Read, CreateExclusive };
  OpenFile(const FileRef& ref, Mode mode);
  ~OpenFile();
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;

  int fd() const noexcept { return fd_; }
  const std::string& name() const noexcept { return name_; }
  bool seekable() const noexcept { return seekable_; }   // a regular file: pread works, size is known
  uint64_t size() const noexcept { return size_; }
  FileIdentity identity() const;

  // Sequential read of up to `length` bytes; 0 at end of file.
  size_t read_next(uint8_t* out, size_t length);
  // Positional read of `length` bytes, fewer only at the end of the file; leaves the sequential
  // cursor alone, so threads may read parts of one range at once (then skip() past them).
  size_t read_upto_at(uint64_t offset, uint8_t* out, size_t length);
  uint64_t cursor() const noexcept { return cursor_; }
  void skip(uint64_t length) noexcept { cursor_ += length; }
  void read_at(uint64_t offset, uint8_t* out, size_t length);
  void write_all(const uint8_t* data, size_t length);
  void write_at(uint64_t offset, const uint8_t* data, size_t length);
  void sync();

 private:
  [[noreturn]] void fail(const char* what) const;
  int fd_ = -1;
  bool owned_ = false;
  bool seekable_ = false;
  uint64_t size_ = 0;
  uint64_t cursor_ = 0;
  std::string name_;
};

// A file's next piece, read in parts of 1 MiB that two threads may take at once (a pipe: in one
// part, as it comes), from where the file's sequential reads stand. Copying out of the page cache
// is half of a native signature's work: one thread alone does it at about 6 GB/s here, two at
// about 10. (The delta search gained nothing from it: its helper's reading is not its bound.)
class FilePieces {
 public:
  static constexpr size_t kPart = 1 << 20;
  // `beforeRead` runs before every part.
  FilePieces(OpenFile& file, const std::function<void()>& beforeRead) : file_(file), beforeRead_(beforeRead) {}
  // Where the next piece goes and how long it may be; before any part of it is read.
  void begin(uint8_t* into, size_t max);
  // Reads one part not yet taken; false when none is left. Safe on two threads at once.
  bool read_part();
  // Once every part was read and no thread reads any more: the piece's length, the parts up to
  // the first short one (the end of the file; a later part may have seen the file grow meanwhile),
  // and the file's sequential reads move on past it.
  size_t finish();

 private:
  size_t part_length(size_t part) const noexcept { return max_ - part * kPart < kPart ? max_ - part * kPart : kPart; }
  OpenFile& file_;
  const std::function<void()>& beforeRead_;
  uint8_t* into_ = nullptr;
  size_t max_ = 0;
  size_t parts_ = 0;
  std::atomic<size_t> next_{0};
  std::vector<size_t> read_;
};

class FileSink final : public ByteSink {
 public:
  // A sparse sink skips runs of zeros in a fresh regular file instead of writing them, so a
  // patched disk image stays as sparse as its basis. A descriptor opened with O_DIRECT is written
  // in whole aligned buffers, its last partial block after O_DIRECT is turned off.
  explicit FileSink(OpenFile& file, bool sparse = false);
  void write(const uint8_t* data, size_t length) override;
  // Writes out everything buffered (a direct sink turns O_DIRECT off for good to write its tail).
  void flush();
  // Flushes and extends a sparse file over a trailing hole.
  void finish();
  // Writes past `bytes` into the file with O_DIRECT where the file system takes it: a small
  // output stays in the page cache for whoever reads it next, a large one does not fill it.
  void go_direct_after(uint64_t bytes) noexcept { directFrom_ = direct_ ? 0 : bytes; }

 private:
  static constexpr size_t kBufferSize = 1 << 20;
  // Writes into the page cache go in calls of at most this: on this VM (kernel 6.18) a 1 GiB file
  // written 4 MiB a call took 0.8-2.1 s, 512 KiB or 256 KiB a call 0.28-0.32 s (dd, three runs each).
  static constexpr size_t kPageCacheWrite = 512 << 10;
  // Direct writes wait for the device: fewer, larger ones keep it busier (1 GiB: 0.68-0.79 s in
  // 1 MiB writes, 0.54-0.65 s in 16 MiB ones, dd here).
  static constexpr size_t kDirectBufferSize = 4 << 20;
  static constexpr size_t kHoleGranule = 64 << 10;
  // What O_DIRECT asks of offsets and lengths on every Linux block device in use.
  static constexpr size_t kDirectAlignment = 4096;
  void put(const uint8_t* data, size_t length);
  // `length` bytes at `offset` (sparse) or at the file's position, through the page cache.
  void write_run(uint64_t offset, const uint8_t* data, size_t length);
  void put_direct(const uint8_t* data, size_t length);
  void end_direct();
  // Writes what is buffered and enough of `data` to reach an aligned offset, then turns O_DIRECT on.
  void start_direct(const uint8_t*& data, size_t& length);
  OpenFile& file_;
  bool sparse_;
  bool direct_ = false;
  uint64_t directFrom_ = 0;  // 0: no switch to O_DIRECT ahead
  uint64_t offset_ = 0;
  std::vector<uint8_t> buffer_;
  AlignedBuffer directBuffer_;
  size_t directFill_ = 0;
};

class FileBasis final : public BasisReader {
 public:
  explicit FileBasis(OpenFile& file) : file_(file) {}
  uint64_t size() const override { return file_.size(); }
  void read(uint64_t offset, uint8_t* out, size_t length) override { file_.read_at(offset, out, length); }

 private:
  OpenFile& file_;
};

// Reads a signature into memory (the delta search needs all of it), refusing one above `limit` bytes.
std::vector<uint8_t> read_signature_file(OpenFile& file, uint64_t limit);

}  // namespace deltanode
