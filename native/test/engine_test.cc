// Native round-trip and hostile-input tests of the engine, run under ASan/UBSan by ctest.
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "delta.h"
#include "helper_thread.h"
#include "offload_sink.h"
#include "errors.h"
#include "params.h"
#include "rolling.h"
#include "rolling_scan.h"
#include "patch.h"
#include "signature.h"
#include "signature_index.h"
#include "varint.h"

using namespace deltanode;
using Bytes = std::vector<uint8_t>;

static int failures = 0;
#define CHECK(cond, what)                                                  \
  do {                                                                     \
    if (!(cond)) {                                                         \
      ++failures;                                                          \
      std::fprintf(stderr, "FAIL %s:%d %s\n", __FILE__, __LINE__, (what)); \
    }                                                                      \
  } while (0)

static Bytes random_bytes(std::mt19937_64& rng, size_t n) {
  Bytes out(n);
  for (auto& b : out) b = uint8_t(rng());
  return out;
}

// Feeds in irregular pieces so every state-machine boundary gets crossed.
static Bytes sign(const SignatureParams& params, const Bytes& basis, size_t piece) {
  VectorSink sink;
  SignatureWriter writer(params, sink, false);
  for (size_t at = 0; at < basis.size(); at += piece) writer.update(basis.data() + at, std::min(piece, basis.size() - at));
  writer.finish();
  return sink.bytes;
}

static Bytes make_delta(const Bytes& signature, const Bytes& target, size_t piece) {
  SignatureIndex index = SignatureIndex::parse(signature.data(), signature.size());
  VectorSink sink;
  DeltaGenerator generator(index, sink);
  for (size_t at = 0; at < target.size(); at += piece) generator.update(target.data() + at, std::min(piece, target.size() - at));
  generator.finish();
  return sink.bytes;
}

static Bytes apply(const Bytes& basis, const Bytes& delta, size_t piece, size_t budget) {
  MemoryBasis reader(basis.data(), basis.size());
  PatchApplier applier(reader);
  VectorSink sink;
  size_t at = 0;
  for (;;) {
    size_t n = std::min(piece, delta.size() - at);
    bool end = at + n == delta.size();
    size_t used = applier.step(delta.data() + at, n, end, sink, budget);
    at += used;
    if (applier.done() && at == delta.size()) break;
    if (end && used == n && !applier.has_pending_output() && applier.done()) break;
  }
  return sink.bytes;
}

static void round_trip(const char* name, const Bytes& basis, const Bytes& target, SignatureParams params) {
  for (size_t piece : {size_t(1) << 20, size_t(7), size_t(4096)}) {
    Bytes signature = sign(params, basis, piece);
    Bytes delta = make_delta(signature, target, piece);
    Bytes result = apply(basis, delta, piece == 7 ? 3 : piece, piece == 7 ? 5 : size_t(1) << 30);
    if (result != target) {
      std::fprintf(stderr, "  case %s piece %zu block %u strong %u format %d\n", name, piece, params.blockLength,
                   params.strongLength, int(params.format));
    }
    CHECK(result == target, name);
  }
}

template <class F>
static void expect_error(ErrorCode code, const char* what, F body) {
  try {
    body();
    ++failures;
    std::fprintf(stderr, "FAIL expected an error: %s\n", what);
  } catch (const EngineError& error) {
    if (error.code() != code) {
      ++failures;
      std::fprintf(stderr, "FAIL %s: wrong code %s (%s)\n", what, error_code_name(error.code()), error.what());
    }
  }
}

