#include "folder_chain.h"

#include <fcntl.h>
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
