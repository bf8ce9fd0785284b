// libFuzzer target: the container headers on their own.
//
// The input is given to parse_signature_header and (when long enough) parse_signature_trailer,
// and, prefixed with the native delta magic "DNDL", to a PatchApplier on the fixed basis, once
// in one piece and once in 3-byte pieces (which crosses the header's split-input path).
//
// Checks beyond "no crash": only BadSignature from the signature parsers and only CorruptDelta,
// BasisMismatch or DigestMismatch from the applier, in both runs alike; a parsed header states
// a length inside the input and parameters that survive an encode/parse round trip; a parsed
// trailer re-encodes to the same 48 bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "errors.h"
#include "format.h"
#include "fuzz_common.h"
#include "patch.h"

using namespace deltanode;
using namespace deltanode_fuzz;

static void check_signature_header(const uint8_t* data, size_t size) {
  ParsedSignatureHeader parsed;
  try {
    parsed = parse_signature_header(data, size);
  } catch (const EngineError& error) {
    expect_code(error, {ErrorCode::BadSignature}, "parse_signature_header");
    return;
  }
  if (parsed.headerLength > size) fail("header length beyond the input");
  const SignatureParams& p = parsed.params;
  if (p.blockLength < 1 || p.strongLength < 1 || p.strongLength > max_strong_length(p.strong))
    fail("parsed parameters out of range");
  if (p.format == Format::Native && parsed.trailerLength != 0 && parsed.trailerLength != kNativeSignatureTrailerLength)
    fail("odd trailer length");
  if (p.format == Format::Native && !parsed.summary.known && parsed.trailerLength == 0) fail("native summary lost");

  // What was parsed must be writable, and parse back to the same thing.
  Bytes again;
  try {
    again = encode_signature_header(p, parsed.trailerLength ? nullptr : &parsed.summary);
  } catch (const EngineError& error) {
    expect_code(error, {}, "encode_signature_header of parsed parameters");
  }
  ParsedSignatureHeader reparsed;
  try {
    reparsed = parse_signature_header(again.data(), again.size());
  } catch (const EngineError& error) {
    expect_code(error, {}, "parse_signature_header of a re-encoded header");
  }
  const SignatureParams& q = reparsed.params;
  if (q.format != p.format || q.weak != p.weak || q.strong != p.strong || q.blockLength != p.blockLength ||
      q.strongLength != p.strongLength || reparsed.trailerLength != parsed.trailerLength ||
      reparsed.summary.known != parsed.summary.known || reparsed.summary.length != parsed.summary.length ||
      reparsed.summary.digest != parsed.summary.digest)
    fail("signature header does not survive encode/parse");
}

static void check_signature_trailer(const uint8_t* data, size_t size) {
  if (size < kNativeSignatureTrailerLength) return;
  Bytes exact(data, data + kNativeSignatureTrailerLength);  // exactly sized for ASan
  BasisSummary summary;
  try {
    summary = parse_signature_trailer(exact.data());
  } catch (const EngineError& error) {
    expect_code(error, {ErrorCode::BadSignature}, "parse_signature_trailer");
    return;
  }
  if (!summary.known) fail("a parsed trailer leaves the summary unknown");
  auto again = encode_signature_trailer(summary);
  if (std::memcmp(again.data(), exact.data(), kNativeSignatureTrailerLength) != 0)
    fail("signature trailer does not survive parse/encode");
}

// Returns the error code, or -1 on success.
static int apply_native(const Bytes& delta, std::vector<size_t> pieces) {
  const Bytes& basisBytes = fixed_basis();
  MemoryBasis basis(basisBytes.data(), basisBytes.size());
  PatchApplier applier(basis);
  HashingSink sink;
  try {
    run_patch(applier, delta.data(), delta.size(), pieces, size_t(1) << 20, sink);
  } catch (const EngineError& error) {
    expect_code(error, {ErrorCode::CorruptDelta, ErrorCode::BasisMismatch, ErrorCode::DigestMismatch}, "PatchApplier");
    return int(error.code());
  }
  if (applier.format() != Format::Native) fail("a DNDL delta was not taken as native");
  return -1;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  {
    Bytes exact(data, data + size);
    check_signature_header(exact.data(), exact.size());
  }
  check_signature_trailer(data, size);

  Bytes delta(kNativeDeltaMagic, kNativeDeltaMagic + 4);
  delta.insert(delta.end(), data, data + size);
  int whole = apply_native(delta, {});
  int split = apply_native(delta, {3});
  if (whole != split) fail("native delta outcome depends on how the input is split");
  return 0;
}
