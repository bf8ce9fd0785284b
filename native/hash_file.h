// Whole-file content digests for inventories: read in large aligned pieces on a worker thread,
// BLAKE3 split over two threads for large files, and the file's identity before and after so
// the caller can tell a file that changed while it was read.
#pragma once
#include <cstdint>

#include "file_io.h"
#include "file_jobs.h"
#include "format.h"

namespace deltanode {

struct HashFileResult {
  Digest digest{};
  uint64_t length = 0;  // bytes read
  FileIdentity before;  // when opened
  FileIdentity after;   // when the last byte was read
};

HashFileResult hash_file(const FileRef& file, DigestId digest, const JobControl& control);

}  // namespace deltanode
