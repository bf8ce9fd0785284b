#include "scan_folder.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "aligned_buffer.h"
#include "byte_order.h"
#include "hash_blake3.h"
#include "hash_xxh3.h"

namespace deltanode {
namespace {

struct Entry {
  std::string name;
  std::string link;
  EntryType type = EntryType::Unknown;
  DigestState digestState = DigestState::None;
  uint8_t flags = 0;
  int32_t statErrno = 0;
  int32_t hashErrno = 0;
  uint32_t mode = 0;
  uint64_t size = 0;
  int64_t mtimeNs = 0;
  uint64_t inode = 0;
  uint64_t device = 0;
  uint8_t digest[32] = {};
};

struct CachedEntry {
  const uint8_t* name;
  uint32_t nameLength;
  uint8_t kind;
  uint64_t size;
  int64_t mtimeNs;
  uint64_t inode;
  const uint8_t* digest;
};

constexpr size_t padded(size_t n) { return (n + 7) & ~size_t(7); }

int compare_names(const uint8_t* a, size_t aLength, const uint8_t* b, size_t bLength) {
  int c = std::memcmp(a, b, std::min(aLength, bLength));
  if (c != 0) return c;
  return aLength < bLength ? -1 : aLength > bLength ? 1 : 0;
}

// The record as written by TypeScript; false when it is damaged (its checksum), malformed or out
// of order. A digest is only reused from a record that is exactly as it was written.
bool parse_cache(const uint8_t* data, size_t length, std::vector<CachedEntry>& out) {
  if (length < kCacheChecksumLength) return false;
  length -= kCacheChecksumLength;
  uint8_t checksum[kCacheChecksumLength];
  xxh3_128_canonical(data, length, checksum);
  if (std::memcmp(checksum, data + length, kCacheChecksumLength) != 0) return false;
  size_t at = 0;
  while (at < length) {
    if (length - at < kCacheEntryLength) return false;
    CachedEntry entry;
    entry.nameLength = load_u32_le(data + at);
    entry.kind = data[at + 4];
    entry.size = load_u64_le(data + at + 8);
    entry.mtimeNs = int64_t(load_u64_le(data + at + 16));
    entry.inode = load_u64_le(data + at + 24);
    entry.digest = data + at + 32;
    if (entry.kind > 1 || entry.nameLength == 0 || length - at - kCacheEntryLength < padded(entry.nameLength)) return false;
    entry.name = data + at + kCacheEntryLength;
    if (!out.empty()) {
      const CachedEntry& before = out.back();
      if (compare_names(before.name, before.nameLength, entry.name, entry.nameLength) >= 0) return false;
    }
    out.push_back(entry);
    at += kCacheEntryLength + padded(entry.nameLength);
  }
  return true;
}

int64_t nanoseconds(const struct timespec& t) { return int64_t(t.tv_sec) * 1000000000 + t.tv_nsec; }

EntryType type_of(mode_t mode) {
  if (S_ISREG(mode)) return EntryType::File;
  if (S_ISDIR(mode)) return EntryType::Folder;
  if (S_ISLNK(mode)) return EntryType::Symlink;
  return EntryType::Special;
}

void read_link(int folder, Entry& entry) {
  std::string target(std::max<uint64_t>(entry.size, 64) + 1, '\0');
  for (;;) {
    ssize_t n = ::readlinkat(folder, entry.name.c_str(), target.data(), target.size());
    if (n < 0) {
      entry.statErrno = errno;
      return;
    }
    if (size_t(n) < target.size()) {
      target.resize(size_t(n));
      entry.link = std::move(target);
      return;
    }
    target.resize(target.size() * 2);  // the link grew since lstat
  }
}

// Hashes one regular file through a descriptor opened without following links; the file's
// identity at open and after the last read must both match what lstat said.
void hash_entry(int folder, Entry& entry, AlignedBuffer& buffer, uint64_t& bytesHashed) {
  int fd;
  do {
    fd = ::openat(folder, entry.name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    entry.digestState = DigestState::Failed;
    entry.hashErrno = errno;
    return;
  }
  std::unique_ptr<int, void (*)(int*)> closer(&fd, [](int* p) { ::close(*p); });
  auto same_as_listed = [&](const struct stat& st) {
    return S_ISREG(st.st_mode) && uint64_t(st.st_ino) == entry.inode && uint64_t(st.st_size) == entry.size &&
           nanoseconds(st.st_mtim) == entry.mtimeNs;
  };
  struct stat before;
  if (::fstat(fd, &before) != 0 || !S_ISREG(before.st_mode)) {
    entry.flags |= kChangedWhileHashed;  // replaced by something that is not a file
    return;
  }
  Blake3 hasher;
  uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      entry.digestState = DigestState::Failed;
      entry.hashErrno = errno;
      return;
    }
    if (n == 0) break;
    hasher.update(buffer.data(), size_t(n));
    total += uint64_t(n);
    // A short read that reaches the size fstat gave is the end: one read per small file, not two.
    // Growth after it still shows in the fstat below.
    if (size_t(n) < buffer.size() && total >= uint64_t(before.st_size)) break;
  }
  bytesHashed += total;
  struct stat after;
  if (::fstat(fd, &after) != 0) after = before;
  hasher.finalize(entry.digest, 32);
  entry.digestState = DigestState::Hashed;
  if (!same_as_listed(before) || !same_as_listed(after) || total != entry.size ||
      nanoseconds(before.st_ctim) != nanoseconds(after.st_ctim)) {
    entry.flags |= kChangedWhileHashed;
  }
}

void append_u32(std::vector<uint8_t>& out, size_t at, uint32_t v) { store_u32_le(out.data() + at, v); }
void append_u64(std::vector<uint8_t>& out, size_t at, uint64_t v) { store_u64_le(out.data() + at, v); }

void put_name(std::vector<uint8_t>& out, const std::string& text) {
  size_t at = out.size();
  out.resize(at + padded(text.size()), 0);
  std::memcpy(out.data() + at, text.data(), text.size());
}

}  // namespace

