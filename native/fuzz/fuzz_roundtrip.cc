// libFuzzer target: sign a basis, diff a target against the signature, patch the basis with the
// delta, and require the target back. This checks correctness, not only robustness. The delta is
// made twice: by one search, and with each piece's second half searched ahead on a helper thread.
//
// Input layout: 6 parameter bytes, then the basis and the target, split where byte 4-5 say:
//   byte 0: bit 0 librsync format, bit 1 RabinKarp, bits 2-3 strong sum (md4, blake2, xxh3, blake2),
//           bit 4 short strong sums (else the maximum), bit 5 signature header rewritten in place
//           (native: the summary in the header, not in a trailer), bit 6 adds 256 to byte 1,
//           bit 7 zero-length update() calls before every piece (and on a fresh writer/generator)
//   byte 1: block length: 1 + (byte 1 + 256 * bit 6 of byte 0) % 300, so 1..300
//   byte 2: strong length when short (modulo the maximum, plus 1); bit 7 picks the BLAKE3 digest
//           (else XXH3-128) for the native format
//   byte 3: piece sizes and the patch output budget
//   bytes 4-5: little-endian split point (modulo the remaining length + 1)
//
// With the maximal strong sum length a false block match is out of reach, so the output must
// equal the target exactly. With short strong sums a false match is legitimate: a native delta
// then fails its digest check (DigestMismatch), a librsync one silently gives other bytes; but
// the output length must still be the target's.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "delta.h"
#include "errors.h"
#include "format.h"
#include "fuzz_common.h"
#include "helper_thread.h"
#include "patch.h"
#include "signature.h"
#include "signature_index.h"

using namespace deltanode;
using namespace deltanode_fuzz;

namespace {

// Calls feed(offset, length) for consecutive pieces; with `empties`, also feed(offset, 0) first
// and before every piece (an empty update must be a no-op, whatever the state).
// Build with -DFUZZ_NO_EMPTY_UPDATES to leave them out while a known bug in them is unfixed.
template <class F>
void in_pieces(size_t total, size_t piece, bool empties, F feed) {
#ifdef FUZZ_NO_EMPTY_UPDATES
  empties = false;
#endif
  if (empties) feed(0, 0);
  for (size_t at = 0; at < total; at += piece) {
    if (empties) feed(at, 0);
    feed(at, piece < total - at ? piece : total - at);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 6) return 0;
  SignatureParams params;
  params.format = (data[0] & 1) ? Format::Librsync : Format::Native;
  params.weak = (data[0] & 2) ? WeakHash::RabinKarp : WeakHash::RollSum;
  static const StrongHash kStrong[4] = {StrongHash::Md4, StrongHash::Blake2b, StrongHash::Xxh3, StrongHash::Blake2b};
  params.strong = kStrong[(data[0] >> 2) & 3];
  if (params.format == Format::Librsync && params.strong == StrongHash::Xxh3) params.strong = StrongHash::Md4;
  const uint32_t maxStrong = uint32_t(max_strong_length(params.strong));
  const bool shortStrong = data[0] & 0x10;
  params.strongLength = shortStrong ? 1 + data[2] % maxStrong : maxStrong;
  params.blockLength = 1 + (data[1] + ((data[0] >> 6) & 1) * 256u) % 300;  // 1..300
  params.digest = (data[2] & 0x80) ? DigestId::Blake3 : DigestId::Xxh3;
  const bool rewritable = data[0] & 0x20;
  const bool empties = data[0] & 0x80;

  static const size_t kPieces[8] = {1, 3, 16, 100, 255, 1000, 4096, size_t(1) << 20};
  const size_t signPiece = kPieces[data[3] & 7];
  const size_t deltaPiece = kPieces[(data[3] >> 3) & 7];
  static const size_t kBudgets[4] = {1, 7, 300, size_t(1) << 20};
  const size_t budget = kBudgets[data[3] >> 6];

  const uint8_t* rest = data + 6;
  const size_t restSize = size - 6;
  const size_t split = (size_t(data[4]) | size_t(data[5]) << 8) % (restSize + 1);
  // Exactly sized copies, so ASan sees any read past either end.
  const Bytes basis(rest, rest + split);
  const Bytes target(rest + split, rest + restSize);

  try {
    // Sign.
    VectorSink sigSink;
    SignatureWriter writer(params, sigSink, rewritable);
    in_pieces(basis.size(), signPiece, empties, [&](size_t at, size_t n) { writer.update(basis.data() + at, n); });
    writer.finish();
    Bytes signature = sigSink.bytes;
    if (rewritable && params.format == Format::Native) {
      Bytes header = writer.final_header();
      if (header.size() > signature.size()) fail("final header longer than the signature");
      std::memcpy(signature.data(), header.data(), header.size());
    }

    // Diff.
    SignatureIndex index = SignatureIndex::parse(signature.data(), signature.size());
    if (index.params().blockLength != params.blockLength || index.params().strongLength != params.strongLength ||
        index.params().strong != params.strong || index.params().weak != params.weak)
      fail("signature parameters do not survive a round trip");
    if (params.format == Format::Native && (!index.summary().known || index.summary().length != basis.size()))
      fail("native signature does not state the basis length");
    // Diffed twice: by one search, and with every piece's second half searched ahead on a helper
    // thread and joined to the first (what large files get); both must patch back. Not for pieces
    // under 100 bytes: a thread handoff per few bytes cut the executions per second fivefold.
    for (bool ahead : {false, true}) {
      if (ahead && deltaPiece < 100) break;
      VectorSink deltaSink;
      DeltaGenerator generator(index, deltaSink);
      HelperThread helper;
      if (ahead) {
        generator.set_helper(&helper);
        generator.always_search_ahead();
      }
      in_pieces(target.size(), deltaPiece, empties, [&](size_t at, size_t n) { generator.update(target.data() + at, n); });
      generator.finish();
      const Bytes& delta = deltaSink.bytes;

      // Patch.
      MemoryBasis reader(basis.data(), basis.size());
      PatchApplier applier(reader);
      VectorSink out;
      bool digestMismatch = false;
      try {
        run_patch(applier, delta.data(), delta.size(), {deltaPiece == 1 ? 2 : deltaPiece}, budget, out);
      } catch (const EngineError& error) {
        if (error.code() != ErrorCode::DigestMismatch || !shortStrong || params.format != Format::Native) throw;
        digestMismatch = true;
      }
      if (!digestMismatch && out.bytes.size() != target.size()) fail("round trip changed the length");
      if (!shortStrong && out.bytes != target) fail(ahead ? "round trip changed the content (search ahead)" : "round trip changed the content");
    }
  } catch (const EngineError& error) {
    std::fprintf(stderr, "FUZZ: %s: %s\n", error_code_name(error.code()), error.what());
    fail("round trip of a valid basis and target threw");
  }
  return 0;
}
