// Signature and delta container formats: deltanode's native format and librsync 2.3's.
// The byte layouts are documented in docs/formats.md.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace deltanode {

enum class Format : uint8_t { Native = 1, Librsync = 2 };
enum class WeakHash : uint8_t { RollSum = 1, RabinKarp = 2 };
enum class StrongHash : uint8_t { Md4 = 1, Blake2b = 2, Xxh3 = 3 };

enum class DigestId : uint8_t { Blake3 = 1, Xxh3 = 2 };
constexpr size_t kDigestLength = 32;
using Digest = std::array<uint8_t, kDigestLength>;

size_t max_strong_length(StrongHash hash) noexcept;
bool known_digest(uint8_t id) noexcept;

// librsync magics (big-endian u32 at the start of the file).
constexpr uint32_t kRsDeltaMagic = 0x72730236;
constexpr uint32_t kRsMd4SigMagic = 0x72730136;
constexpr uint32_t kRsBlake2SigMagic = 0x72730137;
constexpr uint32_t kRsRkMd4SigMagic = 0x72730146;
constexpr uint32_t kRsRkBlake2SigMagic = 0x72730147;

// Native containers: 4-byte magic, u16 version, u16 header length (readers skip what they do
// not know, so later versions can extend the header without breaking old readers).
constexpr uint8_t kNativeSignatureMagic[4] = {'D', 'N', 'S', 'G'};
constexpr uint8_t kNativeDeltaMagic[4] = {'D', 'N', 'D', 'L'};
constexpr uint8_t kNativeSummaryMagic[4] = {'D', 'N', 'S', 'T'};
constexpr uint16_t kNativeVersion = 1;
constexpr size_t kNativeHeaderLength = 64;
constexpr size_t kNativeSignatureTrailerLength = 48;  // u64 basis length, digest, magic, reserved
constexpr size_t kNativeDeltaTrailerLength = 40;      // u64 output length, digest
constexpr uint16_t kSignatureFlagSummaryInTrailer = 1;
// The largest header any reader needs to see before it knows the format.
constexpr size_t kMaxHeaderLength = 1024;

struct SignatureParams {
  Format format = Format::Native;
  WeakHash weak = WeakHash::RabinKarp;
  StrongHash strong = StrongHash::Xxh3;
  uint32_t blockLength = 0;
  uint32_t strongLength = 0;
  DigestId digest = DigestId::Xxh3;  // native format only
};

// What a signature says about its basis besides the blocks.
struct BasisSummary {
  bool known = false;  // librsync signatures carry neither length nor digest
  uint64_t length = 0;
  Digest digest{};
};

// Throws EngineError(InvalidArgument) if the combination cannot be written in params.format.
void validate_params(const SignatureParams& params);

// Header bytes for a signature; `summary` fills the native header's basis fields when known,
// otherwise the native header announces a trailer.
std::vector<uint8_t> encode_signature_header(const SignatureParams& params, const BasisSummary* summary);
std::array<uint8_t, kNativeSignatureTrailerLength> encode_signature_trailer(const BasisSummary& summary);

struct ParsedSignatureHeader {
  SignatureParams params;
  size_t headerLength = 0;
  size_t trailerLength = 0;
  BasisSummary summary;  // from the header; a trailer, if announced, is parsed separately
};
// `length` is what is available; throws EngineError(BadSignature) on anything malformed.
ParsedSignatureHeader parse_signature_header(const uint8_t* data, size_t length);
BasisSummary parse_signature_trailer(const uint8_t* data);

std::vector<uint8_t> encode_native_delta_header(const BasisSummary& basis, DigestId digest);

}  // namespace deltanode