static void test_round_trips() {
  std::mt19937_64 rng(42);
  Bytes base = random_bytes(rng, 100000);
  Bytes inserted = base;
  inserted.insert(inserted.begin() + 50000, {1, 2, 3, 4, 5});
  Bytes deleted = base;
  deleted.erase(deleted.begin() + 1000, deleted.begin() + 3000);
  Bytes moved(base.begin() + 60000, base.end());
  moved.insert(moved.end(), base.begin(), base.begin() + 60000);
  Bytes appended = base;
  Bytes extra = random_bytes(rng, 777);
  appended.insert(appended.end(), extra.begin(), extra.end());
  Bytes truncated(base.begin(), base.begin() + 99999);
  Bytes zeros(70000, 0), ones(70001, 0xff);
  Bytes small(base.begin(), base.begin() + 4000), smallEdited = small;
  smallEdited[100] ^= 1;
  smallEdited.insert(smallEdited.begin() + 2000, 9);
  struct Case { const char* name; Bytes basis, target; } cases[] = {
      {"empty to empty", {}, {}},
      {"empty to data", {}, Bytes(base.begin(), base.begin() + 1000)},
      {"data to empty", base, {}},
      {"one byte", {7}, {7}},
      {"identical", base, base},
      {"insertion", base, inserted},
      {"deletion", base, deleted},
      {"moved ranges", base, moved},
      {"appended tail", base, appended},
      {"truncated tail", base, truncated},
      {"all zeros", zeros, zeros},
      {"zeros to ones", zeros, ones},
      {"ones grown", ones, Bytes(140003, 0xff)},
      {"random unrelated", base, random_bytes(rng, 50000)},
      {"small edited", small, smallEdited},
      {"short", Bytes(base.begin(), base.begin() + 300), Bytes(base.begin() + 1, base.begin() + 290)},
  };
  for (Format format : {Format::Native, Format::Librsync}) {
    for (StrongHash strong : {StrongHash::Blake2b, StrongHash::Md4, StrongHash::Xxh3}) {
      if (format == Format::Librsync && strong == StrongHash::Xxh3) continue;
      for (WeakHash weak : {WeakHash::RabinKarp, WeakHash::RollSum}) {
        for (uint32_t block : {1u, 3u, 256u, 1000u, 4096u}) {
          for (int32_t strongLength : {0, -1, 8}) {
            for (const Case& c : cases) {
              // Tiny blocks on big inputs only slow the sanitizer build without covering more.
              if (block < 256 && (c.basis.size() > 5000 || c.target.size() > 5000)) continue;
              if (strongLength != 0 && block != 1000) continue;
              RequestedParams requested{format, weak, strong, block, strongLength};
              round_trip(c.name, c.basis, c.target, resolve_params(requested, int64_t(c.basis.size())));
            }
          }
        }
      }
    }
  }
}

