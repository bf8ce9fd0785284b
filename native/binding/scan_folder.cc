// scanFolders: folders of an inventory, several per call, on the libuv pool (see ../scan_folder.h).
// A folder of cached entries takes tens of microseconds to scan; one job per folder spent about as
// long again on the trip through the pool and the promise, and woke a pool thread that took the
// main thread's core. The walk hands over sibling folders together.
#include "../scan_folder.h"

#include <vector>

#include "common.h"

namespace deltanode::binding {
namespace {

class ScanFoldersWorker final : public PromiseWorker {
 public:
  // (paths, hash policy, inline hash limit, cache record or null per path, control)
  explicit ScanFoldersWorker(const Napi::CallbackInfo& info) : PromiseWorker(info.Env()), control_(info[4]) {
    Napi::Array paths = info[0].As<Napi::Array>();
    Napi::Array caches = info[3].As<Napi::Array>();
    const uint32_t count = paths.Length();
    folders_.resize(count);
    cacheRefs_.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
      Folder& folder = folders_[i];
      folder.path = paths.Get(i).As<Napi::String>().Utf8Value();
      folder.options.hash = ScanHash(info[1].As<Napi::Number>().Uint32Value());
      folder.options.inlineHashLimit = uint64_t(info[2].As<Napi::Number>().Int64Value());
      Napi::Value cache = caches.Get(i);
      if (cache.IsBuffer()) {
        auto record = cache.As<Napi::Buffer<uint8_t>>();
        cacheRefs_.push_back(Napi::Persistent(record));  // alive while the worker reads it
        folder.options.cache = record.Data();
        folder.options.cacheLength = record.Length();
      }
    }
  }

 private:
  struct Folder {
    std::string path;
    ScanFolderOptions options;
    std::vector<uint8_t> result;
  };

  void run() override {
    for (Folder& folder : folders_) folder.result = scan_folder(folder.path, folder.options, control_.control());
  }
  Napi::Value result(Napi::Env env) override {
    Napi::Array results = Napi::Array::New(env, folders_.size());
    for (size_t i = 0; i < folders_.size(); ++i) {
      results.Set(uint32_t(i), Napi::Buffer<uint8_t>::Copy(env, folders_[i].result.data(), folders_[i].result.size()));
    }
    return results;
  }

  std::vector<Folder> folders_;
  std::vector<Napi::Reference<Napi::Buffer<uint8_t>>> cacheRefs_;
  ControlBuffer control_;
};

}  // namespace

void init_scan_folder(Napi::Env env, Napi::Object exports) {
  exports.Set("scanFolders", Napi::Function::New(env, start_worker<ScanFoldersWorker>, "scanFolders"));
}

}  // namespace deltanode::binding
