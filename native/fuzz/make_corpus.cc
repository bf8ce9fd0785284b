// Writes the seed corpora of the fuzz targets with the engine itself: real signatures and deltas
// of the fixed data in fuzz_common.h, in both formats and several parameter combinations.
// Usage: make_corpus DIR DATADIR   (creates DIR/<target>/ files, overwriting what it writes, and
// the fixed data as DATADIR/{basis,new_file,inserted}.bin for rdiff and the CLI)
// Run through `scripts/fuzz.sh --regenerate-corpus`, which also adds rdiff's and the CLI's files.
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "delta.h"
#include "fuzz_common.h"
#include "params.h"
#include "patch.h"
#include "signature.h"
#include "signature_index.h"

using namespace deltanode;
using namespace deltanode_fuzz;

static std::string root;
static size_t written = 0;

static void put(const std::string& target, const std::string& name, const Bytes& bytes) {
  std::string dir = target.empty() ? root : root + "/" + target;
  mkdir(root.c_str(), 0755);
  mkdir(dir.c_str(), 0755);
  std::string path = dir + "/" + name;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::exit(1);
  }
  written += bytes.size();
}

static Bytes sign(const SignatureParams& params, const Bytes& basis, bool rewritable) {
  VectorSink sink;
  SignatureWriter writer(params, sink, rewritable);
  for (size_t at = 0; at < basis.size(); at += 777) writer.update(basis.data() + at, std::min<size_t>(777, basis.size() - at));
  writer.finish();
  if (rewritable && params.format == Format::Native) {
    Bytes header = writer.final_header();
    std::memcpy(sink.bytes.data(), header.data(), header.size());
  }
  return sink.bytes;
}

static Bytes delta(const Bytes& signature, const Bytes& target) {
  SignatureIndex index = SignatureIndex::parse(signature.data(), signature.size());
  VectorSink sink;
  DeltaGenerator generator(index, sink);
  if (!target.empty()) generator.update(target.data(), target.size());  // see fuzz_roundtrip's empty updates
  generator.finish();
  return sink.bytes;
}

static Bytes patch(const Bytes& basis, const Bytes& d) {
  MemoryBasis reader(basis.data(), basis.size());
  PatchApplier applier(reader);
  VectorSink sink;
  run_patch(applier, d.data(), d.size(), {}, size_t(1) << 30, sink);
  return sink.bytes;
}

static const char* strong_name(StrongHash h) { return h == StrongHash::Md4 ? "md4" : h == StrongHash::Blake2b ? "blake2" : "xxh3"; }

