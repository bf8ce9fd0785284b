// Standalone known-answer and consistency tests for hash_blake3.
// Build: g++ -std=c++17 -O2 -I native native/hash_blake3.cc
//        native/test/hash_blake3_test.cc
// The whole suite runs once per SIMD path this CPU supports (the paths are
// chosen at run time, so one binary covers them all); -DDELTANODE_BLAKE3_
// PORTABLE builds leave only the portable path. Exit status 0 when every
// check passes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "check.h"

#include "hash_blake3.h"

namespace {

using deltanode::Blake3;
using deltanode::blake3;

using deltanode::test::check;
using deltanode::test::checkKernelList;
using deltanode::test::checkTrue;
using deltanode::test::gChecks;
using deltanode::test::gFailures;
using deltanode::test::toHex;

// Must stay identical to pattern() in the script that produced the tables:
// 64-bit LCG (Knuth's MMIX constants), top byte of each state.
std::vector<uint8_t> patternBytes(size_t n) {
  std::vector<uint8_t> out(n);
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (size_t i = 0; i < n; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    out[i] = static_cast<uint8_t>(x >> 56);
  }
  return out;
}

// Split sizes for the streaming tests; independent of the data pattern.
struct SplitRng {
  uint32_t s;
  uint32_t next() {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
  }
  size_t upTo(size_t max) { return 1 + next() % max; }  // 1..max
};

struct Known {
  size_t length;
  const char* hex;
};

// The SIMD path every hasher in the suite uses; main() sets it before each
// run of the suite (and never while a test's threads are running).
const char* gPath = nullptr;

// A hasher for the input that starts at chunk `chunk`, on gPath.
Blake3 hasherAt(uint64_t chunk = 0) {
  Blake3 h = Blake3::startingAtChunk(chunk);
  if (gPath != nullptr && !h.selectSimdPath(gPath)) {
    // Paths come from blake3SimdPaths(), so this is a bug, not a failed
    // check; threads call this too, so stop here instead of counting.
    std::printf("FATAL cannot select listed path %s\n", gPath);
    std::exit(2);
  }
  return h;
}

// `b3sum --no-names` (b3sum 1.2.0) over patternBytes(length).
const Known kDigests[] = {
    {0, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"},
    {1, "4452880bec53d3f36bceb34c76efdf3c12d0e3ff5b2100cd97c98e1699bdda33"},
    {63, "2d767251630549705c5b10804cba19c56db55b49bd954b1e16f944d24695af22"},
    {64, "ce1927a0ec815a258959733e47abd678e0577d093688294cf984abc45740fcfd"},
    {65, "ee7225a07b4303e11186a145c67093cb10e140f2117b90b5e38fbff95f8b0ad3"},
    {1023, "0180e0e3f97d79a24ebf0fad0c1285781fc476d51a7bfd3ffb5522d7ae548f36"},
    {1024, "2df3751dc7d97d67a7a306b1fb0483aa4b075bc0568ec60a1b998d64a1f03813"},
    {1025, "aac606a8a327506f825fc8eeeee1e66b5662b30e8843555c600fdc65851c420a"},
    {2048, "c758f478590bbb48534bc9da0b1a41454b55067e350ca8a79aeb623044bb8bc8"},
    {2049, "9bf2a8b19e267afabf314007319da46e010c512dc1250483c552e2ce12a60924"},
    {3072, "cbfd282c7e04fd9726f46a44d1d9bcb986d6a1062d9149a3ab774438f407d373"},
    {3073, "77e166a8952a9291c31599b75ed505fcb3e7fa6575adcb63b0d5853f6b1c8ce5"},
    {4096, "4ba1fbb9b80735861bbe9abbc3856db1ab4e9938dd89a54ea1cb85147d537a79"},
    {4097, "1b918a69b9a197b71183912dd12e7fed241ed16cfaae16b32beb1ab49d8d0c31"},
    {5120, "39fc4fb9cb5280a168a97ee475191ac4bd8d3e723cae0ffbacf3ddc32a6b4620"},
    {6144, "20a5d3edb8a6822646407674c7689a68743dfcf2ab7fa9eb4f1a737c88b804ba"},
    {7168, "de023f1ec474c5c6d7b2a6a7b0dccab5dd39e3a382975a9fb524f22383356739"},
    {8192, "9e7e0da0ae2228db02f6129c6439efcf7737e8c82a8ac29e1433f276c91ed659"},
    {8193, "15a3fbea203fbefcc5a44419a7ce3910fd09a9cbb8c5dee103318e8423544f8e"},
    {16384, "feb296ff74d8a4be47a530dfdb89757aeb0be1432b11d9502a11b62be6a1bdf8"},
    {31744, "c9e6ef8c9e8c1aa7add901f64d12f7856366d3953125d46be0cc0e0e519d061a"},
    {102400, "d87909d649c618775967a6efb80ba115ed768aa25fbbf99332321a4fc3bb40cf"},
    {1000003, "34a1f0d1c6fe76d14e3e5dce12283b168f60664dedc65030f1ced8bf3e3cb789"},
    {4194305, "15fdcc6913d7b7b1bc060240442b067aa97f05a13d4c938c0dc6ae8a319d2aa2"},
};

// `b3sum --no-names --length 131` over patternBytes(length).
const Known kExtended[] = {
    {0,
     "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262e00f03e7"
     "b69af26b7faaf09fcd333050338ddfe085b8cc869ca98b206c08243a26f5487789e8f660"
     "afe6c99ef9e0c52b92e7393024a80459cf91f476f9ffdbda7001c22e159b402631f277ca"
     "96f2defdf1078282314e763699a31c5363165421cce14d"},
    {1025,
     "aac606a8a327506f825fc8eeeee1e66b5662b30e8843555c600fdc65851c420ade446d1b"
     "1cf18e0c26a8b2618d428ecc793a84c58aedf18970bc57814b2cb8f2729c31643a0afae2"
     "f547bb694b98bc4f3bbfa1991f40bf1d721d28b492bef62c11e406f1a9e40fb457692e5c"
     "218d4e1d9d3f09b2a45400f4a4780b47ebd0b4a957416f"},
    {102400,
     "d87909d649c618775967a6efb80ba115ed768aa25fbbf99332321a4fc3bb40cf84ae338a"
     "7c0bb2f4df6d39426f1ed937fa479d1662e2880631acfb1bc3e2aea4b00f518fb48d518a"
     "1ac4d72300e5d5f6777a1b1cc094bdcf1e49f9984e03704e2d059e3d768ea73eb75a3e8c"
     "a5bed1df4839a3fddcbf9d396acd12308b854923679083"},
};

std::string digestOf(const Blake3& h, size_t outLength = 32) {
  std::vector<uint8_t> out(outLength);
  h.finalize(out.data(), outLength);
  return toHex(out.data(), outLength);
}

// What blake3() computes, on gPath.
std::string oneShot(const uint8_t* data, size_t n) {
  Blake3 h = hasherAt();
  h.update(data, n);
  uint8_t out[32];
  h.finalize(out);
  return toHex(out, 32);
}

// Feeds data in pieces whose sizes cycle through `sizes`.
std::string cyclicSplits(const uint8_t* data, size_t n,
                         const std::vector<size_t>& sizes) {
  Blake3 h = hasherAt();
  size_t pos = 0;
  for (size_t i = 0; pos < n; ++i) {
    size_t take = sizes[i % sizes.size()];
    if (take > n - pos) take = n - pos;
    h.update(data + pos, take);
    pos += take;
  }
  return digestOf(h);
}

std::string randomSplits(const uint8_t* data, size_t n, uint32_t seed,
                         size_t maxPiece) {
  SplitRng rng{seed};
  Blake3 h = hasherAt();
  size_t pos = 0;
  while (pos < n) {
    size_t take = rng.upTo(maxPiece);
    if (take > n - pos) take = n - pos;
    if (rng.next() % 8 == 0) h.update(data + pos, 0);  // empty updates too
    h.update(data + pos, take);
    pos += take;
  }
  return digestOf(h);
}

// Hashes [begin, end) of `data` as an independent part, in random pieces.
Blake3 hashPart(const uint8_t* data, size_t begin, size_t end, uint32_t seed) {
  Blake3 h = hasherAt(begin / Blake3::kChunkLength);
  SplitRng rng{seed};
  size_t pos = begin;
  while (pos < end) {
    size_t take = rng.upTo(seed % 2 == 0 ? 70000 : 3000);
    if (take > end - pos) take = end - pos;
    h.update(data + pos, take);
    pos += take;
  }
  return h;
}

size_t largestPowerOfTwoChunksBelow(size_t n) {
  size_t split = Blake3::kChunkLength;
  while (split * 2 < n) split *= 2;
  return split;
}

void testKnownAnswers(const std::vector<uint8_t>& all) {
  for (const Known& k : kDigests) {
    check("one-shot n=" + std::to_string(k.length),
          oneShot(all.data(), k.length), k.hex);
  }
  for (const Known& k : kExtended) {
    Blake3 h = hasherAt();
    h.update(all.data(), k.length);
    const std::string full = digestOf(h, 131);
    check("xof131 n=" + std::to_string(k.length), full, k.hex);
    // Every shorter output is a prefix of the longer one.
    for (size_t len : {1u, 31u, 32u, 33u, 63u, 64u, 65u, 128u}) {
      check("xof prefix " + std::to_string(len) + " n=" +
                std::to_string(k.length),
            digestOf(h, len), full.substr(0, 2 * len));
    }
  }
  Blake3 h = hasherAt();
  h.finalize(nullptr, 0);  // zero-length output writes nothing
  check("zero-length finalize leaves state", digestOf(h), kDigests[0].hex);
}

void testStreaming(const std::vector<uint8_t>& all) {
  const uint8_t* d = all.data();
  for (const Known& k : kDigests) {
    const size_t n = k.length;
    const std::string tag = " n=" + std::to_string(n);
    if (n <= 102400) {
      check("1-byte updates" + tag, cyclicSplits(d, n, {1}), k.hex);
    }
    check("aligned splits" + tag,
          cyclicSplits(d, n, {1024, 2048, 3072, 4096, 8192, 65536, 1024}),
          k.hex);
    check("power-of-two splits" + tag, cyclicSplits(d, n, {65536}), k.hex);
    check("unaligned splits" + tag,
          cyclicSplits(d, n, {1023, 1025, 4095, 4097, 65537, 1, 64, 63, 65}),
          k.hex);
    check("whole chunks one at a time" + tag, cyclicSplits(d, n, {1024}),
          k.hex);
    for (uint32_t seed = 1; seed <= 3; ++seed) {
      check("random small splits" + tag, randomSplits(d, n, seed, 200), k.hex);
      check("random medium splits" + tag, randomSplits(d, n, seed * 77, 5000),
            k.hex);
      check("random large splits" + tag,
            randomSplits(d, n, seed * 991, 300000), k.hex);
    }
    for (size_t p : {size_t(1), size_t(1023), size_t(1024), size_t(1025),
                     size_t(4096), n / 2, n - 1}) {
      if (p == 0 || p >= n) continue;
      Blake3 h = hasherAt();
      h.update(d, p);
      h.update(d + p, n - p);
      check("two pieces at " + std::to_string(p) + tag, digestOf(h), k.hex);
    }
  }
}

void testFinalizeKeepsState(const std::vector<uint8_t>& all) {
  const uint8_t* d = all.data();
  const size_t n = 102400;
  Blake3 h = hasherAt();
  for (size_t pos = 0; pos < n; pos += 1000) {
    const size_t take = n - pos < 1000 ? n - pos : 1000;
    h.update(d + pos, take);
    check("finalize mid-stream at " + std::to_string(pos + take), digestOf(h),
          oneShot(d, pos + take));
  }
  check("after interleaved finalize", digestOf(h), oneShot(d, n));
  h.reset();
  check("reset gives empty digest", digestOf(h), kDigests[0].hex);
  h.update(d, 5000);
  check("reuse after reset", digestOf(h), oneShot(d, 5000));
  Blake3 copy = h;  // plain copies are independent snapshots
  check("copy keeps the path", copy.simdPath(), h.simdPath());
  copy.update(d + 5000, 3000);
  check("copy continues", digestOf(copy), oneShot(d, 8000));
  check("original unaffected by copy", digestOf(h), oneShot(d, 5000));
}

void testSubtreeMerge(const std::vector<uint8_t>& all) {
  const uint8_t* d = all.data();
  for (const Known& k : kDigests) {
    const size_t n = k.length;
    if (n <= Blake3::kChunkLength) continue;
    const std::string tag = " n=" + std::to_string(n);

    // Two halves, each hashed on its own thread.
    const size_t split = largestPowerOfTwoChunksBelow(n);
    Blake3 left = hasherAt();
    Blake3 right = hasherAt();
    std::thread a([&] { left = hashPart(d, 0, split, 2); });
    std::thread b([&] { right = hashPart(d, split, n, 3); });
    a.join();
    b.join();
    checkTrue("append accepted" + tag, left.append(right));
    check("two threads" + tag, digestOf(left), k.hex);

    // Into an empty hasher, then an empty part: both are no-op merges.
    Blake3 whole = hasherAt();
    checkTrue("append into empty" + tag,
              whole.append(hashPart(d, 0, n, 4)));
    checkTrue("append empty part" + tag,
              whole.append(hasherAt(12345)));
    check("append into empty" + tag, digestOf(whole), k.hex);

    // Many equal parts of 2^j chunks; the last one is shorter.
    for (size_t partChunks : {1u, 2u, 4u, 8u, 32u, 256u}) {
      const size_t partBytes = partChunks * Blake3::kChunkLength;
      Blake3 main = hasherAt();
      bool ok = true;
      uint32_t seed = 10;
      for (size_t pos = 0; pos < n; pos += partBytes) {
        const size_t end = n - pos < partBytes ? n : pos + partBytes;
        ok = main.append(hashPart(d, pos, end, seed++)) && ok;
      }
      checkTrue("parts of " + std::to_string(partChunks) + " chunks accepted" +
                    tag,
                ok);
      check("parts of " + std::to_string(partChunks) + " chunks" + tag,
            digestOf(main), k.hex);
    }

    // Pairwise reduction, as a thread pool would do it: parts merge into
    // their left neighbours, which are themselves parts.
    for (size_t partChunks : {4u, 64u}) {
      const size_t partBytes = partChunks * Blake3::kChunkLength;
      std::vector<Blake3> parts;
      uint32_t seed = 100;
      for (size_t pos = 0; pos < n; pos += partBytes) {
        parts.push_back(hashPart(d, pos, n - pos < partBytes ? n : pos + partBytes,
                                 seed++));
      }
      bool ok = true;
      for (size_t step = 1; step < parts.size(); step *= 2) {
        for (size_t i = 0; i + step < parts.size(); i += 2 * step) {
          ok = parts[i].append(parts[i + step]) && ok;
        }
      }
      checkTrue("pairwise reduction accepted" + tag, ok);
      check("pairwise reduction of " + std::to_string(partChunks) +
                "-chunk parts" + tag,
            digestOf(parts[0]), k.hex);
    }

    // Sequential input, then a parallel part, then sequential input again.
    if (n > 3 * 65536) {
      Blake3 h = hasherAt();
      h.update(d, 65536);
      checkTrue("mixed append" + tag,
                h.append(hashPart(d, 65536, 131072, 7)));
      h.update(d + 131072, n - 131072);
      check("mixed sequential/parallel" + tag, digestOf(h), k.hex);
    }
  }
}

void testAppendRejects(const std::vector<uint8_t>& all) {
  const uint8_t* d = all.data();
  // A hasher whose input does not end on a chunk boundary cannot take more.
  Blake3 partial = hasherAt();
  partial.update(d, 1500);
  checkTrue("reject mid-chunk",
            !partial.append(hashPart(d, 2048, 4096, 2)));
  check("rejected append leaves state", digestOf(partial), oneShot(d, 1500));

  // The part must start exactly where this hasher's input ends.
  Blake3 four = hasherAt();
  four.update(d, 4096);
  checkTrue("reject gap", !four.append(hashPart(d, 5120, 6144, 2)));
  checkTrue("reject overlap", !four.append(hashPart(d, 3072, 6144, 2)));
  check("state kept after rejects", digestOf(four), oneShot(d, 4096));

  // 12 chunks form 8 + 4, so 6 + 6 is not a valid split.
  Blake3 six = hasherAt();
  six.update(d, 6144);
  checkTrue("reject misaligned subtree",
            !six.append(hashPart(d, 6144, 12288, 2)));
  check("state kept after misaligned", digestOf(six), oneShot(d, 6144));
  // ...but 6 + 2 is fine, and so is a single partial chunk.
  checkTrue("accept aligned small part",
            six.append(hashPart(d, 6144, 8192, 2)));
  check("6+2 chunks", digestOf(six), oneShot(d, 8192));
  checkTrue("accept one partial chunk", six.append(hashPart(d, 8192, 8193, 3)));
  check("6+2+partial", digestOf(six), oneShot(d, 8193));

  // Parts whose start does not match the empty hasher's start.
  Blake3 empty = hasherAt();
  checkTrue("reject start mismatch on empty",
            !empty.append(hashPart(d, 1024, 2048, 2)));
  check("empty stays empty", digestOf(empty), kDigests[0].hex);

  checkTrue("self append rejected", !four.append(four));
  check("self append kept state", digestOf(four), oneShot(d, 4096));
}

// Chunk counters above 2^32 only occur past 4 TiB, beyond what a test can
// feed. Check instead that the lane-parallel path (one big update) and the
// one-chunk-at-a-time scalar path agree on parts starting near and above
// 2^32 and 2^40 chunks, where the counter's high word changes.
void testHighCounters(const std::vector<uint8_t>& all) {
  const uint8_t* d = all.data();
  const uint64_t starts[] = {(uint64_t(1) << 32) - 64, (uint64_t(1) << 32) - 4,
                             uint64_t(1) << 32, (uint64_t(1) << 40) - 128,
                             (uint64_t(1) << 53) - 1024};
  for (uint64_t start : starts) {
    for (size_t n : {size_t(64 * 1024), size_t(128 * 1024 + 1),
                     size_t(300 * 1024 + 5)}) {
      Blake3 wide = hasherAt(start);
      wide.update(d, n);
      Blake3 narrow = hasherAt(start);
      for (size_t pos = 0; pos < n; pos += Blake3::kChunkLength) {
        const size_t take =
            n - pos < Blake3::kChunkLength ? n - pos : Blake3::kChunkLength;
        narrow.update(d + pos, take);
      }
      check("high counter " + std::to_string(start) + " n=" +
                std::to_string(n),
            digestOf(wide, 64), digestOf(narrow, 64));
      // Different counters must give different chaining values.
      Blake3 shifted = hasherAt(start + 1024);
      shifted.update(d, n);
      checkTrue("counter matters " + std::to_string(start),
                digestOf(shifted) != digestOf(wide));
    }
  }
}

// The run-time choice of path, independent of gPath.
void testDispatch(const std::vector<uint8_t>& all) {
  const char* const* paths = deltanode::blake3SimdPaths();
  checkKernelList("blake3", paths, deltanode::blake3SimdPath());

  Blake3 h;
  check("new hasher uses the default path", h.simdPath(),
        deltanode::blake3SimdPath());
  checkTrue("unknown path rejected", !h.selectSimdPath("avx1024"));
  checkTrue("null path rejected", !h.selectSimdPath(nullptr));
  check("rejected path changes nothing", h.simdPath(),
        deltanode::blake3SimdPath());
  checkTrue("portable always selectable", h.selectSimdPath("portable"));
  check("selected path reported", h.simdPath(), "portable");
  h.reset();
  check("reset keeps the path", h.simdPath(), "portable");

  // The one-shot function, on the default path.
  for (const Known& k : kDigests) {
    uint8_t out[32];
    blake3(all.data(), k.length, out);
    check("blake3() n=" + std::to_string(k.length), toHex(out, 32), k.hex);
  }
}

}  // namespace

int main() {
  const std::vector<uint8_t> all = patternBytes(4194305);
  std::printf("blake3 SIMD path: %s\n", deltanode::blake3SimdPath());
  testDispatch(all);
  // Every path this CPU supports runs the whole suite.
  for (const char* const* path = deltanode::blake3SimdPaths(); *path != nullptr;
       ++path) {
    gPath = *path;
    const int failuresBefore = gFailures;
    const int checksBefore = gChecks;
    testKnownAnswers(all);
    testStreaming(all);
    testFinalizeKeepsState(all);
    testSubtreeMerge(all);
    testAppendRejects(all);
    testHighCounters(all);
    std::printf("  path %-8s %d checks, %d failed\n", gPath,
                gChecks - checksBefore, gFailures - failuresBefore);
  }
  return deltanode::test::finish("hash_blake3_test");
}
