// Entry point of the native addon: one init per concern.
#include <napi.h>

#include "common.h"

namespace deltanode::binding {
void init_file_batch(Napi::Env env, Napi::Object exports);  // file_batch.cc
void init_aead(Napi::Env env, Napi::Object exports);        // aead.cc
void init_folder_chain(Napi::Env env, Napi::Object exports);  // folder_chain.cc
}  // namespace deltanode::binding

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  deltanode::binding::init_file_jobs(env, exports);
  deltanode::binding::init_engines(env, exports);
  deltanode::binding::init_hashes(env, exports);
  deltanode::binding::init_scan_folder(env, exports);
  deltanode::binding::init_file_batch(env, exports);
  deltanode::binding::init_aead(env, exports);
  deltanode::binding::init_folder_chain(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(deltanode, Init)
