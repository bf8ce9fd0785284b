// scanFolder: one folder of an inventory per call, on the libuv pool (see ../scan_folder.h).
#include "../scan_folder.h"

#include "common.h"

namespace deltanode::binding {
namespace {

class ScanFolderWorker final : public PromiseWorker {
 public:
  // (path, hash policy, inline hash limit, cache record or null, control)
  explicit ScanFolderWorker(const Napi::CallbackInfo& info)
      : PromiseWorker(info.Env()), path_(info[0].As<Napi::String>().Utf8Value()), control_(info[4]) {
    options_.hash = ScanHash(info[1].As<Napi::Number>().Uint32Value());
    options_.inlineHashLimit = uint64_t(info[2].As<Napi::Number>().Int64Value());
    if (info[3].IsBuffer()) {
      auto cache = info[3].As<Napi::Buffer<uint8_t>>();
      cache_ = Napi::Persistent(cache);  // alive while the worker reads it
      options_.cache = cache.Data();
      options_.cacheLength = cache.Length();
    }
  }

 private:
  void run() override { result_ = scan_folder(path_, options_, control_.control()); }
  Napi::Value result(Napi::Env env) override { return Napi::Buffer<uint8_t>::Copy(env, result_.data(), result_.size()); }

  std::string path_;
  ScanFolderOptions options_;
  Napi::Reference<Napi::Buffer<uint8_t>> cache_;
  ControlBuffer control_;
  std::vector<uint8_t> result_;
};

}  // namespace

void init_scan_folder(Napi::Env env, Napi::Object exports) {
  exports.Set("scanFolder", Napi::Function::New(env, start_worker<ScanFolderWorker>, "scanFolder"));
}

}  // namespace deltanode::binding
