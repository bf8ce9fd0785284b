// scan_folder under the sanitizers: its result layout, cache matching, and cache records that
// are damaged in every way a byte flip, a cut or random bytes can damage them (the record comes
// from a state file: only ever "stale", never a crash or an out-of-bounds read).
#include "scan_folder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "byte_order.h"
#include "check.h"
#include "hash_blake3.h"
#include "hash_xxh3.h"

using namespace deltanode;
using deltanode::test::check;
using deltanode::test::checkTrue;

namespace {

struct Parsed {
  uint32_t count = 0, flags = 0, vanished = 0, filesHashed = 0, filesFromCache = 0;
  int32_t folderErrno = 0;
  std::vector<std::string> names;
  std::vector<uint8_t> states;
  std::vector<std::string> digests;
  std::vector<std::string> gone;
};

constexpr size_t padded(size_t n) { return (n + 7) & ~size_t(7); }

// Decodes a result as the TypeScript side does, checking that every length stays inside it.
Parsed parse(const std::vector<uint8_t>& out) {
  Parsed p;
  checkTrue("header present", out.size() >= kScanHeaderLength);
  p.count = load_u32_le(out.data());
  p.flags = load_u32_le(out.data() + 4);
  p.folderErrno = int32_t(load_u32_le(out.data() + 8));
  p.vanished = load_u32_le(out.data() + 12);
  p.filesHashed = load_u32_le(out.data() + 24);
  p.filesFromCache = load_u32_le(out.data() + 28);
  size_t at = kScanHeaderLength;
  for (uint32_t i = 0; i < p.count; ++i) {
    checkTrue("entry inside the result", at + kScanEntryLength <= out.size());
    if (at + kScanEntryLength > out.size()) return p;
    uint32_t nameLength = load_u32_le(out.data() + at), linkLength = load_u32_le(out.data() + at + 4);
    size_t next = at + kScanEntryLength + padded(nameLength) + padded(linkLength);
    checkTrue("names inside the result", next <= out.size());
    if (next > out.size()) return p;
    p.names.emplace_back(reinterpret_cast<const char*>(out.data() + at + kScanEntryLength), nameLength);
    p.states.push_back(out[at + 9]);
    p.digests.push_back(deltanode::test::toHex(out.data() + at + 56, 32));
    at = next;
  }
  for (uint32_t i = 0; i < p.vanished; ++i) {
    uint32_t length = load_u32_le(out.data() + at);
    p.gone.emplace_back(reinterpret_cast<const char*>(out.data() + at + 8), length);
    at += 8 + padded(length);
  }
  check("result fully used", std::to_string(at), std::to_string(out.size()));
  return p;
}

void write_file(const std::string& path, const std::string& content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  checkTrue("create " + path, fd >= 0);
  if (fd < 0) return;
  checkTrue("write " + path, ::write(fd, content.data(), content.size()) == ssize_t(content.size()));
  ::close(fd);
}

std::string blake3_hex(const std::string& content) {
  Blake3 hasher;
  hasher.update(reinterpret_cast<const uint8_t*>(content.data()), content.size());
  uint8_t digest[32];
  hasher.finalize(digest);
  return deltanode::test::toHex(digest, 32);
}

// A cache record for `names` (sorted), as the TypeScript side writes it, from lstat.
std::vector<uint8_t> record_for(const std::string& folder, const std::vector<std::string>& names,
                                const std::vector<std::string>& contents) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i < names.size(); ++i) {
    struct stat st;
    ::lstat((folder + "/" + names[i]).c_str(), &st);
    size_t at = out.size();
    out.resize(at + kCacheEntryLength + padded(names[i].size()), 0);
    store_u32_le(out.data() + at, uint32_t(names[i].size()));
    out[at + 4] = S_ISDIR(st.st_mode) ? 1 : 0;
    store_u64_le(out.data() + at + 8, S_ISDIR(st.st_mode) ? 0 : uint64_t(st.st_size));
    store_u64_le(out.data() + at + 16, uint64_t(int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec));
    store_u64_le(out.data() + at + 24, uint64_t(st.st_ino));
    if (!contents[i].empty()) {
      Blake3 hasher;
      hasher.update(reinterpret_cast<const uint8_t*>(contents[i].data()), contents[i].size());
      hasher.finalize(out.data() + at + 32);
    }
    std::memcpy(out.data() + at + kCacheEntryLength, names[i].data(), names[i].size());
  }
  size_t end = out.size();
  out.resize(end + kCacheChecksumLength);
  xxh3_128_canonical(out.data(), end, out.data() + end);
  return out;
}

std::vector<uint8_t> scan(const std::string& folder, ScanHash hash, const std::vector<uint8_t>* cache,
                          uint64_t inlineLimit = 1 << 20) {
  ScanFolderOptions options;
  options.hash = hash;
  options.inlineHashLimit = inlineLimit;
  if (cache) {
    options.cache = cache->data();
    options.cacheLength = cache->size();
  }
  return scan_folder(folder, options, JobControl());
}

}  // namespace

