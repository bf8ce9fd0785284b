// write_file_batch / read_file_batch under the sanitizers: contents, modes and mtimes as asked,
// trash links, per-file failures that leave nothing behind, every barrier, temporary names cut at
// code-point boundaries, and read batches of mixed entries packed into one buffer.
#include "file_batch.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "check.h"
#include "errors.h"
#include "hash_blake3.h"
#include "scan_folder.h"

using namespace deltanode;
using deltanode::test::check;
using deltanode::test::checkTrue;

namespace {

void write_file(const std::string& path, const std::string& content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  checkTrue("create " + path, fd >= 0 && ::write(fd, content.data(), content.size()) == ssize_t(content.size()));
  ::close(fd);
}

std::string read_file(const std::string& path) {
  std::string out;
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return "<missing>";
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) out.append(buffer, size_t(n));
  ::close(fd);
  return out;
}

std::vector<std::string> list(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return names;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ",") + name;
  return out;
}

void remove_tree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    for (const std::string& name : list(path)) remove_tree(path + "/" + name);
    ::rmdir(path.c_str());
  } else {
    ::unlink(path.c_str());
  }
}

// Keeps the contents alive for the batch's files, which borrow them.
struct Batch {
  std::vector<std::string> contents;
  std::vector<BatchWriteFile> files;
  void add(const std::string& name, const std::string& content, uint32_t mode, int64_t mtimeNs,
           const std::string& trashName = "", bool wrongDigest = false) {
    contents.push_back(content);
    BatchWriteFile file;
    file.name = name;
    file.mode = mode;
    file.mtimeNs = mtimeNs;
    file.trashName = trashName;
    blake3(reinterpret_cast<const uint8_t*>(content.data()), content.size(), file.digest);
    if (wrongDigest) file.digest[0] ^= 1;
    files.push_back(file);
  }
  // The files, pointing at their contents (which must outlive any copy of them).
  const std::vector<BatchWriteFile>& bound() {
    for (size_t i = 0; i < files.size(); ++i) {
      files[i].content = reinterpret_cast<const uint8_t*>(contents[i].data());
      files[i].length = contents[i].size();
    }
    return files;
  }
  std::vector<BatchWriteOutcome> write(const std::string& folder, BatchWriteOptions options = {},
                                       const JobControl& control = JobControl()) {
    return write_file_batch(folder, bound(), options, control);
  }
};

