#include "format.h"

#include <cstring>
#include <string>

#include "byte_order.h"
#include "errors.h"
#include "params.h"

namespace deltanode {

size_t max_strong_length(StrongHash hash) noexcept {
  switch (hash) {
    case StrongHash::Md4: return 16;
    case StrongHash::Blake2b: return 32;
    case StrongHash::Xxh3: return 16;
  }
  return 0;
}

static bool known_weak(uint8_t id) { return id == uint8_t(WeakHash::RollSum) || id == uint8_t(WeakHash::RabinKarp); }
bool known_digest(uint8_t id) noexcept { return id == uint8_t(DigestId::Blake3) || id == uint8_t(DigestId::Xxh3); }
static bool known_strong(uint8_t id) {
  return id == uint8_t(StrongHash::Md4) || id == uint8_t(StrongHash::Blake2b) || id == uint8_t(StrongHash::Xxh3);
}

void validate_params(const SignatureParams& params) {
  if (params.blockLength < 1) throw EngineError(ErrorCode::InvalidArgument, "block length must be at least 1");
  size_t maxStrong = max_strong_length(params.strong);
  if (params.strongLength < 1 || params.strongLength > maxStrong)
    throw EngineError(ErrorCode::InvalidArgument, "strong sum length must be 1.." + std::to_string(maxStrong));
  if (params.digest != DigestId::Blake3 && params.digest != DigestId::Xxh3)
    throw EngineError(ErrorCode::InvalidArgument, "unknown digest id");
  if (params.format == Format::Librsync && params.strong == StrongHash::Xxh3)
    throw EngineError(ErrorCode::InvalidArgument, "the librsync format supports only md4 and blake2 strong sums");
}

static uint32_t librsync_magic(const SignatureParams& p) {
  bool rabin = p.weak == WeakHash::RabinKarp;
  if (p.strong == StrongHash::Md4) return rabin ? kRsRkMd4SigMagic : kRsMd4SigMagic;
  return rabin ? kRsRkBlake2SigMagic : kRsBlake2SigMagic;
}

std::vector<uint8_t> encode_signature_header(const SignatureParams& params, const BasisSummary* summary) {
  validate_params(params);
  if (params.format == Format::Librsync) {
    std::vector<uint8_t> header(12);
    store_u32_be(&header[0], librsync_magic(params));
    store_u32_be(&header[4], params.blockLength);
    store_u32_be(&header[8], params.strongLength);
    return header;
  }
  std::vector<uint8_t> header(kNativeHeaderLength, 0);
  std::memcpy(&header[0], kNativeSignatureMagic, 4);
  store_u16_le(&header[4], kNativeVersion);
  store_u16_le(&header[6], uint16_t(kNativeHeaderLength));
  store_u16_le(&header[8], summary && summary->known ? 0 : kSignatureFlagSummaryInTrailer);
  header[10] = uint8_t(params.weak);
  header[11] = uint8_t(params.strong);
  header[12] = uint8_t(params.strongLength);
  header[13] = uint8_t(params.digest);
  store_u32_le(&header[16], params.blockLength);
  if (summary && summary->known) {
    store_u64_le(&header[24], summary->length);
    std::memcpy(&header[32], summary->digest.data(), kDigestLength);
  }
  return header;
}

std::array<uint8_t, kNativeSignatureTrailerLength> encode_signature_trailer(const BasisSummary& summary) {
  std::array<uint8_t, kNativeSignatureTrailerLength> trailer{};
  store_u64_le(&trailer[0], summary.length);
  std::memcpy(&trailer[8], summary.digest.data(), kDigestLength);
  std::memcpy(&trailer[40], kNativeSummaryMagic, 4);
  return trailer;
}

[[noreturn]] static void bad_signature(const std::string& why) { throw EngineError(ErrorCode::BadSignature, why); }

ParsedSignatureHeader parse_signature_header(const uint8_t* data, size_t length) {
  ParsedSignatureHeader parsed;
  if (length < 4) bad_signature("signature is truncated: no magic number");
  if (std::memcmp(data, kNativeSignatureMagic, 4) == 0) {
    if (length < 8) bad_signature("signature header is truncated");
    uint16_t version = load_u16_le(data + 4);
    if (version != kNativeVersion) bad_signature("unsupported native signature version " + std::to_string(version));
    size_t headerLength = load_u16_le(data + 6);
    if (headerLength < kNativeHeaderLength || headerLength > kMaxHeaderLength)
      bad_signature("bad native signature header length");
    if (length < headerLength) bad_signature("signature header is truncated");
    uint16_t flags = load_u16_le(data + 8);
    if (flags & ~kSignatureFlagSummaryInTrailer) bad_signature("unknown native signature flags");
    if (!known_weak(data[10])) bad_signature("unknown weak checksum id");
    if (!known_strong(data[11])) bad_signature("unknown strong checksum id");
    if (!known_digest(data[13])) bad_signature("unknown digest id");
    for (size_t i : {14, 15, 20, 21, 22, 23})
      if (data[i] != 0) bad_signature("reserved signature header bytes are not zero");
    auto& p = parsed.params;
    p.format = Format::Native;
    p.weak = WeakHash(data[10]);
    p.strong = StrongHash(data[11]);
    p.strongLength = data[12];
    p.digest = DigestId(data[13]);
    p.blockLength = load_u32_le(data + 16);
    if (p.blockLength < 1 || p.blockLength > kMaxBlockLength) bad_signature("block length out of range");
    if (p.strongLength < 1 || p.strongLength > max_strong_length(p.strong)) bad_signature("strong sum length out of range");
    parsed.headerLength = headerLength;
    if (flags & kSignatureFlagSummaryInTrailer) {
      for (size_t i = 24; i < kNativeHeaderLength; ++i)
        if (data[i] != 0) bad_signature("summary fields must be zero when the summary is in the trailer");
      parsed.trailerLength = kNativeSignatureTrailerLength;
    } else {
      parsed.summary.known = true;
      parsed.summary.length = load_u64_le(data + 24);
      std::memcpy(parsed.summary.digest.data(), data + 32, kDigestLength);
    }
    return parsed;
  }
  uint32_t magic = load_u32_be(data);
  auto& p = parsed.params;
  p.format = Format::Librsync;
  switch (magic) {
    case kRsMd4SigMagic: p.weak = WeakHash::RollSum; p.strong = StrongHash::Md4; break;
    case kRsBlake2SigMagic: p.weak = WeakHash::RollSum; p.strong = StrongHash::Blake2b; break;
    case kRsRkMd4SigMagic: p.weak = WeakHash::RabinKarp; p.strong = StrongHash::Md4; break;
    case kRsRkBlake2SigMagic: p.weak = WeakHash::RabinKarp; p.strong = StrongHash::Blake2b; break;
    case kRsDeltaMagic: bad_signature("this is a delta, not a signature");
    default: bad_signature("not a signature: unknown magic number");
  }
  if (length < 12) bad_signature("signature header is truncated");
  uint32_t blockLength = load_u32_be(data + 4);
  uint32_t strongLength = load_u32_be(data + 8);
  // A block is held in memory while searching: refuse what no signer here would produce.
  if (blockLength < 1 || blockLength > kMaxBlockLength) bad_signature("block length out of range");
  if (strongLength < 1 || strongLength > max_strong_length(p.strong)) bad_signature("strong sum length out of range");
  p.blockLength = blockLength;
  p.strongLength = strongLength;
  parsed.headerLength = 12;
  return parsed;
}

BasisSummary parse_signature_trailer(const uint8_t* data) {
  if (std::memcmp(data + 40, kNativeSummaryMagic, 4) != 0 || load_u32_le(data + 44) != 0)
    bad_signature("signature trailer is missing or damaged");
  BasisSummary summary;
  summary.known = true;
  summary.length = load_u64_le(data);
  std::memcpy(summary.digest.data(), data + 8, kDigestLength);
  return summary;
}

std::vector<uint8_t> encode_native_delta_header(const BasisSummary& basis, DigestId digest) {
  std::vector<uint8_t> header(kNativeHeaderLength, 0);
  std::memcpy(&header[0], kNativeDeltaMagic, 4);
  store_u16_le(&header[4], kNativeVersion);
  store_u16_le(&header[6], uint16_t(kNativeHeaderLength));
  header[10] = uint8_t(digest);
  header[11] = basis.known ? 1 : 0;
  store_u64_le(&header[16], basis.length);
  std::memcpy(&header[24], basis.digest.data(), kDigestLength);
  return header;
}

}  // namespace deltanode
