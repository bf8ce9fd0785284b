// signatureFile / deltaFile / patchFile: each a PromiseWorker around the engine's file jobs.
#include "common.h"

namespace deltanode::binding {
namespace {

class SignatureFileWorker final : public PromiseWorker {
 public:
  SignatureFileWorker(const Napi::CallbackInfo& info)
      : PromiseWorker(info.Env()),
        basis_(to_file_ref(info[0])),
        output_(to_file_ref(info[1])),
        requested_(to_requested_params(info[2].As<Napi::Object>())),
        sync_(info[3].ToBoolean()),
        control_(info[4]) {}

 private:
  void run() override { result_ = sign_file(basis_, output_, requested_, sync_, control_.control()); }
  Napi::Value result(Napi::Env env) override {
    Napi::Object object = Napi::Object::New(env);
    object.Set("params", params_to_js(env, result_.params));
    object.Set("basis", summary_to_js(env, result_.basis));
    return object;
  }
  FileRef basis_, output_;
  RequestedParams requested_;
  bool sync_;
  ControlBuffer control_;
  SignatureJobResult result_;
};

class DeltaFileWorker final : public PromiseWorker {
 public:
  DeltaFileWorker(const Napi::CallbackInfo& info)
      : PromiseWorker(info.Env()),
        signature_(to_file_ref(info[0])),
        newFile_(to_file_ref(info[1])),
        output_(to_file_ref(info[2])),
        sync_(info[3].ToBoolean()),
        control_(info[4]) {}

 private:
  void run() override { result_ = delta_file(signature_, newFile_, output_, sync_, control_.control()); }
  Napi::Value result(Napi::Env env) override {
    Napi::Object object = Napi::Object::New(env);
    object.Set("format", uint32_t(result_.format));
    object.Set("newLength", Napi::Number::New(env, double(result_.newLength)));
    return object;
  }
  FileRef signature_, newFile_, output_;
  bool sync_;
  ControlBuffer control_;
  DeltaJobResult result_;
};

class PatchFileWorker final : public PromiseWorker {
 public:
  PatchFileWorker(const Napi::CallbackInfo& info)
      : PromiseWorker(info.Env()),
        basis_(to_file_ref(info[0])),
        delta_(to_file_ref(info[1])),
        output_(to_file_ref(info[2])),
        sync_(info[3].ToBoolean()),
        control_(info[4]) {}

 private:
  void run() override { result_ = patch_file(basis_, delta_, output_, sync_, control_.control()); }
  Napi::Value result(Napi::Env env) override {
    Napi::Object object = Napi::Object::New(env);
    object.Set("format", uint32_t(result_.format));
    object.Set("outputLength", Napi::Number::New(env, double(result_.outputLength)));
    return object;
  }
  FileRef basis_, delta_, output_;
  bool sync_;
  ControlBuffer control_;
  PatchJobResult result_;
};

Napi::Object identity_to_js(Napi::Env env, const FileIdentity& identity) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("size", Napi::Number::New(env, double(identity.size)));
  object.Set("mtimeNs", Napi::BigInt::New(env, identity.mtimeNs));
  object.Set("ctimeNs", Napi::BigInt::New(env, identity.ctimeNs));
  object.Set("inode", Napi::BigInt::New(env, identity.inode));
  object.Set("device", Napi::BigInt::New(env, identity.device));
  return object;
}

class HashFileWorker final : public PromiseWorker {
 public:
  HashFileWorker(const Napi::CallbackInfo& info)
      : PromiseWorker(info.Env()),
        file_(to_file_ref(info[0])),
        digest_(DigestId(info[1].As<Napi::Number>().Uint32Value())),
        control_(info[2]) {}

 private:
  void run() override { result_ = hash_file(file_, digest_, control_.control()); }
  Napi::Value result(Napi::Env env) override {
    Napi::Object object = Napi::Object::New(env);
    object.Set("digest", Napi::Buffer<uint8_t>::Copy(env, result_.digest.data(), result_.digest.size()));
    object.Set("length", Napi::Number::New(env, double(result_.length)));
    object.Set("before", identity_to_js(env, result_.before));
    object.Set("after", identity_to_js(env, result_.after));
    return object;
  }
  FileRef file_;
  DigestId digest_;
  ControlBuffer control_;
  HashFileResult result_;
};

}  // namespace

void init_file_jobs(Napi::Env env, Napi::Object exports) {
  exports.Set("signatureFile", Napi::Function::New(env, start_worker<SignatureFileWorker>, "signatureFile"));
  exports.Set("deltaFile", Napi::Function::New(env, start_worker<DeltaFileWorker>, "deltaFile"));
  exports.Set("patchFile", Napi::Function::New(env, start_worker<PatchFileWorker>, "patchFile"));
  exports.Set("hashFile", Napi::Function::New(env, start_worker<HashFileWorker>, "hashFile"));
}

}  // namespace deltanode::binding