int main() {
  char templ[] = "/tmp/deltanode-scan-test-XXXXXX";
  const std::string dir = ::mkdtemp(templ);
  write_file(dir + "/b.txt", "bravo");
  write_file(dir + "/a.txt", "alpha");
  write_file(dir + "/Upper", "u");
  ::mkdir((dir + "/sub").c_str(), 0755);
  checkTrue("symlink", ::symlink("a.txt", (dir + "/link").c_str()) == 0);

  // Listing: sorted by bytes, everything hashed without a cache.
  Parsed first = parse(scan(dir, ScanHash::Quick, nullptr));
  check("names in byte order", first.names.size() == 5 ? first.names[0] + "," + first.names[1] + "," + first.names[2] + "," +
        first.names[3] + "," + first.names[4] : "?", "Upper,a.txt,b.txt,link,sub");
  check("upper-case flag", std::to_string(first.flags & 4), "4");
  check("no cache: stale", std::to_string(first.flags & 2), "2");
  check("files hashed", std::to_string(first.filesHashed), "3");
  if (first.digests.size() == 5) check("digest of a.txt", first.digests[1], blake3_hex("alpha"));

  // A record that matches: everything comes from the cache, nothing is stale.
  std::vector<std::string> names = {"Upper", "a.txt", "b.txt", "sub"};
  std::vector<uint8_t> good = record_for(dir, names, {"u", "alpha", "bravo", ""});
  Parsed warm = parse(scan(dir, ScanHash::Quick, &good));
  check("warm: from cache", std::to_string(warm.filesFromCache), "3");
  check("warm: not stale", std::to_string(warm.flags & 2), "0");
  // Full hashing of the same: hashed again, not stale, no corruption.
  Parsed full = parse(scan(dir, ScanHash::Full, &good));
  check("full: hashed", std::to_string(full.filesHashed), "3");
  check("full: not stale", std::to_string(full.flags & 2), "0");
  // Files above the inline limit are left to the caller.
  Parsed pending = parse(scan(dir, ScanHash::Full, &good, 1));
  check("pending beyond the limit", std::to_string(pending.states.size() == 5 ? pending.states[1] : 0),
        std::to_string(int(DigestState::Pending)));

  // A vanished sub-folder is reported; a new file makes the record stale.
  ::rmdir((dir + "/sub").c_str());
  write_file(dir + "/c.txt", "charlie");
  Parsed changed = parse(scan(dir, ScanHash::Quick, &good));
  check("vanished folder", changed.gone.size() == 1 ? changed.gone[0] : "?", "sub");
  check("stale after changes", std::to_string(changed.flags & 2), "2");

  // Damaged records, derived from the good one and random: no crash (ASan), a well-formed
  // result, and a digest is only ever reused from a record that matched.
  std::mt19937 random(7);
  for (int round = 0; round < 3000; ++round) {
    std::vector<uint8_t> damaged = good;
    switch (round % 4) {
      case 0: damaged.resize(random() % (good.size() + 1)); break;
      case 1: for (int k = 0; k < 3; ++k) damaged[random() % damaged.size()] ^= uint8_t(1u << (random() % 8)); break;
      case 2: damaged.resize(random() % 512); for (auto& b : damaged) b = uint8_t(random()); break;
      case 3: store_u32_le(damaged.data() + (random() % 4) * 72, uint32_t(random())); break;
    }
    Parsed p = parse(scan(dir, ScanHash::Quick, &damaged));
    checkTrue("damaged record: all entries listed", p.count == 5);
    if (damaged != good) checkTrue("a damaged record is stale", (p.flags & 2) != 0);
    for (size_t i = 0; i < p.names.size(); ++i) {
      if (damaged != good) checkTrue("nothing reused from a damaged record", p.states[i] != uint8_t(DigestState::Cache));
    }
  }

  // A folder that cannot be opened: the errno, no entries.
  Parsed missing = parse(scan(dir + "/nothing-here", ScanHash::Quick, nullptr));
  check("missing folder errno", std::to_string(missing.folderErrno), std::to_string(ENOENT));

  checkTrue("valid utf-8", valid_utf8(reinterpret_cast<const uint8_t*>("caf\xc3\xa9"), 5));
  checkTrue("overlong", !valid_utf8(reinterpret_cast<const uint8_t*>("\xc0\xaf"), 2));
  checkTrue("surrogate", !valid_utf8(reinterpret_cast<const uint8_t*>("\xed\xa0\x80"), 3));
  checkTrue("truncated", !valid_utf8(reinterpret_cast<const uint8_t*>("\xe2\x82"), 2));
  checkTrue("beyond U+10FFFF", !valid_utf8(reinterpret_cast<const uint8_t*>("\xf4\x90\x80\x80"), 4));

  for (const char* name : {"/a.txt", "/b.txt", "/c.txt", "/Upper", "/link"}) ::unlink((dir + name).c_str());
  ::rmdir(dir.c_str());
  return deltanode::test::finish("scan_folder_test");
}
