#include "file_io.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "errors.h"

namespace deltanode {

OpenFile::OpenFile(const FileRef& ref, Mode mode) : name_(ref.describe()) {
  if (ref.fd >= 0) {
    fd_ = ref.fd;
  } else {
    int flags = mode == Mode::Read ? O_RDONLY : O_WRONLY | O_CREAT | O_EXCL;
    do {
      fd_ = ::open(ref.path.c_str(), flags | O_CLOEXEC, 0666);
    } while (fd_ < 0 && errno == EINTR);
    if (fd_ < 0) fail("open");
    owned_ = true;
  }
  struct stat st;
  if (::fstat(fd_, &st) != 0) fail("fstat");
  if (S_ISDIR(st.st_mode)) {
    errno = EISDIR;
    fail("open");
  }
  seekable_ = S_ISREG(st.st_mode) || S_ISBLK(st.st_mode);
  if (S_ISREG(st.st_mode)) size_ = uint64_t(st.st_size);
  if (S_ISBLK(st.st_mode)) {
    off_t end = ::lseek(fd_, 0, SEEK_END);
    if (end < 0) fail("lseek");
    size_ = uint64_t(end);
  }
  // A borrowed descriptor may already be part-way through; sequential reads continue from there.
  if (seekable_ && ref.fd >= 0) {
    off_t at = ::lseek(fd_, 0, SEEK_CUR);
    cursor_ = at > 0 ? uint64_t(at) : 0;
  }
  if (seekable_ && mode == Mode::Read) {
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
}

OpenFile::~OpenFile() {
  if (owned_ && fd_ >= 0) ::close(fd_);
}

void OpenFile::fail(const char* what) const {
  int code = errno;
  throw EngineError(ErrorCode::Io, std::string(what) + " " + name_ + ": " + std::strerror(code), code);
}

// Pipes inherited from Node.js may be in non-blocking mode: wait for them instead of failing.
static bool wait_if_would_block(int fd, short events) {
  if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
  struct pollfd entry = {fd, events, 0};
  ::poll(&entry, 1, 1000);
  return true;
}

size_t OpenFile::read_next(uint8_t* out, size_t length) {
  for (;;) {
    ssize_t n = seekable_ ? ::pread(fd_, out, length, off_t(cursor_)) : ::read(fd_, out, length);
    if (n >= 0) {
      cursor_ += uint64_t(n);
      return size_t(n);
    }
    if (errno != EINTR && !wait_if_would_block(fd_, POLLIN)) fail("read");
  }
}

size_t OpenFile::read_upto_at(uint64_t offset, uint8_t* out, size_t length) {
  size_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd_, out + done, length - done, off_t(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("read");
    }
    if (n == 0) break;
    done += size_t(n);
  }
  return done;
}

void FilePieces::begin(uint8_t* into, size_t max) {
  into_ = into;
  max_ = max;
  parts_ = file_.seekable() ? (max + kPart - 1) / kPart : 1;
  read_.assign(parts_, 0);
  next_.store(0, std::memory_order_relaxed);
}

bool FilePieces::read_part() {
  const size_t part = next_.fetch_add(1, std::memory_order_relaxed);
  if (part >= parts_) return false;
  if (beforeRead_) beforeRead_();
  if (!file_.seekable()) {
    read_[0] = file_.read_next(into_, max_);
    return true;
  }
  const size_t offset = part * kPart;
  read_[part] = file_.read_upto_at(file_.cursor() + offset, into_ + offset, part_length(part));
  return true;
}

size_t FilePieces::finish() {
  if (!file_.seekable()) return read_.empty() ? 0 : read_[0];
  size_t total = 0;
  for (size_t part = 0; part < parts_; ++part) {
    total += read_[part];
    if (read_[part] < part_length(part)) break;
  }
  file_.skip(total);
  return total;
}

void OpenFile::read_at(uint64_t offset, uint8_t* out, size_t length) {
  while (length > 0) {
    ssize_t n = ::pread(fd_, out, length, off_t(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("read");
    }
    if (n == 0) {
      // The basis shrank under us: report it rather than invent bytes.
      throw EngineError(ErrorCode::Io, "read " + name_ + ": unexpected end of file (was it changed during the job?)");
    }
    out += n;
    offset += uint64_t(n);
    length -= size_t(n);
  }
}

void OpenFile::write_all(const uint8_t* data, size_t length) {
  while (length > 0) {
    ssize_t n = ::write(fd_, data, length);
    if (n < 0) {
      if (errno == EINTR || wait_if_would_block(fd_, POLLOUT)) continue;
      fail("write");
    }
    data += n;
    length -= size_t(n);
  }
}

void OpenFile::write_at(uint64_t offset, const uint8_t* data, size_t length) {
  while (length > 0) {
    ssize_t n = ::pwrite(fd_, data, length, off_t(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write");
    }
    data += n;
    offset += uint64_t(n);
    length -= size_t(n);
  }
}

FileIdentity OpenFile::identity() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) fail("fstat");
  FileIdentity identity;
  identity.size = uint64_t(st.st_size);
  identity.mtimeNs = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  identity.ctimeNs = int64_t(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  identity.inode = uint64_t(st.st_ino);
  identity.device = uint64_t(st.st_dev);
  return identity;
}

void OpenFile::sync() {
  if (::fsync(fd_) != 0) fail("fsync");
}

static bool all_zero(const uint8_t* data, size_t length) {
  return length == 0 || (data[0] == 0 && std::memcmp(data, data + 1, length - 1) == 0);
}

void FileSink::write_run(uint64_t offset, const uint8_t* data, size_t length) {
  for (size_t at = 0; at < length; at += kPageCacheWrite) {
    const size_t take = std::min(length - at, kPageCacheWrite);
    if (sparse_) file_.write_at(offset + at, data + at, take);
    else file_.write_all(data + at, take);
  }
}

void FileSink::put(const uint8_t* data, size_t length) {
  if (!sparse_) {
    write_run(offset_, data, length);
    offset_ += length;
    return;
  }
  // Runs of data granules go out together, in calls of kPageCacheWrite.
  size_t runStart = 0;
  size_t at = 0;
  while (at < length) {
    size_t piece = std::min(length - at, kHoleGranule);
    if (all_zero(data + at, piece)) {
      if (at > runStart) write_run(offset_ + runStart, data + runStart, at - runStart);
      runStart = at + piece;
    }
    at += piece;
  }
  if (length > runStart) write_run(offset_ + runStart, data + runStart, length - runStart);
  offset_ += length;
}

FileSink::FileSink(OpenFile& file, bool sparse) : file_(file), sparse_(sparse && file.seekable()) {
  int flags = file.seekable() ? ::fcntl(file.fd(), F_GETFL) : -1;
  direct_ = flags >= 0 && (flags & O_DIRECT) != 0;
  if (direct_) directBuffer_.grow(kDirectBufferSize);
  else buffer_.reserve(kBufferSize);
}

// Whole aligned buffers at aligned offsets. A file system that refuses them (EINVAL) gets the
// rest of the file through the page cache instead.
void FileSink::put_direct(const uint8_t* data, size_t length) {
  try {
    put(data, length);
  } catch (const EngineError& error) {
    if (error.sys_errno() != EINVAL) throw;
    end_direct();
    put(data, length);
  }
}

void FileSink::end_direct() {
  direct_ = false;
  int flags = ::fcntl(file_.fd(), F_GETFL);
  if (flags < 0 || ::fcntl(file_.fd(), F_SETFL, flags & ~O_DIRECT) != 0) {
    throw EngineError(ErrorCode::Io, "fcntl " + file_.name() + ": " + std::strerror(errno), errno);
  }
}

void FileSink::start_direct(const uint8_t*& data, size_t& length) {
  flush();
  const size_t misaligned = size_t(offset_ % kDirectAlignment);
  if (misaligned) {
    const size_t take = std::min(length, kDirectAlignment - misaligned);
    put(data, take);
    data += take;
    length -= take;
    if (offset_ % kDirectAlignment) return;  // not there yet: the next write tries again
  }
  directFrom_ = 0;
  const int flags = ::fcntl(file_.fd(), F_GETFL);
  if (flags < 0 || ::fcntl(file_.fd(), F_SETFL, flags | O_DIRECT) != 0) return;  // refused: stay buffered
  direct_ = true;
  directBuffer_.grow(kDirectBufferSize);
}

void FileSink::write(const uint8_t* data, size_t length) {
  if (directFrom_ && offset_ + buffer_.size() + length >= directFrom_) start_direct(data, length);
  if (direct_) {
    // Page-aligned input at an aligned offset goes to the device as it is, without a copy.
    if (directFill_ == 0 && reinterpret_cast<uintptr_t>(data) % kDirectAlignment == 0) {
      const size_t whole = length / kDirectAlignment * kDirectAlignment;
      if (whole > 0) {
        put_direct(data, whole);
        data += whole;
        length -= whole;
        if (!direct_) {
          write(data, length);
          return;
        }
      }
    }
    while (length > 0) {
      size_t take = std::min(length, kDirectBufferSize - directFill_);
      std::memcpy(directBuffer_.data() + directFill_, data, take);
      directFill_ += take;
      data += take;
      length -= take;
      if (directFill_ == kDirectBufferSize) {
        directFill_ = 0;
        put_direct(directBuffer_.data(), kDirectBufferSize);
        if (!direct_) {  // the file system refused: what is left goes the buffered way
          write(data, length);
          return;
        }
      }
    }
    return;
  }
  if (buffer_.size() + length > kBufferSize) flush();
  if (length >= kBufferSize) {
    put(data, length);
    return;
  }
  buffer_.insert(buffer_.end(), data, data + length);
}

void FileSink::flush() {
  if (direct_) {
    size_t aligned = directFill_ / kDirectAlignment * kDirectAlignment;
    if (aligned > 0) put_direct(directBuffer_.data(), aligned);
    if (direct_) end_direct();
    if (directFill_ > aligned) put(directBuffer_.data() + aligned, directFill_ - aligned);
    directFill_ = 0;
    return;
  }
  if (!buffer_.empty()) put(buffer_.data(), buffer_.size());
  buffer_.clear();
}

void FileSink::finish() {
  flush();
  if (sparse_ && ::ftruncate(file_.fd(), off_t(offset_)) != 0) {
    throw EngineError(ErrorCode::Io, "ftruncate " + file_.name() + ": " + std::strerror(errno), errno);
  }
}

std::vector<uint8_t> read_signature_file(OpenFile& file, uint64_t limit) {
  std::vector<uint8_t> bytes;
  if (file.seekable()) {
    if (file.size() > limit) throw EngineError(ErrorCode::BadSignature, file.name() + " is too large to be a signature");
    bytes.reserve(size_t(file.size()));
  }
  uint8_t chunk[65536];
  for (;;) {
    size_t n = file.read_next(chunk, sizeof chunk);
    if (n == 0) break;
    if (bytes.size() + n > limit) throw EngineError(ErrorCode::BadSignature, file.name() + " is too large to be a signature");
    bytes.insert(bytes.end(), chunk, chunk + n);
  }
  return bytes;
}

}  // namespace deltanode
