#include "file_batch.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <random>

#include "aligned_buffer.h"
#include "errors.h"
#include "folder_chain.h"
#include "hash_blake3.h"

namespace deltanode {
namespace {

constexpr size_t kNameMax = 255;
constexpr char kTempSuffix[] = ".deltanode-tmp";
constexpr size_t kRandomLength = 12;
constexpr size_t kReadBackChunk = 1 << 20;

int64_t nanoseconds(const struct timespec& t) { return int64_t(t.tv_sec) * 1000000000 + t.tv_nsec; }

struct timespec to_timespec(int64_t ns) {
  int64_t seconds = ns / 1000000000;
  int64_t rest = ns % 1000000000;
  if (rest < 0) {  // before the epoch: tv_nsec must still be in [0, 1e9)
    rest += 1000000000;
    seconds -= 1;
  }
  struct timespec t;
  t.tv_sec = time_t(seconds);
  t.tv_nsec = long(rest);
  return t;
}

int open_folder(const std::string& path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

class Descriptor {
 public:
  explicit Descriptor(int fd = -1) : fd_(fd) {}
  ~Descriptor() { reset(); }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const noexcept { return fd_; }
  int release() noexcept {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  // Closes now and says whether close itself failed (it can report a failed write-back).
  int close_checked() noexcept {
    int fd = fd_;
    fd_ = -1;
    return fd >= 0 && ::close(fd) != 0 ? errno : 0;
  }

 private:
  int fd_;
};

// A batch's trash folder, made and opened the first time a replaced entry is kept in it.
struct TrashFolder {
  const std::string& path;
  Descriptor fd{};
  int openErrno = 0;
  bool tried = false;

  bool open() {
    if (!tried) {
      tried = true;
      fd.reset(open_making_folders(path));
      if (fd.get() < 0) openErrno = errno;
    }
    return fd.get() >= 0;
  }
};

template <class Outcome>
void fail(Outcome& outcome, BatchStatus status, const std::string& message, int sysErrno) {
  outcome.status = status;
  outcome.sysErrno = sysErrno;
  outcome.message = message;
}

template <class Outcome>
void fail_errno(Outcome& outcome, const char* what, const std::string& name, int sysErrno) {
  fail(outcome, BatchStatus::Io, std::string(what) + " " + name + ": " + std::strerror(sysErrno), sysErrno);
}

bool write_all(int fd, const uint8_t* data, size_t length) {
  while (length > 0) {
    ssize_t n = ::write(fd, data, length);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    length -= size_t(n);
  }
  return true;
}

// The digest of the first `length` bytes of the file as the file system now returns them; false
// (errno set, or 0 when the file is shorter) when they cannot all be read.
bool read_back(int fd, size_t length, AlignedBuffer& scratch, uint8_t digest[32]) {
  Blake3 hasher;
  size_t done = 0;
  if (length > 0) scratch.grow(std::min(length, kReadBackChunk));
  while (done < length) {
    size_t want = std::min(length - done, kReadBackChunk);
    ssize_t n = ::pread(fd, scratch.data(), want, off_t(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) {
      errno = 0;
      return false;
    }
    hasher.update(scratch.data(), size_t(n));
    done += size_t(n);
  }
  hasher.finalize(digest, 32);
  return true;
}

// `<pid>-<random>` in lower-case hex for temporary names: the process id lets a later run tell a
// killed writer's leftovers from a live one's; O_EXCL makes a collision a retry, not a clobber.
class TempNames {
 public:
  TempNames() : pid_(static_cast<unsigned>(::getpid())) {
    std::random_device device;
    state_ = uint64_t(device()) << 32 ^ device();
  }
  std::string next(const std::string& name) {
    // splitmix64
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    static const char kDigits[] = "0123456789abcdef";
    char tag[32];
    int length = std::snprintf(tag, sizeof tag, "%x-", pid_);
    for (size_t i = 0; i < kRandomLength; ++i) tag[length + i] = kDigits[(z >> (4 * i)) & 15];
    return batch_temporary_name(name, std::string(tag, length + kRandomLength));
  }

 private:
  unsigned pid_;
  uint64_t state_;
};

struct Temporary {
  Temporary() = default;
  Temporary(const Temporary&) = delete;
  Temporary& operator=(const Temporary&) = delete;
  ~Temporary() {
    if (fd >= 0) ::close(fd);
  }
  std::string name;
  bool exists = false;  // created and not yet renamed or removed
  int fd = -1;          // kept open until the barrier (WritebackThenFsync)
};

}  // namespace

std::string batch_temporary_name(const std::string& name, const std::string& tag) {
  const size_t fixed = 2 + tag.size() + sizeof(kTempSuffix) - 1;  // the two dots, tag, suffix
  size_t keep = name.size();
  if (fixed + keep > kNameMax) {
    keep = kNameMax - fixed;
    // Never split a UTF-8 sequence: back up over continuation bytes to a code point's start.
    while (keep > 0 && (static_cast<unsigned char>(name[keep]) & 0xc0) == 0x80) --keep;
  }
  std::string out;
  out.reserve(fixed + keep);
  out += '.';
  out.append(name, 0, keep);
  out += '.';
  out += tag;
  out += kTempSuffix;
  return out;
}

namespace {

// One folder of a write job: its files staged under temporary names, then (after the job's
// barrier) renamed into place.
class FolderWriter {
 public:
  FolderWriter(const FolderBatch& batch, std::vector<BatchWriteOutcome>& outcomes)
      : batch_(batch), outcomes_(outcomes), dir_(open_folder(batch.folder)), temps_(batch.files.size()) {
    outcomes_.assign(batch.files.size(), BatchWriteOutcome());
    if (dir_.get() < 0) {
      int code = errno;
      for (auto& outcome : outcomes_) fail_errno(outcome, "open folder", batch.folder, code);
    }
  }

  size_t written() const noexcept { return written_; }
  int folder_fd() const noexcept { return dir_.get(); }

  // Leaves nothing behind of what was staged and not yet renamed.
  void discard_all() {
    for (size_t i = 0; i < temps_.size(); ++i) discard(i);
  }

  // 1. Every file to its temporary name, complete and checked. `between_files` may throw (abort).
  template <class BetweenFiles>
  void stage(TempNames& names, AlignedBuffer& scratch, SyncBarrier barrier, BetweenFiles between_files) {
    if (dir_.get() < 0) return;
    for (size_t i = 0; i < batch_.files.size(); ++i) {
      between_files();
      stage_one(i, names, scratch, barrier);
    }
  }

  // The barrier failed for this folder's file system: nothing staged may be renamed.
  void barrier_failed(const char* what, int code) {
    for (size_t i = 0; i < temps_.size(); ++i) {
      if (outcomes_[i].status != BatchStatus::Ok || !temps_[i].exists) continue;
      fail_errno(outcomes_[i], what, batch_.files[i].name, code);
      discard(i);
    }
    written_ = 0;
  }

  // WritebackThenFsync: each staged file synced (its write-back already started) and closed.
  void fsync_staged() {
    for (size_t i = 0; i < temps_.size(); ++i) {
      if (temps_[i].fd < 0) continue;
      int fd = temps_[i].fd;
      temps_[i].fd = -1;
      int failedErrno = ::fsync(fd) != 0 ? errno : 0;
      if (::close(fd) != 0 && failedErrno == 0) failedErrno = errno;
      if (failedErrno != 0) {
        fail_errno(outcomes_[i], "fsync", batch_.files[i].name, failedErrno);
        discard(i);
        --written_;
      }
    }
  }

  // 3. and 4. Into place, replaced versions hard-linked into the trash first; then the folder
  // (and the trash folder) synced.
  void commit(SyncBarrier barrier) {
    if (written_ == 0) return;
    // Opened (and made) only when a replaced entry is to be kept: a first copy makes no trash.
    TrashFolder trash{batch_.trashFolder};
    size_t renamed = 0;
    std::vector<size_t> linkedFiles;
    for (size_t i = 0; i < batch_.files.size(); ++i) {
      if (outcomes_[i].status != BatchStatus::Ok) continue;
      bool linked = false;
      if (!place(i, trash, linked)) {
        discard(i);
        continue;
      }
      if (linked) linkedFiles.push_back(i);
      ++renamed;
    }
    if (barrier != SyncBarrier::None && renamed > 0 && ::fsync(dir_.get()) != 0) {
      int code = errno;
      for (size_t i = 0; i < batch_.files.size(); ++i) {
        if (outcomes_[i].status != BatchStatus::Ok) continue;
        fail_errno(outcomes_[i], "renamed into place, but fsync of the folder failed for", batch_.files[i].name, code);
      }
    }
    if (barrier != SyncBarrier::None && !linkedFiles.empty() && ::fsync(trash.fd.get()) != 0) {
      int code = errno;
      for (size_t i : linkedFiles) {
        if (outcomes_[i].status != BatchStatus::Ok) continue;
        fail_errno(outcomes_[i], "replaced, but fsync of the trash folder failed for", batch_.files[i].name, code);
      }
    }
  }

 private:
  void discard(size_t i) {
    if (temps_[i].fd >= 0) {
      ::close(temps_[i].fd);
      temps_[i].fd = -1;
    }
    if (!temps_[i].exists) return;
    ::unlinkat(dir_.get(), temps_[i].name.c_str(), 0);
    temps_[i].exists = false;
  }

  void stage_one(size_t i, TempNames& names, AlignedBuffer& scratch, SyncBarrier barrier) {
    const BatchWriteFile& file = batch_.files[i];
    BatchWriteOutcome& outcome = outcomes_[i];
    Descriptor fd;
    for (int attempt = 0; attempt < 8; ++attempt) {
      temps_[i].name = names.next(file.name);
      int opened;
      do {
        // Read-write: the content is read back through the same descriptor.
        opened = ::openat(dir_.get(), temps_[i].name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      } while (opened < 0 && errno == EINTR);
      if (opened >= 0 || errno != EEXIST) {
        fd.reset(opened);
        break;
      }
    }
    if (fd.get() < 0) {
      fail_errno(outcome, "create a temporary file for", file.name, errno);
      return;
    }
    temps_[i].exists = true;
    auto failed = [&](const char* what) {
      fail_errno(outcome, what, file.name, errno);
      fd.reset();
      discard(i);
    };
    auto mismatch = [&](const std::string& why) {
      fail(outcome, BatchStatus::DigestMismatch, file.name + ": " + why, 0);
      fd.reset();
      discard(i);
    };
    if (!write_all(fd.get(), file.content, file.length)) return failed("write");
    if (::fchmod(fd.get(), mode_t(file.mode & 07777)) != 0) return failed("chmod");
    const struct timespec times[2] = {to_timespec(file.mtimeNs), to_timespec(file.mtimeNs)};
    if (::futimens(fd.get(), times) != 0) return failed("set the mtime of");
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return failed("fstat");
    if (uint64_t(st.st_size) != file.length) {
      return mismatch(std::to_string(uint64_t(st.st_size)) + " bytes were written, " + std::to_string(file.length) + " expected");
    }
    uint8_t digest[32];
    if (!read_back(fd.get(), file.length, scratch, digest)) {
      if (errno != 0) return failed("read back");
      return mismatch("the file is shorter when read back than when written");
    }
    if (std::memcmp(digest, file.digest, 32) != 0) return mismatch("the content written does not match its digest");
    if (barrier == SyncBarrier::FsyncEach && ::fsync(fd.get()) != 0) return failed("fsync");
    outcome.inode = uint64_t(st.st_ino);
    outcome.mtimeNs = nanoseconds(st.st_mtim);
#ifdef __linux__
    if (barrier == SyncBarrier::WritebackThenFsync) {
      // Start the write-back now; the fsync at the barrier then finds the data on its way.
      ::sync_file_range(fd.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
      temps_[i].fd = fd.release();
      ++written_;
      return;
    }
#endif
    if (int code = fd.close_checked()) {
      errno = code;
      return failed("close");
    }
    ++written_;
  }

  // Renames file i's temporary file over its name; false (outcome failed) when it could not.
  bool place(size_t i, TrashFolder& trash, bool& linked) {
    const BatchWriteFile& file = batch_.files[i];
    BatchWriteOutcome& outcome = outcomes_[i];
    const char* temporary = temps_[i].name.c_str();
#ifdef RENAME_NOREPLACE
    // Most names are new: one call, which cannot replace anything that arrived since the plan.
    if (::renameat2(dir_.get(), temporary, dir_.get(), file.name.c_str(), RENAME_NOREPLACE) == 0) {
      temps_[i].exists = false;
      return true;
    }
    if (errno != EEXIST && errno != EINVAL && errno != ENOSYS) {
      fail_errno(outcome, "rename into place", file.name, errno);
      return false;
    }
#endif
    const bool keepOld = !file.trashName.empty();
    // An entry that appears or vanishes between the check and the rename is looked at again.
    for (int attempt = 0; attempt < 4; ++attempt) {
      struct stat st;
      bool exists = ::fstatat(dir_.get(), file.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
      if (!exists && errno != ENOENT) {
        fail_errno(outcome, "lstat", file.name, errno);
        return false;
      }
      if (exists && S_ISDIR(st.st_mode)) {
        fail(outcome, BatchStatus::Io, file.name + " is a folder", EISDIR);
        return false;
      }
      bool linkedNow = false;
      if (exists && keepOld) {
        if (!trash.open()) {
          fail_errno(outcome, "make or open the trash folder", batch_.trashFolder, trash.openErrno);
          return false;
        }
        if (::linkat(dir_.get(), file.name.c_str(), trash.fd.get(), file.trashName.c_str(), 0) != 0) {
          if (errno == ENOENT) continue;  // gone since the check
          fail_errno(outcome, "link into the trash", file.name, errno);
          return false;
        }
        linkedNow = true;
      }
      int result = -1;
#ifdef RENAME_NOREPLACE
      if (!exists && keepOld) {
        // Nothing to keep was there: make sure nothing arrived since, or it would be lost.
        result = ::renameat2(dir_.get(), temporary, dir_.get(), file.name.c_str(), RENAME_NOREPLACE);
        if (result != 0 && errno == EEXIST) continue;
        if (result != 0 && errno != EINVAL && errno != ENOSYS) {
          fail_errno(outcome, "rename into place", file.name, errno);
          return false;
        }
      }
#endif
      if (result != 0) result = ::renameat(dir_.get(), temporary, dir_.get(), file.name.c_str());
      if (result != 0) {
        int code = errno;
        if (linkedNow) ::unlinkat(trash.fd.get(), file.trashName.c_str(), 0);
        fail_errno(outcome, "rename into place", file.name, code);
        return false;
      }
      temps_[i].exists = false;
      outcome.replaced = exists;
      linked = linkedNow;
      return true;
    }
    fail(outcome, BatchStatus::Io, file.name + " kept changing while it was replaced", EAGAIN);
    return false;
  }

  const FolderBatch& batch_;
  std::vector<BatchWriteOutcome>& outcomes_;
  Descriptor dir_;
  std::vector<Temporary> temps_;
  size_t written_ = 0;
};

}  // namespace

std::vector<std::vector<BatchWriteOutcome>> write_folder_batches(const std::vector<FolderBatch>& batches, SyncBarrier barrier,
                                                                 const JobControl& control) {
  size_t total = 0;
  for (const FolderBatch& batch : batches) total += batch.files.size();
#ifdef __linux__
  if (barrier == SyncBarrier::Auto) barrier = total < kSyncfsBatch ? SyncBarrier::WritebackThenFsync : SyncBarrier::Syncfs;
#else
  if (barrier != SyncBarrier::None) barrier = SyncBarrier::FsyncEach;
#endif
  std::vector<std::vector<BatchWriteOutcome>> outcomes(batches.size());
  std::vector<std::unique_ptr<FolderWriter>> writers;
  writers.reserve(batches.size());
  for (size_t b = 0; b < batches.size(); ++b) writers.push_back(std::make_unique<FolderWriter>(batches[b], outcomes[b]));
  // Cancelled before the barrier: nothing was renamed yet, so nothing is left behind.
  auto check_cancelled = [&] {
    try {
      control.check_cancelled();
    } catch (const EngineError&) {
      for (auto& writer : writers) writer->discard_all();
      throw;
    }
  };

  TempNames tempNames;
  AlignedBuffer scratch;
  size_t written = 0;
  for (auto& writer : writers) {
    writer->stage(tempNames, scratch, barrier, check_cancelled);
    written += writer->written();
  }
  if (written > 0) check_cancelled();

  // 2. One barrier for the whole job before anything is renamed: a syncfs per file system.
#ifdef __linux__
  if (barrier == SyncBarrier::Syncfs) {
    std::vector<std::pair<dev_t, int>> synced;  // device, errno of its syncfs (0: ok)
    for (auto& writer : writers) {
      if (writer->written() == 0) continue;
      struct stat st;
      if (::fstat(writer->folder_fd(), &st) != 0) {
        writer->barrier_failed("fstat of the folder before renaming", errno);
        continue;
      }
      auto known = std::find_if(synced.begin(), synced.end(), [&](const auto& entry) { return entry.first == st.st_dev; });
      if (known == synced.end()) {
        synced.emplace_back(st.st_dev, ::syncfs(writer->folder_fd()) != 0 ? errno : 0);
        known = synced.end() - 1;
      }
      if (known->second != 0) writer->barrier_failed("syncfs before renaming", known->second);
    }
  }
#endif
  if (barrier == SyncBarrier::WritebackThenFsync) {
    for (auto& writer : writers) writer->fsync_staged();
  }
  for (auto& writer : writers) writer->commit(barrier);
  return outcomes;
}

std::vector<BatchWriteOutcome> write_file_batch(const std::string& folder, const std::vector<BatchWriteFile>& files,
                                                const BatchWriteOptions& options, const JobControl& control) {
  std::vector<FolderBatch> batches(1);
  batches[0].folder = folder;
  batches[0].files = files;
  batches[0].trashFolder = options.trashFolder;
  return std::move(write_folder_batches(batches, options.barrier, control)[0]);
}

size_t BatchBytes::reserve_next(size_t extra) {
  size_t offset = (length_ + 63) & ~size_t(63);
  size_t need = offset + extra;
  if (need > capacity_) {
    size_t capacity = std::max({need, capacity_ * 2, size_t(64) << 10});
    capacity = (capacity + 4095) & ~size_t(4095);
    auto* fresh = static_cast<uint8_t*>(std::aligned_alloc(4096, capacity));
    if (!fresh) throw std::bad_alloc();
    if (length_ > 0) std::memcpy(fresh, data_, length_);
    std::free(data_);
    data_ = fresh;
    capacity_ = capacity;
  }
  return offset;
}

std::vector<BatchReadOutcome> read_file_batch(const std::string& folder, const std::vector<std::string>& names,
                                              uint64_t maxFileBytes, BatchBytes& bytes, const JobControl& control) {
  std::vector<BatchReadOutcome> outcomes(names.size());
  Descriptor dir(open_folder(folder));
  if (dir.get() < 0) {
    int code = errno;
    for (auto& outcome : outcomes) fail_errno(outcome, "open folder", folder, code);
    return outcomes;
  }
  for (size_t i = 0; i < names.size(); ++i) {
    control.check_cancelled();
    const std::string& name = names[i];
    BatchReadOutcome& outcome = outcomes[i];
    Descriptor fd;
    {
      int opened;
      // O_NONBLOCK: a FIFO at the name must not hang the job (it is refused below).
      do {
        opened = ::openat(dir.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
      } while (opened < 0 && errno == EINTR);
      if (opened < 0) {
        if (errno == ELOOP) fail(outcome, BatchStatus::Io, name + " is a symbolic link", ELOOP);
        else fail_errno(outcome, "open", name, errno);
        continue;
      }
      fd.reset(opened);
    }
    struct stat before;
    if (::fstat(fd.get(), &before) != 0) {
      fail_errno(outcome, "fstat", name, errno);
      continue;
    }
    if (!S_ISREG(before.st_mode)) {
      if (S_ISDIR(before.st_mode)) fail(outcome, BatchStatus::Io, name + " is a folder", EISDIR);
      else fail(outcome, BatchStatus::Io, name + " is not a regular file", 0);
      continue;
    }
    const uint64_t size = uint64_t(before.st_size);
    if (size > maxFileBytes) {
      fail(outcome, BatchStatus::Io,
           name + " is " + std::to_string(size) + " bytes, above the limit of " + std::to_string(maxFileBytes), EFBIG);
      continue;
    }
    if (bytes.length() + size + 63 > kMaxReadBatchBytes) {
      fail(outcome, BatchStatus::Io, name + ": the batch would be larger than 2 GiB; read it in smaller batches", EFBIG);
      continue;
    }
    const size_t offset = bytes.reserve_next(size_t(size));
    uint64_t done = 0;
    bool readFailed = false;
    while (done < size) {
      ssize_t n = ::pread(fd.get(), bytes.data() + offset + done, size_t(size - done), off_t(done));
      if (n < 0) {
        if (errno == EINTR) continue;
        fail_errno(outcome, "read", name, errno);
        readFailed = true;
        break;
      }
      if (n == 0) break;  // shorter than fstat said: changed
      done += uint64_t(n);
    }
    if (readFailed) continue;
    struct stat after;
    if (::fstat(fd.get(), &after) != 0) {
      fail_errno(outcome, "fstat", name, errno);
      continue;
    }
    if (done != size || uint64_t(after.st_size) != size || nanoseconds(after.st_mtim) != nanoseconds(before.st_mtim) ||
        nanoseconds(after.st_ctim) != nanoseconds(before.st_ctim)) {
      fail(outcome, BatchStatus::Io, name + " changed while read", EAGAIN);
      continue;
    }
    bytes.set_length(offset + size_t(size));
    outcome.offset = offset;
    outcome.size = size;
    outcome.mtimeNs = nanoseconds(before.st_mtim);
    outcome.inode = uint64_t(before.st_ino);
  }
  return outcomes;
}

}  // namespace deltanode
