// One-shot hashes of in-memory data, for small payloads and for tests against reference tools.
#include "../hash_blake3.h"
#include "../rolling.h"
#include "../strong_sum.h"
#include "common.h"

namespace deltanode::binding {
namespace {

Napi::Value hash(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string algorithm = info[0].As<Napi::String>().Utf8Value();
  auto data = info[1].As<Napi::Buffer<uint8_t>>();
  uint8_t out[kMaxStrongLength];
  size_t length = 32;
  if (algorithm == "blake3") {
    blake3(data.Data(), data.Length(), out);
  } else if (algorithm == "xxh3-128") {
    strong_sum(StrongHash::Xxh3, data.Data(), data.Length(), out);
    length = 16;
  } else if (algorithm == "blake2b-256") {
    strong_sum(StrongHash::Blake2b, data.Data(), data.Length(), out);
  } else if (algorithm == "md4") {
    strong_sum(StrongHash::Md4, data.Data(), data.Length(), out);
    length = 16;
  } else if (algorithm == "rollsum" || algorithm == "rabinkarp") {
    uint32_t weak = algorithm == "rollsum" ? RollSum::of(data.Data(), data.Length()) : RabinKarp::of(data.Data(), data.Length());
    return Napi::Number::New(env, weak);
  } else {
    throw make_error(env, "DELTANODE_ERR_INVALID_ARGUMENT", "unknown hash " + algorithm);
  }
  return Napi::Buffer<uint8_t>::Copy(env, out, length);
}

}  // namespace

void init_hashes(Napi::Env env, Napi::Object exports) {
  exports.Set("hash", Napi::Function::New(env, hash, "hash"));
}

}  // namespace deltanode::binding