static std::string describe(const SignatureParams& p) {
  return std::string(p.format == Format::Native ? "native" : "rs") + "-b" + std::to_string(p.blockLength) + "-S" +
         std::to_string(p.strongLength) + "-" + strong_name(p.strong) + "-" +
         (p.weak == WeakHash::RollSum ? "rollsum" : "rk") +
         (p.format == Format::Native && p.digest == DigestId::Blake3 ? "-blake3" : "");
}

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: make_corpus DIR DATADIR\n");
    return 2;
  }
  root = argv[1];
  const Bytes& basis = fixed_basis();
  const Bytes& newFile = fixed_new_file();

  // Targets for deltas against the fixed basis: the basis itself, an insertion, a deletion, a
  // shuffle of pieces, fresh data, and nothing.
  Bytes inserted = basis;
  inserted.insert(inserted.begin() + 2500, {'h', 'e', 'l', 'l', 'o'});
  Bytes deleted = basis;
  deleted.erase(deleted.begin() + 700, deleted.begin() + 1900);
  Bytes shuffled(basis.begin() + 3000, basis.end());
  shuffled.insert(shuffled.end(), basis.begin(), basis.begin() + 3000);
  shuffled.insert(shuffled.end(), 300, 0);
  Bytes fresh(1500);
  Rng rng(77);
  for (auto& x : fresh) x = uint8_t(rng.next() >> 56);
  struct NamedTarget {
    const char* name;
    const Bytes* bytes;
  };
  const Bytes empty;
  const NamedTarget deltaTargets[] = {{"same", &basis}, {"insert", &inserted}, {"delete", &deleted},
                                      {"shuffle", &shuffled}, {"fresh", &fresh}, {"empty", &empty}};

  struct Combo {
    Format format;
    WeakHash weak;
    StrongHash strong;
    uint32_t block;
    int32_t strongLength;  // 0 max, -1 min
    DigestId digest;
  };
  const Combo combos[] = {
      {Format::Native, WeakHash::RabinKarp, StrongHash::Xxh3, 256, 0, DigestId::Xxh3},
      {Format::Native, WeakHash::RollSum, StrongHash::Md4, 64, -1, DigestId::Blake3},
      {Format::Native, WeakHash::RabinKarp, StrongHash::Blake2b, 16, 8, DigestId::Xxh3},
      {Format::Librsync, WeakHash::RabinKarp, StrongHash::Blake2b, 256, 0, DigestId::Xxh3},
      {Format::Librsync, WeakHash::RollSum, StrongHash::Md4, 64, -1, DigestId::Xxh3},
      {Format::Librsync, WeakHash::RollSum, StrongHash::Blake2b, 16, 8, DigestId::Xxh3},
  };

  int seedByte = 0;
  for (const Combo& c : combos) {
    RequestedParams requested{c.format, c.weak, c.strong, c.block, c.strongLength, c.digest};
    SignatureParams params = resolve_params(requested, int64_t(basis.size()));
    const std::string name = describe(params);

    // fuzz_signature: signatures whose basis shares content with the fixed new file.
    Bytes partly(newFile.begin(), newFile.begin() + 3500);
    partly.insert(partly.end(), basis.begin(), basis.begin() + 500);
    for (bool rewritable : {false, true}) {
      if (!rewritable && c.format == Format::Librsync) continue;
      Bytes sig = sign(params, partly, rewritable);
      if (sig.size() <= 20000) put("fuzz_signature", name + (rewritable ? "-header" : "-trailer"), sig);
    }
    // The synthesized form: 4 parameter bytes, then records.
    {
      Bytes sig = sign(params, partly, true);
      Bytes synthetic = {uint8_t((c.format == Format::Librsync ? 1 : 0) | (c.weak == WeakHash::RabinKarp ? 2 : 0) |
                                 (c.strong == StrongHash::Md4 ? 0 : c.strong == StrongHash::Blake2b ? 4 : 8)),
                         uint8_t(params.blockLength - 1), uint8_t(params.strongLength - 1), uint8_t(seedByte & 1)};
      size_t header = c.format == Format::Native ? kNativeHeaderLength : 12;
      if (params.blockLength <= 256 && sig.size() - header <= 16000) {
        synthetic.insert(synthetic.end(), sig.begin() + header, sig.end());
        put("fuzz_signature", "synthetic-" + name, synthetic);
      }
    }

    // fuzz_patch: deltas against the fixed basis, each with a different seed byte.
    Bytes sig = sign(params, basis, c.format == Format::Native && c.block == 64);
    for (const NamedTarget& t : deltaTargets) {
      Bytes d = delta(sig, *t.bytes);
      if (patch(basis, d) != *t.bytes) {
        std::fprintf(stderr, "make_corpus: %s %s does not round-trip\n", name.c_str(), t.name);
        return 1;
      }
      d.push_back(uint8_t(seedByte * 37 + 11));
      ++seedByte;
      put("fuzz_patch", name + "-" + t.name, d);
      d.pop_back();
      // fuzz_header: a native delta's header and first commands without the magic.
      if (c.format == Format::Native && (t.bytes == &inserted || t.bytes == &empty)) {
        put("fuzz_header", "delta-" + name + "-" + t.name, Bytes(d.begin() + 4, d.begin() + std::min<size_t>(d.size(), 200)));
      }
    }
    // fuzz_header: signature headers, and a trailer.
    Bytes headerSig = sign(params, basis, true);
    put("fuzz_header", "sig-" + name, Bytes(headerSig.begin(), headerSig.begin() + (c.format == Format::Native ? 64 : 12)));
    if (c.format == Format::Native) {
      Bytes streamed = sign(params, basis, false);
      put("fuzz_header", "trailer-" + name, Bytes(streamed.end() - kNativeSignatureTrailerLength, streamed.end()));
    }
  }

  // fuzz_roundtrip: parameter bytes, then basis and target.
  int n = 0;
  for (uint8_t p0 : {0x00, 0x02, 0x05, 0x07, 0x08, 0x0a, 0x14, 0x21, 0x23, 0x4c, 0x31}) {
    for (const NamedTarget& t : {deltaTargets[1], deltaTargets[2], deltaTargets[3]}) {
      const size_t basisPart = 1200 + 100 * (n % 5);
      Bytes b(basis.begin() + 1000, basis.begin() + 1000 + basisPart);
      Bytes target(t.bytes->begin() + 1000, t.bytes->begin() + std::min<size_t>(t.bytes->size(), 1000 + basisPart + 200));
      Bytes input = {p0, uint8_t(n * 29 % 256), uint8_t(n), uint8_t(n * 53 % 256), uint8_t(basisPart & 0xff),
                     uint8_t(basisPart >> 8)};
      input.insert(input.end(), b.begin(), b.end());
      input.insert(input.end(), target.begin(), target.end());
      put("fuzz_roundtrip", "rt-" + std::to_string(n) + "-" + t.name, input);
      ++n;
    }
  }

  // The fixed data as files, for rdiff and the CLI (scripts/fuzz.sh --regenerate-corpus).
  std::printf("make_corpus: wrote %zu bytes of seeds under %s\n", written, root.c_str());
  root = argv[2];
  put("", "basis.bin", basis);
  put("", "new_file.bin", newFile);
  put("", "inserted.bin", inserted);
  return 0;
}
