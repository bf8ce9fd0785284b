// Shared pieces of the Node-API binding. The binding is thin: TypeScript validates arguments,
// this layer converts them, runs engine work off the main thread and turns failures into errors
// that carry a DELTANODE_ERR_* code.
#pragma once
#include <napi.h>

#include <string>

#include "../errors.h"
#include "../file_io.h"
#include "../file_jobs.h"
#include "../hash_file.h"
#include "../params.h"

namespace deltanode::binding {

Napi::Error make_error(Napi::Env env, const char* code, const std::string& message, int sysErrno = 0);

FileRef to_file_ref(const Napi::Value& value);
RequestedParams to_requested_params(const Napi::Object& object);
Napi::Object params_to_js(Napi::Env env, const SignatureParams& params);
Napi::Value summary_to_js(Napi::Env env, const BasisSummary& summary);

// Runs `run()` on the libuv thread pool and settles a promise with `result()`. Engine errors keep
// their code; anything else is reported as an internal error, never a crash.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  explicit PromiseWorker(Napi::Env env) : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  virtual void run() = 0;
  virtual Napi::Value result(Napi::Env env) = 0;

 private:
  void Execute() final;
  void OnOK() final;
  void OnError(const Napi::Error& error) final;

  Napi::Promise::Deferred deferred_;
  const char* code_ = "DELTANODE_ERR_INTERNAL";
  int errno_ = 0;
};

// A JavaScript function body that queues a Worker built from its arguments and returns its promise.
template <class Worker>
Napi::Value start_worker(const Napi::CallbackInfo& info) {
  auto* worker = new Worker(info);
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

// The ArrayBuffer of u64 slots through which JavaScript cancels a job and reads its progress.
// Holding a reference keeps the memory alive while the worker thread uses it.
class ControlBuffer {
 public:
  explicit ControlBuffer(const Napi::Value& value);
  JobControl control() const { return JobControl(slots_); }

 private:
  Napi::Reference<Napi::ArrayBuffer> reference_;
  uint64_t* slots_ = nullptr;
};

void init_file_jobs(Napi::Env env, Napi::Object exports);
void init_engines(Napi::Env env, Napi::Object exports);
void init_hashes(Napi::Env env, Napi::Object exports);
void init_scan_folder(Napi::Env env, Napi::Object exports);

}  // namespace deltanode::binding