int64_t mtime_of(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return -1;
  return int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

std::string status_text(const BatchWriteOutcome& o) {
  return std::to_string(int(o.status)) + (o.status == BatchStatus::Ok ? "" : " " + o.message);
}

void test_temporary_names() {
  const char* random = "0123456789ab";
  check("short name", batch_temporary_name("a.txt", random), ".a.txt.0123456789ab.deltanode-tmp");
  std::string longest(227, 'x');
  check("227 bytes kept", batch_temporary_name(longest, random), "." + longest + ".0123456789ab.deltanode-tmp");
  std::string ascii(255, 'y');
  std::string cut = batch_temporary_name(ascii, random);
  check("255-byte name cut to 255", std::to_string(cut.size()), "255");
  // 'é' is 2 bytes: 113 of them are 226 bytes, one more would split at 227.
  std::string accents;
  for (int i = 0; i < 127; ++i) accents += "\xc3\xa9";
  std::string t = batch_temporary_name(accents, random);
  check("cut before a split code point", std::to_string(t.size()), std::to_string(1 + 226 + 1 + 12 + 14));
  checkTrue("still valid utf-8", valid_utf8(reinterpret_cast<const uint8_t*>(t.data()), t.size()));
  std::string emoji;
  for (int i = 0; i < 63; ++i) emoji += "\xf0\x9f\x98\x80";  // 4 bytes each, 252 in all
  std::string e = batch_temporary_name(emoji, random);
  check("cut at a 4-byte boundary", std::to_string(e.size() - 28), "224");
  checkTrue("emoji name valid utf-8", valid_utf8(reinterpret_cast<const uint8_t*>(e.data()), e.size()));
}

void test_write(const std::string& root, SyncBarrier barrier) {
  const std::string tag = " [barrier " + std::to_string(int(barrier)) + "]";
  const std::string dir = root + "/w" + std::to_string(int(barrier));
  const std::string trash = root + "/trash" + std::to_string(int(barrier));
  ::mkdir(dir.c_str(), 0755);
  ::mkdir(trash.c_str(), 0755);
  write_file(dir + "/old.txt", "old content");
  write_file(dir + "/keep.txt", "keep me");
  ::mkdir((dir + "/sub").c_str(), 0755);
  struct stat oldStat;
  ::lstat((dir + "/old.txt").c_str(), &oldStat);

  Batch batch;
  batch.add("new.txt", "hello", 0640, 1500000000123456789);
  batch.add("old.txt", "replaced", 0600, -1500000000, "old.txt.1");
  batch.add("keep.txt", "never", 0644, 0, "", true);
  batch.add("sub", "no", 0644, 0);
  batch.add("empty", "", 0444, 1000000000);
  std::string longName;
  for (int i = 0; i < 127; ++i) longName += "\xc3\xa9";  // 254 bytes
  batch.add(longName, "long", 0644, 2000000000);
  BatchWriteOptions options;
  options.trashFolder = trash;
  options.barrier = barrier;
  auto out = batch.write(dir, options);
  check("six outcomes" + tag, std::to_string(out.size()), "6");
  if (out.size() != 6) return;
  check("new.txt ok" + tag, status_text(out[0]), "0");
  check("new.txt content" + tag, read_file(dir + "/new.txt"), "hello");
  struct stat st;
  ::lstat((dir + "/new.txt").c_str(), &st);
  check("new.txt mode" + tag, std::to_string(st.st_mode & 07777), std::to_string(0640));
  check("new.txt mtime" + tag, std::to_string(mtime_of(dir + "/new.txt")), "1500000000123456789");
  check("new.txt stored mtime reported" + tag, std::to_string(out[0].mtimeNs), "1500000000123456789");
  check("new.txt inode" + tag, std::to_string(out[0].inode), std::to_string(st.st_ino));
  checkTrue("new.txt not replaced" + tag, !out[0].replaced);

  check("old.txt ok" + tag, status_text(out[1]), "0");
  checkTrue("old.txt replaced" + tag, out[1].replaced);
  check("old.txt new content" + tag, read_file(dir + "/old.txt"), "replaced");
  check("old.txt mtime before the epoch" + tag, std::to_string(mtime_of(dir + "/old.txt")), "-1500000000");
  check("trash holds the old content" + tag, read_file(trash + "/old.txt.1"), "old content");
  struct stat trashed;
  ::lstat((trash + "/old.txt.1").c_str(), &trashed);
  check("trash link is the old inode" + tag, std::to_string(trashed.st_ino), std::to_string(oldStat.st_ino));

  check("keep.txt digest mismatch" + tag, std::to_string(int(out[2].status)), std::to_string(int(BatchStatus::DigestMismatch)));
  check("keep.txt untouched" + tag, read_file(dir + "/keep.txt"), "keep me");
  check("a folder at the name" + tag, std::to_string(int(out[3].status)) + " " + std::to_string(out[3].sysErrno),
        "1 " + std::to_string(EISDIR));
  check("empty ok" + tag, status_text(out[4]), "0");
  check("empty content" + tag, read_file(dir + "/empty"), "");
  check("long name ok" + tag, status_text(out[5]), "0");
  check("long name content" + tag, read_file(dir + "/" + longName), "long");
  check("no temporary file left" + tag, joined(list(dir)), joined({"empty", "keep.txt", "new.txt", "old.txt", "sub", longName}));

  // The trash name taken: the file fails and the entry stays as it was.
  Batch again;
  again.add("old.txt", "third", 0644, 0, "old.txt.1");
  auto clash = again.write(dir, options);
  check("trash name taken" + tag, std::to_string(int(clash[0].status)) + " " + std::to_string(clash[0].sysErrno),
        "1 " + std::to_string(EEXIST));
  check("not replaced when the link fails" + tag, read_file(dir + "/old.txt"), "replaced");
  check("still no temporary file" + tag, std::to_string(list(dir).size()), "6");

  // A trash name for a file that did not exist: no link, just written.
  Batch fresh;
  fresh.add("fresh.txt", "f", 0644, 0, "fresh.txt.1");
  auto f = fresh.write(dir, options);
  check("fresh with a trash name" + tag, status_text(f[0]), "0");
  check("nothing linked for a fresh file" + tag, joined(list(trash)), "old.txt.1");
}

// Auto uses one syncfs from kSyncfsBatch files on: a batch that large, with one bad file among them.
void test_large_batch(const std::string& root) {
  const std::string dir = root + "/large";
  ::mkdir(dir.c_str(), 0755);
  Batch batch;
  for (size_t i = 0; i < kSyncfsBatch + 6; ++i) {
    batch.add("f" + std::to_string(i), std::string(100 + i, char('a' + i % 26)), 0644, int64_t(i) * 1000, "", i == 7);
  }
  auto out = batch.write(dir);
  size_t good = 0;
  bool contents = true;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].status == BatchStatus::Ok) ++good;
    if (i != 7) contents = contents && read_file(dir + "/f" + std::to_string(i)) == batch.contents[i];
  }
  check("large batch: all but the bad file", std::to_string(good), std::to_string(kSyncfsBatch + 5));
  check("large batch: the bad file", std::to_string(int(out[7].status)), std::to_string(int(BatchStatus::DigestMismatch)));
  checkTrue("large batch: contents", contents);
  check("large batch: entries", std::to_string(list(dir).size()), std::to_string(kSyncfsBatch + 5));
}

