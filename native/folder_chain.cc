#include "folder_chain.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace deltanode {

namespace {

int open_retrying(int at, const char* name, int flags) {
  int fd;
  do {
    fd = ::openat(at, name, flags);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

}  // namespace

int open_making_folders(const std::string& path) {
  constexpr int kFolder = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  int fd = open_retrying(AT_FDCWD, path.c_str(), kFolder);
  if (fd >= 0 || errno != ENOENT) return fd;
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos || slash + 1 == path.size()) return -1;  // errno: ENOENT
  int parent = open_making_folders(slash == 0 ? std::string("/") : path.substr(0, slash));
  if (parent < 0) return -1;
  const char* leaf = path.c_str() + slash + 1;
  bool made = ::mkdirat(parent, leaf, 0777) == 0;
  // Another job may make the same folder at the same moment: EEXIST is that, or not a folder
  // (then the open below says so).
  if ((!made && errno != EEXIST) || (made && ::fsync(parent) != 0)) {
    int code = errno;
    ::close(parent);
    errno = code;
    return -1;
  }
  fd = open_retrying(parent, leaf, kFolder);
  int code = errno;
  ::close(parent);
  errno = code;
  return fd;
}

FolderChainResult open_folder_chain(const std::string& root, const std::vector<std::string>& parts) {
  constexpr int kFolder = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
  FolderChainResult result;
  int fd = open_retrying(AT_FDCWD, root.c_str(), kFolder);
  if (fd < 0) {
    result.sysErrno = errno;
    return result;
  }
  result.opened = 1;
  for (const std::string& part : parts) {
    int next = open_retrying(fd, part.c_str(), kFolder | O_NOFOLLOW);
    if (next < 0) {
      result.sysErrno = errno;
      ::close(fd);
      return result;
    }
    ::close(fd);
    fd = next;
    ++result.opened;
  }
  result.fd = fd;
  return result;
}

}  // namespace deltanode
