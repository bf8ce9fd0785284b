// Shared pieces of the libFuzzer targets: deterministic basis and new-file data, sinks, the patch
// loop, and a check that only the error codes a stage may throw escape it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "errors.h"
#include "patch.h"

namespace deltanode_fuzz {

using Bytes = std::vector<uint8_t>;
using deltanode::ErrorCode;

// xorshift64*: small, deterministic, the same everywhere.
struct Rng {
  uint64_t state;
  explicit Rng(uint64_t seed) : state(seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull) {
    if (!state) state = 1;
  }
  uint64_t next() {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1Dull;
  }
  size_t below(size_t n) { return n ? size_t(next() % n) : 0; }
};

// The basis every fuzz_patch / fuzz_header input is applied to: 5000 bytes of pseudo-random
// data with a run of zeros and a repeated 16-byte motif, so copies of any shape make sense.
inline const Bytes& fixed_basis() {
  static const Bytes basis = [] {
    Bytes b(5000);
    Rng rng(1);
    for (auto& x : b) x = uint8_t(rng.next() >> 56);
    for (size_t i = 1000; i < 1600; ++i) b[i] = 0;
    for (size_t i = 3000; i < 3512; ++i) b[i] = uint8_t("deltanode-motif!"[i % 16]);
    return b;
  }();
  return basis;
}

// The new file fuzz_signature diffs against every parsed signature: a few KB with runs of zeros
// (blocks of all-zero data are the classic degenerate case) and a copy of part of itself.
inline const Bytes& fixed_new_file() {
  static const Bytes file = [] {
    Bytes f(6000);
    Rng rng(2);
    for (auto& x : f) x = uint8_t(rng.next() >> 56);
    for (size_t i = 500; i < 2548; ++i) f[i] = 0;        // 2 KiB of zeros
    for (size_t i = 4000; i < 4300; ++i) f[i] = 0;       // and a shorter run
    for (size_t i = 5000; i < 5600; ++i) f[i] = f[i - 2500];  // a repeat
    return f;
  }();
  return file;
}

// Keeps a length and an FNV-1a hash of what it is given instead of the bytes (reading every
// byte, so ASan checks the whole range), which lets two runs' outputs be compared cheaply.
struct HashingSink final : deltanode::ByteSink {
  uint64_t length = 0;
  uint64_t hash = 0xcbf29ce484222325ull;
  void write(const uint8_t* data, size_t n) override {
    for (size_t i = 0; i < n; ++i) hash = (hash ^ data[i]) * 0x100000001b3ull;
    length += n;
  }
};

// A sink with a buffer that lends room for output made in place (as the offload sink of file
// jobs does), at an offset of its own, passing what fills it on to `out`.
struct RoomySink final : deltanode::ByteSink {
  RoomySink(HashingSink& target, size_t capacity, size_t offset)
      : out(target), buffer(capacity + offset), capacity(capacity), offset(offset) {}
  void write(const uint8_t* data, size_t n) override {
    while (n > 0) {
      size_t take = capacity - fill < n ? capacity - fill : n;
      std::memcpy(buffer.data() + offset + fill, data, take);
      fill += take;
      data += take;
      n -= take;
      if (fill == capacity) flush();
    }
  }
  uint8_t* room(size_t want, size_t& granted) override {
    if (fill == capacity) flush();
    granted = capacity - fill < want ? capacity - fill : want;
    return buffer.data() + offset + fill;
  }
  void commit(size_t n) override {
    fill += n;
    if (fill == capacity) flush();
  }
  void flush() {
    out.write(buffer.data() + offset, fill);
    fill = 0;
  }
  HashingSink& out;
  std::vector<uint8_t> buffer;
  size_t capacity, offset, fill = 0;
};

[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "FUZZ INVARIANT VIOLATED: %s\n", what);
  std::fflush(stderr);
  std::abort();
}

// Aborts (a libFuzzer crash) when `error` is not one of the codes allowed at this point.
inline void expect_code(const deltanode::EngineError& error, std::initializer_list<ErrorCode> allowed,
                        const char* stage) {
  for (ErrorCode code : allowed)
    if (error.code() == code) return;
  std::fprintf(stderr, "FUZZ: unexpected error %s from %s: %s\n", deltanode::error_code_name(error.code()), stage,
               error.what());
  fail("unexpected EngineError code");
}

// Feeds `delta` to `applier` in the given piece sizes (cycled), with at most `budget` output
// bytes per step, looping as native/test/engine_test.cc's apply() does. Returns normally when
// the applier is done; EngineError propagates. A step loop that stops making progress aborts.
// Past 64 KiB of output the budget grows to 1 MiB, so that inputs of many long copies stay fast.
inline void run_patch(deltanode::PatchApplier& applier, const uint8_t* delta, size_t size,
                      const std::vector<size_t>& pieces, size_t budget, deltanode::ByteSink& sink) {
  size_t at = 0, turn = 0, idle = 0;
  for (;;) {
    size_t piece = pieces.empty() ? size : pieces[turn++ % pieces.size()];
    if (piece == 0) piece = 1;
    size_t n = piece < size - at ? piece : size - at;
    bool end = at + n == size;
    uint64_t before = applier.output_length();
    size_t allowed = before < (64u << 10) ? budget : (budget > (1u << 20) ? budget : (1u << 20));
    size_t used = applier.step(delta + at, n, end, sink, allowed);
    if (used > n) fail("step consumed more than it was given");
    if (applier.output_length() - before > allowed) fail("step wrote more than its budget");
    at += used;
    if (applier.done() && at == size) return;
    if (end && used == n && !applier.has_pending_output() && applier.done()) return;
    // No input taken and no output given: the next call sees the same state, a livelock.
    if (used == 0 && applier.output_length() == before) {
      if (++idle > 4) fail("patch step makes no progress");
    } else {
      idle = 0;
    }
  }
}

}  // namespace deltanode_fuzz