void test_failures(const std::string& root) {
  Batch batch;
  batch.add("a", "1", 0644, 0);
  batch.add("b", "2", 0644, 0);
  auto out = batch.write(root + "/no-such-folder");
  check("missing folder: both fail", std::to_string(out[0].sysErrno) + "," + std::to_string(out[1].sysErrno),
        std::to_string(ENOENT) + "," + std::to_string(ENOENT));

  // A link is not followed as the folder.
  ::symlink(root.c_str(), (root + "/link-to-root").c_str());
  auto linked = batch.write(root + "/link-to-root");
  // (Linux checks O_DIRECTORY first: ENOTDIR; elsewhere O_NOFOLLOW may answer ELOOP.)
  checkTrue("folder through a symlink refused", linked[0].status == BatchStatus::Io &&
                                                    (linked[0].sysErrno == ENOTDIR || linked[0].sysErrno == ELOOP));
  checkTrue("no file written through the link", read_file(root + "/a") == "<missing>");

  // Cancelled: rejected, nothing left.
  const std::string dir = root + "/cancel";
  ::mkdir(dir.c_str(), 0755);
  uint64_t slots[4] = {1, 0, 0, 0};
  bool aborted = false;
  try {
    batch.write(dir, {}, JobControl(slots));
  } catch (const EngineError& error) {
    aborted = error.code() == ErrorCode::Aborted;
  }
  checkTrue("cancelled batch throws Aborted", aborted);
  check("cancelled batch leaves nothing", joined(list(dir)), "");

  // Trash folder missing: made, with its parents, when the first replaced entry is kept.
  write_file(dir + "/x", "x0");
  Batch replacing;
  replacing.add("x", "x1", 0644, 0, "x.old");
  BatchWriteOptions made;
  made.trashFolder = root + "/new-trash/run/sub";
  auto r = replacing.write(dir, made);
  check("missing trash folder: the replacing file is written", status_text(r[0]), "0");
  check("missing trash folder: made, the old version kept", read_file(root + "/new-trash/run/sub/x.old"), "x0");
  check("x replaced", read_file(dir + "/x"), "x1");

  // A trash folder that cannot be made (a file is in the way): only the files that need it fail.
  write_file(root + "/blocked", "a file");
  Batch mixed;
  mixed.add("x", "x2", 0644, 0, "x.old");
  mixed.add("y", "y1", 0644, 0, "y.old");
  BatchWriteOptions options;
  options.trashFolder = root + "/blocked/trash";
  auto m = mixed.write(dir, options);
  check("blocked trash folder: the replacing file fails", std::to_string(int(m[0].status)) + " " + std::to_string(m[0].sysErrno),
        "1 " + std::to_string(ENOTDIR));
  check("blocked trash folder: a new file is written", status_text(m[1]), "0");
  check("x untouched", read_file(dir + "/x"), "x1");
  check("cancel folder entries", joined(list(dir)), "x,y");
}

