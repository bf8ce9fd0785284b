// openFolderChain: the folders of a source path walked in one job on the libuv pool (see
// ../folder_chain.h). From JavaScript the same walk took an open and a close through the pool per
// component, each with a FileHandle, for every batch of files.
#include "../folder_chain.h"

#include <vector>

#include "common.h"

namespace deltanode::binding {
namespace {

class FolderChainWorker final : public PromiseWorker {
 public:
  // (root, parts)
  explicit FolderChainWorker(const Napi::CallbackInfo& info) : PromiseWorker(info.Env()), root_(info[0].As<Napi::String>().Utf8Value()) {
    Napi::Array parts = info[1].As<Napi::Array>();
    parts_.reserve(parts.Length());
    for (uint32_t i = 0; i < parts.Length(); ++i) parts_.push_back(parts.Get(i).As<Napi::String>().Utf8Value());
  }

 private:
  void run() override { result_ = open_folder_chain(root_, parts_); }
  Napi::Value result(Napi::Env env) override {
    Napi::Object object = Napi::Object::New(env);
    object.Set("fd", Napi::Number::New(env, result_.fd));
    object.Set("errno", Napi::Number::New(env, result_.sysErrno));
    object.Set("opened", Napi::Number::New(env, double(result_.opened)));
    return object;
  }

  std::string root_;
  std::vector<std::string> parts_;
  FolderChainResult result_;
};

}  // namespace

void init_folder_chain(Napi::Env env, Napi::Object exports) {
  exports.Set("openFolderChain", Napi::Function::New(env, start_worker<FolderChainWorker>, "openFolderChain"));
}

}  // namespace deltanode::binding