bool valid_utf8(const uint8_t* s, size_t length) noexcept {
  size_t i = 0;
  while (i < length) {
    uint8_t c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t extra;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) { extra = 1; cp = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { extra = 2; cp = c & 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { extra = 3; cp = c & 0x07; }
    else return false;
    if (length - i <= extra) return false;
    for (size_t k = 1; k <= extra; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = cp << 6 | (s[i + k] & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF.
    if ((extra == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)))
      return false;
    i += extra + 1;
  }
  return true;
}

std::vector<uint8_t> scan_folder(const std::string& path, const ScanFolderOptions& options, const JobControl& control) {
  std::vector<uint8_t> out(kScanHeaderLength, 0);
  int folder;
  do {
    folder = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  } while (folder < 0 && errno == EINTR);
  if (folder < 0) {
    store_u32_le(out.data() + 8, uint32_t(errno));
    return out;
  }
  DIR* listing = ::fdopendir(folder);
  if (!listing) {
    store_u32_le(out.data() + 8, uint32_t(errno));
    ::close(folder);
    return out;
  }
  std::unique_ptr<DIR, int (*)(DIR*)> closer(listing, ::closedir);

  std::vector<Entry> entries;
  for (;;) {
    errno = 0;
    struct dirent* item = ::readdir(listing);
    if (!item) {
      if (errno != 0) {
        store_u32_le(out.data() + 8, uint32_t(errno));
        return out;
      }
      break;
    }
    const char* name = item->d_name;
    if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
    entries.emplace_back();
    entries.back().name = name;
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });

  std::vector<CachedEntry> cached;
  bool stale = options.hash != ScanHash::None && !parse_cache(options.cache, options.cacheLength, cached);
  if (stale) cached.clear();
  size_t nextCached = 0;
  std::vector<const CachedEntry*> vanished;
  auto drop_cached = [&](const CachedEntry& gone) {
    stale = true;
    if (gone.kind == 1) vanished.push_back(&gone);
  };

  uint32_t flags = 0;
  uint32_t filesHashed = 0;
  uint32_t filesFromCache = 0;
  uint64_t bytesHashed = 0;
  AlignedBuffer buffer;
  for (Entry& entry : entries) {
    const auto* nameBytes = reinterpret_cast<const uint8_t*>(entry.name.data());
    bool ascii = true;
    for (char c : entry.name) {
      if (static_cast<unsigned char>(c) >= 0x80) ascii = false;
      else if (c >= 'A' && c <= 'Z') flags |= 4;
    }
    if (!ascii) {
      flags |= 1;
      if (!valid_utf8(nameBytes, entry.name.size())) entry.flags |= kNameNotUtf8;
    }
    struct stat st;
    if (::fstatat(folder, entry.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      entry.statErrno = errno;
    } else {
      entry.type = type_of(st.st_mode);
      entry.mode = uint32_t(st.st_mode);
      entry.size = entry.type == EntryType::Folder ? 0 : uint64_t(st.st_size);
      entry.mtimeNs = nanoseconds(st.st_mtim);
      entry.inode = uint64_t(st.st_ino);
      entry.device = uint64_t(st.st_dev);
      if (entry.type == EntryType::Symlink) read_link(folder, entry);
    }
    if (options.hash == ScanHash::None) continue;

    // Merge with the cache record, both sorted by name bytes.
    const CachedEntry* match = nullptr;
    while (nextCached < cached.size()) {
      const CachedEntry& candidate = cached[nextCached];
      int c = compare_names(candidate.name, candidate.nameLength, nameBytes, entry.name.size());
      if (c > 0) break;
      ++nextCached;
      if (c == 0) {
        match = &candidate;
        break;
      }
      drop_cached(candidate);
    }
    if (match && match->kind == 1 && entry.type != EntryType::Folder) drop_cached(*match);
    if (entry.type == EntryType::Folder) {
      if (!match || match->kind != 1) stale = true;
      continue;
    }
    if (entry.type != EntryType::File || entry.statErrno != 0 || (entry.flags & kNameNotUtf8)) {
      if (match) stale = true;
      continue;
    }
    const bool unchanged = match && match->kind == 0 && match->size == entry.size && match->mtimeNs == entry.mtimeNs &&
                           match->inode == entry.inode;
    if (!unchanged) stale = true;
    if (unchanged && options.hash == ScanHash::Quick) {
      std::memcpy(entry.digest, match->digest, 32);
      entry.digestState = DigestState::Cache;
      ++filesFromCache;
      continue;
    }
    if (entry.size > options.inlineHashLimit) {
      entry.digestState = DigestState::Pending;
      if (unchanged) {  // full hashing: the caller compares its digest with this one
        std::memcpy(entry.digest, match->digest, 32);
        entry.flags |= kCachedDigestGiven;
      }
      continue;
    }
    control.check_cancelled();
    if (buffer.size() == 0) buffer.grow(size_t(std::min<uint64_t>(std::max<uint64_t>(options.inlineHashLimit, 4096), 1 << 20)));
    hash_entry(folder, entry, buffer, bytesHashed);
    if (entry.digestState == DigestState::Hashed) {
      ++filesHashed;
      if (entry.flags & kChangedWhileHashed) stale = true;
      if (unchanged && std::memcmp(entry.digest, match->digest, 32) != 0) {
        entry.flags |= kSilentCorruption;
        stale = true;
      }
    } else {
      stale = true;
    }
  }
  for (; nextCached < cached.size(); ++nextCached) drop_cached(cached[nextCached]);

  if (stale) flags |= 2;
  store_u32_le(out.data(), uint32_t(entries.size()));
  store_u32_le(out.data() + 4, flags);
  store_u32_le(out.data() + 12, uint32_t(vanished.size()));
  store_u64_le(out.data() + 16, bytesHashed);
  store_u32_le(out.data() + 24, filesHashed);
  store_u32_le(out.data() + 28, filesFromCache);
  size_t total = out.size();
  for (const Entry& entry : entries) total += kScanEntryLength + padded(entry.name.size()) + padded(entry.link.size());
  out.reserve(total + vanished.size() * 16);
  for (const Entry& entry : entries) {
    size_t at = out.size();
    out.resize(at + kScanEntryLength, 0);
    append_u32(out, at, uint32_t(entry.name.size()));
    append_u32(out, at + 4, uint32_t(entry.link.size()));
    out[at + 8] = uint8_t(entry.type);
    out[at + 9] = uint8_t(entry.digestState);
    out[at + 10] = entry.flags;
    append_u32(out, at + 12, uint32_t(entry.statErrno));
    append_u32(out, at + 16, entry.mode);
    append_u32(out, at + 20, uint32_t(entry.hashErrno));
    append_u64(out, at + 24, entry.size);
    append_u64(out, at + 32, uint64_t(entry.mtimeNs));
    append_u64(out, at + 40, entry.inode);
    append_u64(out, at + 48, entry.device);
    std::memcpy(out.data() + at + 56, entry.digest, 32);
    put_name(out, entry.name);
    put_name(out, entry.link);
  }
  for (const CachedEntry* gone : vanished) {
    size_t at = out.size();
    out.resize(at + 8, 0);
    append_u32(out, at, gone->nameLength);
    put_name(out, std::string(reinterpret_cast<const char*>(gone->name), gone->nameLength));
  }
  return out;
}

}  // namespace deltanode