void test_read(const std::string& root) {
  const std::string dir = root + "/r";
  ::mkdir(dir.c_str(), 0755);
  write_file(dir + "/one", "first file");
  write_file(dir + "/two", std::string(5000, 'z'));
  write_file(dir + "/big", std::string(2000, 'b'));
  write_file(dir + "/empty", "");
  ::symlink("one", (dir + "/link").c_str());
  ::mkdir((dir + "/folder").c_str(), 0755);
  ::mkfifo((dir + "/fifo").c_str(), 0644);
  BatchBytes bytes;
  auto out = read_file_batch(dir, {"one", "missing", "link", "folder", "big", "two", "empty", "fifo"}, 1024 * 4 + 1000,
                             bytes, JobControl());
  check("read outcomes", std::to_string(out.size()), "8");
  if (out.size() != 8) return;
  auto content = [&](const BatchReadOutcome& o) {
    return std::string(reinterpret_cast<const char*>(bytes.data()) + o.offset, size_t(o.size));
  };
  check("one ok", std::to_string(int(out[0].status)), "0");
  check("one content", content(out[0]), "first file");
  check("missing", std::to_string(out[1].sysErrno), std::to_string(ENOENT));
  check("symlink refused", std::to_string(out[2].sysErrno) + " " + out[2].message, std::to_string(ELOOP) + " link is a symbolic link");
  check("folder refused", std::to_string(out[3].sysErrno), std::to_string(EISDIR));
  check("big is fine under the limit", content(out[4]), std::string(2000, 'b'));
  check("two ok", content(out[5]), std::string(5000, 'z'));
  check("two at a 64-byte offset", std::to_string(out[5].offset % 64), "0");
  check("empty ok", std::to_string(int(out[6].status)) + " " + std::to_string(out[6].size), "0 0");
  check("fifo refused", std::to_string(int(out[7].status)) + " " + out[7].message, "1 fifo is not a regular file");
  struct stat st;
  ::lstat((dir + "/two").c_str(), &st);
  check("two inode", std::to_string(out[5].inode), std::to_string(st.st_ino));
  check("two mtime", std::to_string(out[5].mtimeNs), std::to_string(mtime_of(dir + "/two")));

  BatchBytes small;
  auto limited = read_file_batch(dir, {"two", "one"}, 4096, small, JobControl());
  check("too big", std::to_string(limited[0].sysErrno), std::to_string(EFBIG));
  check("the next one is read", std::to_string(int(limited[1].status)) + " " + std::to_string(limited[1].offset), "0 0");

  BatchBytes none;
  auto gone = read_file_batch(root + "/nothing", {"a", "b"}, 100, none, JobControl());
  check("missing folder fails all reads", std::to_string(gone[0].sysErrno) + "," + std::to_string(gone[1].sysErrno),
        std::to_string(ENOENT) + "," + std::to_string(ENOENT));

  // Many files: the buffer grows and keeps what it held.
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) {
    names.push_back("m" + std::to_string(i));
    write_file(dir + "/" + names.back(), std::string(size_t(100 + i * 13), char('a' + i % 26)));
  }
  BatchBytes many;
  auto all = read_file_batch(dir, names, 1 << 20, many, JobControl());
  bool same = all.size() == 300;
  for (size_t i = 0; same && i < all.size(); ++i) {
    same = all[i].status == BatchStatus::Ok && all[i].size == 100 + i * 13 &&
           std::string(reinterpret_cast<const char*>(many.data()) + all[i].offset, all[i].size) ==
               std::string(size_t(100 + i * 13), char('a' + i % 26));
  }
  checkTrue("300 files read into one buffer", same);
  uint8_t* released = many.release();
  checkTrue("released buffer", released != nullptr && many.data() == nullptr && many.length() == 0);
  std::free(released);
}

}  // namespace

