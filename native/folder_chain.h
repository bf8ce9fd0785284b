// A folder reached from a root one component at a time, each opened through the one above with
// O_NOFOLLOW: a link anywhere on the way (or one swapped in while walking) ends the walk instead of
// redirecting it. The descriptor then names that folder whatever happens to its path afterwards.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace deltanode {

struct FolderChainResult {
  int fd = -1;          // the last folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC; -1 on failure
  int sysErrno = 0;     // why the walk ended (ELOOP or ENOTDIR: not a folder; ENOENT: missing)
  size_t opened = 0;    // folders opened, the root included: on failure, parts[opened - 1] failed (0: the root)
};

// `root` itself is opened as given (links followed: the caller resolved it); `parts` are single
// path components, checked by the caller.
FolderChainResult open_folder_chain(const std::string& root, const std::vector<std::string>& parts);

// Opens the folder at the absolute path `path` (the last component not followed if a link),
// first making it and any missing parents. Each folder made is synced into its parent, so an
// entry linked into it later is as durable as the link. -1 with errno on failure.
int open_making_folders(const std::string& path);

}  // namespace deltanode
