// libFuzzer target: arbitrary signature bytes (native or librsync) parsed by SignatureIndex and,
// when they parse, used to diff a fixed new file.
//
// Input layout: a signature as is (real signatures start with 'D' or 'r' and are used
// unchanged), or, when the first byte is below 0x10, four parameter bytes followed by raw
// block records, for which the target writes a valid header (and trailer) itself, so the fuzzer
// spends its time on records rather than on header checks:
//   byte 0: bit 0 librsync format, bit 1 RabinKarp, bits 2-3 strong sum (md4, blake2, xxh3, blake2)
//   byte 1: block length - 1 (1..256)
//   byte 2: strong sum length, taken modulo the maximum, plus 1
//   byte 3: native only: bit 0 summary in a trailer; the rest shortens the last block
//
// Checks beyond "no crash": parsing throws only BadSignature; a signature that parses can be
// diffed against without any error; and the delta it gives is well formed: patched onto a basis
// of the length the signature describes (zeros, since the real one is unknown), it gives output
// of the new file's length, failing at most with DigestMismatch (native deltas carry a digest).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "byte_order.h"
#include "delta.h"
#include "errors.h"
#include "format.h"
#include "fuzz_common.h"
#include "patch.h"
#include "signature_index.h"

using namespace deltanode;
using namespace deltanode_fuzz;

namespace {

// Builds header + records (+ trailer) from the parameter-byte layout described above.
Bytes synthesize(const uint8_t* data, size_t size) {
  if (size < 4) return Bytes(data, data + size);
  SignatureParams p;
  p.format = (data[0] & 1) ? Format::Librsync : Format::Native;
  p.weak = (data[0] & 2) ? WeakHash::RabinKarp : WeakHash::RollSum;
  static const StrongHash kStrong[4] = {StrongHash::Md4, StrongHash::Blake2b, StrongHash::Xxh3, StrongHash::Blake2b};
  p.strong = kStrong[(data[0] >> 2) & 3];
  if (p.format == Format::Librsync && p.strong == StrongHash::Xxh3) p.strong = StrongHash::Md4;
  p.blockLength = 1u + data[1];
  p.strongLength = 1u + data[2] % uint32_t(max_strong_length(p.strong));
  const size_t recordLength = 4 + p.strongLength;
  const size_t blocks = (size - 4) / recordLength;
  BasisSummary summary;
  summary.known = true;
  if (blocks) summary.length = uint64_t(blocks) * p.blockLength - (data[3] >> 1) % p.blockLength;
  const bool trailer = data[3] & 1;
  BasisSummary inHeader = summary;
  inHeader.known = !trailer;
  Bytes out = encode_signature_header(p, p.format == Format::Native ? &inHeader : nullptr);
  out.insert(out.end(), data + 4, data + 4 + blocks * recordLength);
  if (p.format == Format::Native && trailer) {
    auto t = encode_signature_trailer(summary);
    out.insert(out.end(), t.begin(), t.end());
  }
  return out;
}

// How long a basis the signature describes: exact for native, the longest possible for librsync.
uint64_t described_basis_length(const SignatureIndex& index) {
  if (index.summary().known) return index.summary().length;
  return uint64_t(index.block_count()) * index.params().blockLength;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes synthesized;
  const uint8_t* signature = data;
  size_t signatureSize = size;
  if (size > 0 && data[0] < 0x10) {
    synthesized = synthesize(data, size);
    signature = synthesized.data();
    signatureSize = synthesized.size();
  }

  // A copy of exactly the right size, so that ASan catches any read past the end.
  Bytes exact(signature, signature + signatureSize);
  std::optional<SignatureIndex> parsed;
  try {
    parsed.emplace(SignatureIndex::parse(exact.data(), exact.size()));
  } catch (const EngineError& error) {
    expect_code(error, {ErrorCode::BadSignature}, "SignatureIndex::parse");
    return 0;
  }
  const SignatureIndex& index = *parsed;
  const SignatureParams& params = index.params();
  if (params.blockLength < 1) fail("parsed block length is zero");
  if (params.strongLength < 1 || params.strongLength > max_strong_length(params.strong)) fail("parsed strong length out of range");
  if (params.format == Format::Native && !index.summary().known) fail("native signature without a basis summary");

  // Diff the fixed new file, fed in uneven pieces through both feeding interfaces.
  static const size_t kPieces[] = {1, 37, 500, 3, 4096, 255, 64, 2};
  const Bytes& file = fixed_new_file();
  VectorSink deltaSink;
  try {
    DeltaGenerator generator(index, deltaSink);
    size_t at = 0, turn = 0;
    while (at < file.size()) {
      size_t n = kPieces[turn % (sizeof kPieces / sizeof kPieces[0])];
      if (n > file.size() - at) n = file.size() - at;
      generator.update(file.data() + at, n);
      at += n;
      ++turn;
    }
    generator.finish();
    if (generator.input_length() != file.size()) fail("generator input length is wrong");
  } catch (const EngineError& error) {
    expect_code(error, {}, "DeltaGenerator on a signature that parsed");
  }
  try {
    VectorSink fedSink;
    DeltaGenerator fed(index, fedSink);
    size_t at = 0, turn = 0, searched = 0;
    fed.feed(
        [&](uint8_t* into, size_t max) {
          size_t n = std::min({kPieces[turn++ % (sizeof kPieces / sizeof kPieces[0])], max, file.size() - at});
          if (n) std::memcpy(into, file.data() + at, n);
          at += n;
          return n;
        },
        4096, [&](size_t n) { searched += n; });
    fed.finish();
    if (fed.input_length() != file.size() || searched != file.size()) fail("fed generator input length is wrong");
  } catch (const EngineError& error) {
    expect_code(error, {}, "DeltaGenerator fed on a signature that parsed");
  }

  // The delta must be well formed for a basis of the described length.
  const uint64_t basisLength = described_basis_length(index);
  if (basisLength > (uint64_t(1) << 20)) return 0;  // too big to bother
  static const Bytes zeros(size_t(1) << 20, 0);
  MemoryBasis basis(zeros.data(), size_t(basisLength));
  PatchApplier applier(basis);
  applier.set_input_length(deltaSink.bytes.size());
  HashingSink out;
  try {
    run_patch(applier, deltaSink.bytes.data(), deltaSink.bytes.size(), {1000}, 4096, out);
  } catch (const EngineError& error) {
    expect_code(error, {ErrorCode::DigestMismatch}, "PatchApplier on a generated delta");
    if (params.format != Format::Native) fail("DigestMismatch from a librsync delta");
  }
  if (applier.output_length() != file.size()) fail("a generated delta gives output of the wrong length");
  return 0;
}