// Several folders in one job: one barrier for all, each folder's failures its own.
void test_folder_batches(const std::string& root, SyncBarrier barrier) {
  const std::string tag = " [barrier " + std::to_string(int(barrier)) + "]";
  const std::string a = root + "/multi-a" + std::to_string(int(barrier));
  const std::string c = root + "/multi-c" + std::to_string(int(barrier));
  const std::string trash = root + "/multi-trash" + std::to_string(int(barrier));
  for (const std::string& dir : {a, c, trash}) ::mkdir(dir.c_str(), 0755);
  write_file(c + "/old", "old");
  // Together past kSyncfsBatch, each folder below it.
  Batch first, missing, third;
  for (int i = 0; i < 40; ++i) first.add("a" + std::to_string(i), "content a" + std::to_string(i), 0644, i, "", i == 5);
  missing.add("m1", "m", 0644, 0);
  missing.add("m2", "m", 0644, 0);
  for (int i = 0; i < 30; ++i) third.add("c" + std::to_string(i), "content c" + std::to_string(i), 0600, i);
  third.add("old", "new", 0644, 0, "old.1");
  std::vector<FolderBatch> batches(3);
  Batch* parts[3] = {&first, &missing, &third};
  const std::string folders[3] = {a, root + "/multi-missing", c};
  for (int b = 0; b < 3; ++b) {
    batches[b].folder = folders[b];
    batches[b].files = parts[b]->bound();
  }
  batches[2].trashFolder = trash;
  auto out = write_folder_batches(batches, barrier, JobControl());
  check("one outcome list per folder" + tag, std::to_string(out.size()), "3");
  if (out.size() != 3) return;
  size_t good = 0;
  for (size_t i = 0; i < out[0].size(); ++i) good += out[0][i].status == BatchStatus::Ok;
  check("first folder: all but the bad file" + tag, std::to_string(good), "39");
  check("first folder: the bad file" + tag, std::to_string(int(out[0][5].status)), std::to_string(int(BatchStatus::DigestMismatch)));
  check("first folder: content" + tag, read_file(a + "/a39"), "content a39");
  check("first folder: entries" + tag, std::to_string(list(a).size()), "39");
  check("missing folder: its files fail" + tag, std::to_string(out[1][0].sysErrno) + "," + std::to_string(out[1][1].sysErrno),
        std::to_string(ENOENT) + "," + std::to_string(ENOENT));
  good = 0;
  for (const auto& outcome : out[2]) good += outcome.status == BatchStatus::Ok;
  check("third folder: all written" + tag, std::to_string(good), "31");
  checkTrue("third folder: new names not replaced" + tag, !out[2][0].replaced);
  checkTrue("third folder: the old file replaced" + tag, out[2][30].replaced);
  check("third folder: new content" + tag, read_file(c + "/old"), "new");
  check("third folder: old content in its trash" + tag, read_file(trash + "/old.1"), "old");
  check("third folder: entries" + tag, std::to_string(list(c).size()), "31");

  // Cancelled: nothing left in any folder.
  Batch more;
  more.add("late", "late", 0644, 0);
  std::vector<FolderBatch> cancelled(2);
  cancelled[0].folder = a;
  cancelled[0].files = more.bound();
  cancelled[1].folder = c;
  cancelled[1].files = more.bound();
  uint64_t slots[4] = {1, 0, 0, 0};
  bool aborted = false;
  try {
    write_folder_batches(cancelled, barrier, JobControl(slots));
  } catch (const EngineError& error) {
    aborted = error.code() == ErrorCode::Aborted;
  }
  checkTrue("cancelled job throws Aborted" + tag, aborted);
  check("cancelled job: nothing new in either folder" + tag, std::to_string(list(a).size() + list(c).size()), "70");
}

int main() {
  char templ[] = "/tmp/deltanode-batch-test-XXXXXX";
  const std::string root = ::mkdtemp(templ);
  test_temporary_names();
  for (SyncBarrier barrier : {SyncBarrier::Auto, SyncBarrier::Syncfs, SyncBarrier::FsyncEach, SyncBarrier::None,
                              SyncBarrier::WritebackThenFsync}) {
    test_write(root, barrier);
    test_folder_batches(root, barrier);
  }
  test_large_batch(root);
  test_failures(root);
  test_read(root);
  remove_tree(root);
  return deltanode::test::finish("file_batch_test");
}
