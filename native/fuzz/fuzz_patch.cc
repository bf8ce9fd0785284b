// libFuzzer target: arbitrary delta bytes (native or librsync) applied to a fixed basis.
//
// Input layout: DELTA || SEED, where SEED is the last byte. The seed chooses how the delta is cut
// into pieces, the per-step output budget (small budgets exercise the resumption of copies and
// literals), and whether the applier is told the input length. The corpus files are real deltas
// made against fuzz_common.h's fixed_basis() with a seed byte appended.
//
// Checks beyond "no crash": only CorruptDelta, BasisMismatch and DigestMismatch may escape, and
// the outcome (error code, or output length and hash) must not depend on how the input was cut
// or on the budget: it is compared with a reference run that gets the whole delta at once.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "errors.h"
#include "fuzz_common.h"
#include "patch.h"

using namespace deltanode;
using namespace deltanode_fuzz;

namespace {

struct Outcome {
  bool ok = false;
  ErrorCode code = ErrorCode::CorruptDelta;
  uint64_t length = 0;
  uint64_t hash = 0;
};

// `roomy`: through a sink that lends room for copies made in place (capacity, offset), or none.
Outcome apply_once(const uint8_t* delta, size_t size, const std::vector<size_t>& pieces, size_t budget,
                   bool tellLength, const size_t* roomy = nullptr) {
  const Bytes& basisBytes = fixed_basis();
  MemoryBasis basis(basisBytes.data(), basisBytes.size());
  PatchApplier applier(basis);
  if (tellLength) applier.set_input_length(size);
  HashingSink sink;
  std::unique_ptr<RoomySink> lending = roomy ? std::make_unique<RoomySink>(sink, roomy[0], roomy[1]) : nullptr;
  Outcome outcome;
  try {
    if (lending) {
      run_patch(applier, delta, size, pieces, budget, *lending);
      lending->flush();
    } else {
      run_patch(applier, delta, size, pieces, budget, sink);
    }
    if (!applier.done()) fail("patch returned without finishing");
    if (sink.length != applier.output_length()) fail("output_length() disagrees with the bytes written");
    outcome.ok = true;
  } catch (const EngineError& error) {
    expect_code(error, {ErrorCode::CorruptDelta, ErrorCode::BasisMismatch, ErrorCode::DigestMismatch}, "PatchApplier");
    outcome.code = error.code();
  }
  outcome.length = sink.length;
  outcome.hash = sink.hash;
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t seed = data[size - 1];
  const size_t deltaSize = size - 1;

  static const size_t kBudgets[8] = {1, 2, 5, 17, 64, 1000, 4096, size_t(1) << 30};
  const size_t budget = kBudgets[(seed >> 3) & 7];
  const bool tellLength = (seed >> 6) & 1;

  std::vector<size_t> pieces;
  switch (seed & 7) {
    case 0: break;  // all at once
    case 1: pieces = {1}; break;
    case 2: pieces = {3}; break;
    case 3: pieces = {7, 1, 64}; break;
    default: {  // irregular sizes from a generator seeded by the seed and the length
      Rng rng(uint64_t(seed) << 32 | deltaSize);
      const size_t span = size_t(1) << (2 * (seed & 7) - 4);  // 16, 64, 256, 1024
      for (int i = 0; i < 16; ++i) pieces.push_back(1 + rng.below(span));
      break;
    }
  }

  // Two runs in three go through a sink that lends room (sizes and alignments from the length).
  static const size_t kCapacities[4] = {64, 1000, 4096, size_t(1) << 20};
  const size_t roomy[2] = {kCapacities[(deltaSize / 3) % 4], deltaSize % 64};
  Outcome fuzzed = apply_once(data, deltaSize, pieces, budget, tellLength, deltaSize % 3 != 0 ? roomy : nullptr);
  // The reference: everything in one step, unlimited budget; the length hint as the seed says
  // when bit 7 is set, otherwise none.
  Outcome reference = apply_once(data, deltaSize, {}, size_t(1) << 30, (seed & 0x80) ? tellLength : false);
  if (fuzzed.ok != reference.ok) fail("the outcome depends on the piece sizes or budget");
  if (fuzzed.ok && (fuzzed.length != reference.length || fuzzed.hash != reference.hash))
    fail("the output depends on the piece sizes or budget");
  if (!fuzzed.ok && fuzzed.code != reference.code) fail("the error code depends on the piece sizes or budget");
  return 0;
}
