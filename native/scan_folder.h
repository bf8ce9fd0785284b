// One folder of an inventory in one call: list it, lstat every entry, read link targets, match
// the files against the hash cache's record of the folder and hash the small files whose digest
// is needed, all on a worker thread. Per-entry round trips through JavaScript were what made an
// inventory slow; one call per folder returns everything packed in one buffer.
//
// Result (little-endian; src/engine/folder-scan.ts decodes it):
//   header, 32 bytes: u32 entries, u32 flags (1: a name is not ASCII, 2: the cache record is
//     stale, 4: a name has an upper-case ASCII letter), i32 errno of opening or reading the folder (0: none), u32 vanished cached
//     subfolders, u64 bytes hashed, u32 files hashed, u32 files whose digest came from the cache
//   per entry, sorted by name bytes: 88 bytes fixed, then the name, then the link target,
//     padded to 8:
//     u32 name length, u32 link length, u8 type (EntryType), u8 digest state (DigestState),
//     u8 flags (EntryFlag), u8 0, i32 errno of lstat/readlink, u32 st_mode, i32 errno of hashing,
//     u64 size, i64 mtime ns, u64 inode, u64 device, 32 bytes digest (BLAKE3)
//   per vanished subfolder: u32 length, 4 bytes 0, the name, padded to 8.
//   A Pending entry (a file larger than the inline limit) whose cache record still matches
//   carries the cached digest and kCachedDigestGiven, so a full inventory can detect corruption.
//
// Cache record of a folder (written by TypeScript, read here; untrusted: a damaged or malformed
// record is only "stale"): per entry, sorted by name bytes, 64 bytes fixed, then the name padded
// to 8: u32 name length, u8 kind (0 file, 1 folder), 3 bytes 0, u64 size, i64 mtime ns, u64 inode,
// 32 bytes digest; after the entries, XXH3-128 (canonical) of all of them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "file_jobs.h"

namespace deltanode {

enum class ScanHash : uint8_t { None = 0, Quick = 1, Full = 2 };
enum class EntryType : uint8_t { File = 0, Folder = 1, Symlink = 2, Special = 3, Unknown = 4 };
enum class DigestState : uint8_t { None = 0, Cache = 1, Hashed = 2, Pending = 3, Failed = 4 };
enum EntryFlag : uint8_t { kChangedWhileHashed = 1, kSilentCorruption = 2, kNameNotUtf8 = 4, kCachedDigestGiven = 8 };

struct ScanFolderOptions {
  ScanHash hash = ScanHash::None;
  // Files up to this size are hashed here; larger ones are left Pending for the caller.
  uint64_t inlineHashLimit = 0;
  const uint8_t* cache = nullptr;
  size_t cacheLength = 0;
};

constexpr size_t kScanHeaderLength = 32;
constexpr size_t kScanEntryLength = 88;
constexpr size_t kCacheEntryLength = 64;
constexpr size_t kCacheChecksumLength = 16;

std::vector<uint8_t> scan_folder(const std::string& path, const ScanFolderOptions& options, const JobControl& control);

bool valid_utf8(const uint8_t* text, size_t length) noexcept;

}  // namespace deltanode