static void test_varints() {
  uint8_t buffer[kMaxVarintLength];
  for (uint64_t v : {uint64_t(0), uint64_t(1), uint64_t(127), uint64_t(128), uint64_t(1) << 35, ~uint64_t(0)}) {
    size_t n = put_varint(buffer, v), used = 0;
    uint64_t back = 0;
    CHECK(get_varint(buffer, n, back, used) == VarintStatus::Ok && back == v && used == n, "varint round trip");
    CHECK(get_varint(buffer, n - 1, back, used) == (n > 1 ? VarintStatus::NeedMore : VarintStatus::NeedMore), "varint truncated");
  }
  const uint8_t overlong[] = {0x80, 0x00};
  uint64_t value;
  size_t used;
  CHECK(get_varint(overlong, 2, value, used) == VarintStatus::Malformed, "non-minimal varint");
  const uint8_t tooBig[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
  CHECK(get_varint(tooBig, 10, value, used) == VarintStatus::Malformed, "varint beyond 64 bits");
  for (int64_t s : {int64_t(0), int64_t(-1), int64_t(1), INT64_MIN, INT64_MAX}) CHECK(unzigzag(zigzag(s)) == s, "zigzag");
}

static void test_hostile_deltas() {
  std::mt19937_64 rng(7);
  Bytes basis = random_bytes(rng, 5000);
  Bytes target = basis;
  target[2500] ^= 1;
  for (Format format : {Format::Native, Format::Librsync}) {
    RequestedParams requested{format, WeakHash::RabinKarp, format == Format::Native ? StrongHash::Xxh3 : StrongHash::Blake2b, 512, 0};
    Bytes delta = make_delta(sign(resolve_params(requested, 5000), basis, 4096), target, 4096);
    // Every truncation is an error, never a short result.
    for (size_t cut = 0; cut < delta.size(); ++cut) {
      Bytes shortDelta(delta.begin(), delta.begin() + cut);
      expect_error(ErrorCode::CorruptDelta, "truncated delta", [&] { apply(basis, shortDelta, 64, 1 << 20); });
    }
    // Every single bit flip is an error or (librsync, inside literal data) a different output.
    for (size_t i = 0; i < delta.size(); ++i) {
      for (int bit = 0; bit < 8; bit += 3) {
        Bytes flipped = delta;
        flipped[i] ^= uint8_t(1 << bit);
        try {
          Bytes out = apply(basis, flipped, 1 << 20, 1 << 20);
          // The native format verifies its output: a flip it accepts (an informational field)
          // must still give the right file.
          if (format == Format::Native && out != target) {
            ++failures;
            std::fprintf(stderr, "FAIL native flip at %zu bit %d gave a wrong output\n", i, bit);
          }
        } catch (const EngineError&) {
        }
      }
    }
    Bytes trailing = delta;
    trailing.push_back(0);
    expect_error(ErrorCode::CorruptDelta, "trailing garbage", [&] { apply(basis, trailing, 1 << 20, 1 << 20); });
  }
  // Hand-made librsync deltas.
  auto rs = [](std::initializer_list<uint8_t> body) {
    Bytes d = {0x72, 0x73, 0x02, 0x36};
    d.insert(d.end(), body);
    return d;
  };
  expect_error(ErrorCode::CorruptDelta, "copy past basis", [&] { apply(basis, rs({0x45 + 4 * 1 + 1, 0x13, 0x80, 0x10, 0x00, 0x00}), 64, 1 << 20); });
  expect_error(ErrorCode::CorruptDelta, "zero-length copy", [&] { apply(basis, rs({0x45, 0x00, 0x00, 0x00}), 64, 1 << 20); });
  expect_error(ErrorCode::CorruptDelta, "reserved opcode", [&] { apply(basis, rs({0x55, 0x00}), 64, 1 << 20); });
  expect_error(ErrorCode::CorruptDelta, "huge literal", [&] { apply(basis, rs({0x44, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2}), 64, 1 << 20); });
  expect_error(ErrorCode::CorruptDelta, "zero-length literal", [&] { apply(basis, rs({0x41, 0x00, 0x00}), 64, 1 << 20); });
  expect_error(ErrorCode::CorruptDelta, "missing end", [&] { apply(basis, rs({0x02, 0x61, 0x62}), 64, 1 << 20); });
  expect_error(ErrorCode::CorruptDelta, "huge copy", [&] { apply(basis, rs({0x54, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0}), 64, 1 << 20); });
  expect_error(ErrorCode::CorruptDelta, "empty delta", [&] { apply(basis, {}, 64, 1 << 20); });
  expect_error(ErrorCode::CorruptDelta, "signature as delta", [&] { apply(basis, {0x72, 0x73, 0x01, 0x47, 0, 0, 1, 0}, 64, 1 << 20); });
  Bytes wrongBasis = basis;
  wrongBasis[0] ^= 1;
  RequestedParams native{Format::Native, WeakHash::RabinKarp, StrongHash::Xxh3, 512, 0};
  Bytes delta = make_delta(sign(resolve_params(native, 5000), basis, 4096), target, 4096);
  expect_error(ErrorCode::DigestMismatch, "wrong basis content", [&] { apply(wrongBasis, delta, 4096, 1 << 20); });
  Bytes shorter(basis.begin(), basis.end() - 1);
  expect_error(ErrorCode::BasisMismatch, "wrong basis length", [&] { apply(shorter, delta, 4096, 1 << 20); });
}

static void test_hostile_signatures() {
  std::mt19937_64 rng(9);
  Bytes basis = random_bytes(rng, 3000);
  for (Format format : {Format::Native, Format::Librsync}) {
    RequestedParams requested{format, WeakHash::RollSum, StrongHash::Md4, 256, 0};
    Bytes signature = sign(resolve_params(requested, 3000), basis, 4096);
    for (size_t cut = 0; cut < signature.size(); ++cut) {
      Bytes shortSig(signature.begin(), signature.begin() + cut);
      bool recordAligned = format == Format::Librsync && cut >= 12 && (cut - 12) % 20 == 0;
      if (recordAligned) continue;  // librsync signatures do not know their own length
      expect_error(ErrorCode::BadSignature, "truncated signature", [&] { SignatureIndex::parse(shortSig.data(), shortSig.size()); });
    }
    for (size_t i = 0; i < signature.size(); ++i) {
      Bytes flipped = signature;
      flipped[i] ^= 0x40;
      try {
        SignatureIndex index = SignatureIndex::parse(flipped.data(), flipped.size());
        VectorSink sink;
        DeltaGenerator generator(index, sink);
        generator.update(basis.data(), basis.size());
        generator.finish();
      } catch (const EngineError& error) {
        CHECK(error.code() == ErrorCode::BadSignature, "signature damage gives BadSignature");
      }
    }
  }
  Bytes zeroBlock = {0x72, 0x73, 0x01, 0x47, 0, 0, 0, 0, 0, 0, 0, 32};
  expect_error(ErrorCode::BadSignature, "zero block length", [&] { SignatureIndex::parse(zeroBlock.data(), zeroBlock.size()); });
  Bytes hugeBlock = {0x72, 0x73, 0x01, 0x36, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 16};
  expect_error(ErrorCode::BadSignature, "block length above the limit", [&] { SignatureIndex::parse(hugeBlock.data(), hugeBlock.size()); });
  Bytes longStrong = {0x72, 0x73, 0x01, 0x47, 0, 0, 1, 0, 0, 0, 0, 33};
  expect_error(ErrorCode::BadSignature, "strong too long", [&] { SignatureIndex::parse(longStrong.data(), longStrong.size()); });
}

// A basis of one repeated byte: every block has the same sums; the search must stay linear.
static void test_degenerate_basis() {
  Bytes basis(4 << 20, 0);
  RequestedParams requested{Format::Librsync, WeakHash::RollSum, StrongHash::Blake2b, 512, 0};
  Bytes signature = sign(resolve_params(requested, int64_t(basis.size())), basis, 1 << 20);
  SignatureIndex index = SignatureIndex::parse(signature.data(), signature.size());
  Bytes target(4 << 20, 0);
  target[1 << 20] = 1;
  Bytes delta = make_delta(signature, target, 1 << 20);
  CHECK(delta.size() < 2000, "repeated-byte delta is compact");
  CHECK(apply(basis, delta, 1 << 20, 1 << 30) == target, "repeated-byte round trip");
}

// The helper-thread paths must give exactly the bytes of the single-threaded ones.
static void test_parallel_paths() {
  std::mt19937_64 rng(5);
  Bytes basis = random_bytes(rng, 21 << 20);
  Bytes target = basis;
  for (int i = 0; i < 50; ++i) target[rng() % target.size()] ^= 0x55;
  for (Format format : {Format::Native, Format::Librsync}) {
    RequestedParams requested{format, WeakHash::RabinKarp, format == Format::Native ? StrongHash::Xxh3 : StrongHash::Blake2b, 0, 0};
    SignatureParams params = resolve_params(requested, int64_t(basis.size()));
    Bytes sequential = sign(params, basis, 3 << 20);
    for (size_t piece : {size_t(8) << 20, size_t(3) << 20, size_t(1) << 20}) {
      HelperThread helper;
      VectorSink sink;
      SignatureWriter writer(params, sink, false);
      writer.set_helper(&helper);
      for (size_t at = 0; at < basis.size(); at += piece) writer.update(basis.data() + at, std::min(piece, basis.size() - at));
      writer.finish();
      CHECK(sink.bytes == sequential, "parallel signature equals sequential");
    }
    SignatureIndex index = SignatureIndex::parse(sequential.data(), sequential.size());
    Bytes expectedDelta = make_delta(sequential, target, 8 << 20);
    HelperThread helper;
    VectorSink deltaSink;
    DeltaGenerator generator(index, deltaSink);
    generator.set_helper(&helper);
    for (size_t at = 0; at < target.size(); at += 8 << 20) generator.update(target.data() + at, std::min<size_t>(8 << 20, target.size() - at));
    generator.finish();
    CHECK(deltaSink.bytes == expectedDelta, "parallel delta equals sequential");
    MemoryBasis reader(basis.data(), basis.size());
    PatchApplier applier(reader);
    VectorSink out;
    OffloadSink offload(out, helper, true);
    applier.hash_through(&offload);
    size_t used = applier.step(expectedDelta.data(), expectedDelta.size(), true, offload, size_t(1) << 40);
    offload.finish();
    CHECK(used == expectedDelta.size() && applier.done() && out.bytes == target, "offloaded patch output");

    // feed(): pieces read into alternating buffers (on the helper when there is one) give the
    // same delta as update() with the same pieces, and a valid one when reads come up short.
    for (bool withHelper : {false, true}) {
      for (size_t piece : {size_t(8) << 20, size_t(1) << 20, size_t(5000)}) {
        for (bool shortReads : {false, true}) {
          VectorSink fedSink;
          DeltaGenerator fed(index, fedSink);
          HelperThread feedHelper;
          if (withHelper) fed.set_helper(&feedHelper);
          size_t at = 0, reads = 0, searched = 0;
          fed.feed(
              [&](uint8_t* into, size_t max) {
                size_t n = std::min(shortReads ? max / (1 + reads++ % 3) : max, target.size() - at);
                std::memcpy(into, target.data() + at, n);
                at += n;
                return n;
              },
              piece, [&](size_t n) { searched += n; });
          fed.finish();
          CHECK(searched == target.size() && fed.input_length() == target.size(), "feed searched every byte");
          if (piece == (size_t(8) << 20) && !shortReads) CHECK(fedSink.bytes == expectedDelta, "fed delta equals updated delta");
          MemoryBasis fedBasis(basis.data(), basis.size());
          PatchApplier fedApplier(fedBasis);
          VectorSink fedOut;
          fedApplier.step(fedSink.bytes.data(), fedSink.bytes.size(), true, fedOut, size_t(1) << 40);
          CHECK(fedApplier.done() && fedOut.bytes == target, "fed delta patches back to the target");
        }
      }
    }
  }
}

// The vector scan and the two-step scalar loop stop where a byte-by-byte reference does, with the
// same sum, for filters from empty to dense and windows from 1 byte up.
static void test_rolling_scans() {
  std::mt19937_64 rng(21);
  Bytes data = random_bytes(rng, 20000);
  std::fill(data.begin() + 5000, data.begin() + 9000, uint8_t(7));  // a run of one byte
  std::printf("rolling scans: %s chosen; kernels here:", rabin_karp_scan_kernel());
  std::vector<const char*> kernels;
  for (const char* const* name = rabin_karp_scan_kernels(); *name; ++name) {
    std::printf(" %s", *name);
    kernels.push_back(*name);
  }
  std::printf("\n");
  CHECK(!kernels.empty() && std::strcmp(kernels.back(), "portable") == 0, "the scan kernels end with portable");
  for (unsigned filterBits : {12u, 16u, 20u}) {
    for (double density : {0.0, 0.0005, 0.01, 0.3}) {
      std::vector<uint32_t> words((size_t(1) << filterBits) / 32);
      std::bernoulli_distribution bit(density);
      for (uint32_t& word : words)
        for (int b = 0; b < 32; ++b) word |= uint32_t(bit(rng)) << b;
      const SignatureIndex::Prefilter filter{words.data(), 32 - (filterBits - 5)};
      const auto stop = [&filter](uint32_t weak) { return filter.may_contain<true>(weak); };
      for (size_t n : {size_t(1), size_t(7), size_t(64), size_t(1000)}) {
        const size_t limit = data.size() - n;
        RabinKarp start;
        start.update(data.data(), n);
        RabinKarp::OutTerms out;
        start.out_terms(out);
        for (size_t p = 0; p < limit;) {
          RabinKarp reference = start;
          size_t q = p;
          do {
            reference.rotate(data[q], data[q + n]);
            ++q;
          } while (q < limit && !filter.may_contain<true>(reference.digest()));
          RabinKarp scalar = start;
          size_t s = scalar.roll_until(data.data(), p, limit, n, out, stop);
          CHECK(s == q && scalar.digest() == reference.digest(), "two-step scalar scan matches the reference");
          for (const char* kernel : kernels) {
            RabinKarp fast = start;
            ScanResult scan{};
            CHECK(rabin_karp_scan_with(kernel, data.data(), p, limit, n, fast.digest(), fast.power(), filter.words,
                                       filter.wordShift, &scan), kernel);
            fast.resume_at(scan.hash);
            size_t v = scan.position;
            if (!scan.hit && v < limit) v = fast.roll_until(data.data(), v, limit, n, out, stop);
            if (v != q || fast.digest() != reference.digest()) std::fprintf(stderr, "  kernel %s\n", kernel);
            CHECK(v == q && fast.digest() == reference.digest(), "vector scan matches the reference");
          }
          start = reference;
          p = q;
        }
      }
    }
  }
}

// Runs of matching blocks are followed in batches (BLAKE2b: weak sums first, the strong sums
// together; XXH3: strong sums alone) or window by window through the ordinary lookup (MD4): the
// same basis and new file must give byte-identical deltas every way. The new file mixes runs of 1 to 20 basis blocks (often
// crossing the feeding pieces), blocks out of order, edits, insertions, and blocks that collide
// with the basis in their rollsum only (a run must stop there exactly as the ordinary lookup does).
static void test_batched_runs() {
  std::mt19937_64 rng(7);
  for (uint32_t block : {256u, 1000u}) {
    const size_t blocks = 200;
    Bytes basis = random_bytes(rng, blocks * block + 123);
    Bytes target;
    size_t next = 0;
    for (int piece = 0; piece < 60; ++piece) {
      const size_t run = 1 + rng() % 20;
      if (rng() % 4 == 0) next = rng() % blocks;  // jump elsewhere in the basis
      for (size_t i = 0; i < run && next < blocks; ++i, ++next) {
        const uint8_t* from = basis.data() + next * block;
        target.insert(target.end(), from, from + block);
        if (rng() % 17 == 0) {
          // +1, -2, +1 on three neighbouring bytes keeps the rollsum and changes the block.
          uint8_t* b = &target[target.size() - block + 10];
          b[0] = 100, b[1] = 100, b[2] = 100;
          basis[next * block + 10] = 101, basis[next * block + 11] = 98, basis[next * block + 12] = 101;
        }
      }
      if (next >= blocks) next = 0;
      switch (rng() % 4) {
        case 0: target.push_back(uint8_t(rng())); break;                     // insertion: the run breaks
        case 1: if (!target.empty()) target.back() ^= 0x5a; break;           // edit in the last block
        default: break;                                                      // the next run follows on
      }
    }
    for (Format format : {Format::Librsync, Format::Native}) {
      for (WeakHash weak : {WeakHash::RollSum, WeakHash::RabinKarp}) {
        for (size_t piece : {size_t(7), size_t(4096), size_t(1) << 20}) {
          for (int32_t strongLength : {16, 8}) {
            // MD4 runs take the ordinary lookup; BLAKE2b's are followed weak sum first, XXH3's strong
            // sum first at full length (16), weak sum first when shortened.
            Bytes deltas[3];
            int k = 0;
            for (StrongHash strong : {StrongHash::Md4, StrongHash::Blake2b, StrongHash::Xxh3}) {
              if (format == Format::Librsync && strong == StrongHash::Xxh3) {
                deltas[k++] = deltas[0];
                continue;
              }
              RequestedParams requested{format, weak, strong, block, strongLength};
              const Bytes signature = sign(resolve_params(requested, int64_t(basis.size())), basis, piece);
              deltas[k] = make_delta(signature, target, piece);
              CHECK(apply(basis, deltas[k], piece, size_t(1) << 30) == target, "batched runs: round trip");
              ++k;
            }
            for (int other = 1; other < 3; ++other) {
              if (deltas[0] != deltas[other]) {
                std::fprintf(stderr, "  block %u format %d weak %d piece %zu strong #%d: %zu vs %zu bytes\n", block, int(format),
                             int(weak), piece, other, deltas[0].size(), deltas[other].size());
              }
              CHECK(deltas[0] == deltas[other], "batched runs: the delta does not depend on how runs are followed");
            }
          }
        }
      }
    }
  }
}

// The helper's search of a commit's second half, joined to this thread's search of the first,
// gives the delta of one search whatever lies at the split.
static Bytes delta_searched_ahead(const Bytes& signature, const Bytes& target, size_t piece) {
  SignatureIndex index = SignatureIndex::parse(signature.data(), signature.size());
  HelperThread helper;
  VectorSink sink;
  DeltaGenerator generator(index, sink);
  generator.set_helper(&helper);
  generator.always_search_ahead();
  for (size_t at = 0; at < target.size(); at += piece) generator.update(target.data() + at, std::min(piece, target.size() - at));
  generator.finish();
  return sink.bytes;
}

static void test_search_ahead() {
  std::mt19937_64 rng(11);
  // The helper's out terms come from the window length alone.
  for (size_t length : {size_t(1), size_t(2), size_t(31), size_t(64), size_t(1000), size_t(32768), size_t(65537)}) {
    Bytes window = random_bytes(rng, length);
    RabinKarp sum;
    sum.update(window.data(), length);
    RabinKarp::OutTerms fromWindow, fromLength;
    sum.out_terms(fromWindow);
    RabinKarp::out_terms_for(length, fromLength);
    CHECK(fromWindow == fromLength, "out terms from the window length equal those of a window");
  }
  // Every commit split, however short (a few bytes, less than a block): the same delta as one
  // search with the same commits.
  for (uint32_t block : {1u, 7u, 64u, 300u}) {
    Bytes basis = random_bytes(rng, 20000);
    Bytes target;
    for (int piece = 0; piece < 40; ++piece) {
      const size_t from = rng() % basis.size();
      const size_t length = std::min<size_t>(basis.size() - from, 1 + rng() % 2000);
      target.insert(target.end(), basis.begin() + from, basis.begin() + from + length);
      if (rng() % 2) target.push_back(uint8_t(rng()));
    }
    for (Format format : {Format::Librsync, Format::Native}) {
      RequestedParams requested{format, WeakHash::RabinKarp, format == Format::Native ? StrongHash::Xxh3 : StrongHash::Blake2b, block, 0};
      const Bytes signature = sign(resolve_params(requested, int64_t(basis.size())), basis, 4096);
      for (size_t piece : {size_t(1), size_t(5), size_t(333), size_t(5000), target.size()}) {
        const Bytes ahead = delta_searched_ahead(signature, target, piece);
        CHECK(apply(basis, ahead, 4096, size_t(1) << 30) == target, "search ahead, short commits: the delta patches back");
        const Bytes sequential = make_delta(signature, target, piece);
        if (block == 1) {
          // One-byte blocks: every block has ~80 twins, so a copy may name another, and which one
          // decides whether the next copies join up (with one search too, after every jump).
          CHECK(ahead.size() <= sequential.size() + sequential.size() / 10, "search ahead, one-byte blocks: about the same size");
          continue;
        }
        if (ahead != sequential)
          std::fprintf(stderr, "  block %u format %d piece %zu: %zu vs %zu bytes\n", block, int(format), piece, ahead.size(), sequential.size());
        CHECK(ahead == sequential, "search ahead, short commits: the same delta as one search");
      }
    }
  }
  const uint32_t n = 1024;
  struct Case {
    const char* name;
    Bytes basis;
    Bytes target;
    bool uniqueBlocks;  // no two basis blocks alike: the delta must equal the sequential one
  };
  std::vector<Case> cases;
  {
    // A run of basis blocks straddles the split, and a window off the run's grid that starts
    // after the split equals another basis block: the helper takes it, so this thread must check
    // the windows that match skipped, and the run goes on.
    const size_t blocks = 3001, k = blocks / 2;  // one commit of 3001 blocks splits at k * n + n / 2
    Bytes basis = random_bytes(rng, blocks * n);
    const size_t offGrid = k * n + 3 * n / 4;
    Bytes target = basis;
    basis.insert(basis.end(), basis.begin() + offGrid, basis.begin() + offGrid + n);
    cases.push_back({"off-grid block after the split", basis, target, true});
  }
  {
    // Unrelated data with basis blocks at odd offsets, one across the split, one starting at it,
    // one ending at it.
    const size_t length = 3 << 20;
    Bytes basis = random_bytes(rng, 2000 * n);
    Bytes target = random_bytes(rng, length);
    for (size_t at : {size_t(12345), length / 2 - n / 3, length / 2, length / 2 - n, length / 2 + 7 * n + 5, length - n - 1}) {
      const size_t block = rng() % 2000;
      std::memcpy(target.data() + at, basis.data() + block * n, n);
    }
    cases.push_back({"unrelated data, scattered blocks", basis, target, true});
  }
  {
    // Insertions, one of them at the split, and runs that break and resume on a new grid.
    Bytes basis = random_bytes(rng, 3000 * n);
    Bytes target = basis;
    for (size_t at : {size_t(5), size_t(3000 * n / 2), size_t(3000 * n / 2 + 2 * n + 100), size_t(2500 * n)}) {
      target.insert(target.begin() + at, uint8_t(rng()));
    }
    cases.push_back({"insertions", basis, target, true});
  }
  {
    // Every block alike: copies may name other blocks than one search would, never more bytes.
    Bytes basis(2000 * n, 0);
    Bytes target(3 << 20, 0);
    for (int i = 0; i < 40; ++i) target[rng() % target.size()] = uint8_t(rng());
    target[target.size() / 2] = 1;
    cases.push_back({"repeated blocks", basis, target, false});
  }
  struct Hashes {
    Format format;
    WeakHash weak;
    StrongHash strong;
  };
  const Hashes hashes[] = {{Format::Librsync, WeakHash::RollSum, StrongHash::Md4},
                           {Format::Librsync, WeakHash::RabinKarp, StrongHash::Blake2b},
                           {Format::Native, WeakHash::RabinKarp, StrongHash::Xxh3},
                           {Format::Native, WeakHash::RollSum, StrongHash::Xxh3}};
  for (const Case& c : cases) {
    for (const Hashes& h : hashes) {
      RequestedParams requested{h.format, h.weak, h.strong, n, 0};
      const Bytes signature = sign(resolve_params(requested, int64_t(c.basis.size())), c.basis, 1 << 20);
      const Bytes sequential = make_delta(signature, c.target, c.target.size());
      CHECK(apply(c.basis, sequential, 1 << 20, size_t(1) << 30) == c.target, "search ahead: the sequential delta patches back");
      // One commit (split in the middle), then commits that start mid-data.
      for (size_t piece : {c.target.size(), c.target.size() / 2 + 333}) {
        const Bytes ahead = delta_searched_ahead(signature, c.target, piece);
        CHECK(apply(c.basis, ahead, 1 << 20, size_t(1) << 30) == c.target, "search ahead: the delta patches back");
        if (c.uniqueBlocks && piece == c.target.size()) {
          if (ahead != sequential)
            std::fprintf(stderr, "  %s, format %d weak %d strong %d: %zu vs %zu bytes\n", c.name, int(h.format), int(h.weak),
                         int(h.strong), ahead.size(), sequential.size());
          CHECK(ahead == sequential, "search ahead: the same delta as one search");
        }
        CHECK(ahead.size() <= sequential.size() + 64, "search ahead: no larger than one search's delta");
      }
    }
  }
}

int main() {
  test_search_ahead();
  test_rolling_scans();
  test_varints();
  test_round_trips();
  test_hostile_deltas();
  test_hostile_signatures();
  test_degenerate_basis();
  test_parallel_paths();
  test_batched_runs();
  if (failures) {
    std::fprintf(stderr, "%d failures\n", failures);
    return 1;
  }
  std::puts("engine_test: all passed");
  return 0;
}
