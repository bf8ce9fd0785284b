#include "common.h"

#include <new>

namespace deltanode::binding {

Napi::Error make_error(Napi::Env env, const char* code, const std::string& message, int sysErrno) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  if (sysErrno) error.Set("errno", Napi::Number::New(env, sysErrno));
  return error;
}

FileRef to_file_ref(const Napi::Value& value) {
  FileRef ref;
  if (value.IsNumber()) {
    ref.fd = value.As<Napi::Number>().Int32Value();
  } else {
    ref.path = value.As<Napi::String>().Utf8Value();
  }
  return ref;
}

RequestedParams to_requested_params(const Napi::Object& object) {
  RequestedParams params;
  params.format = Format(object.Get("format").As<Napi::Number>().Uint32Value());
  params.weak = WeakHash(object.Get("weak").As<Napi::Number>().Uint32Value());
  params.strong = StrongHash(object.Get("strong").As<Napi::Number>().Uint32Value());
  params.blockLength = object.Get("blockLength").As<Napi::Number>().Uint32Value();
  params.strongLength = object.Get("strongLength").As<Napi::Number>().Int32Value();
  params.digest = DigestId(object.Get("digest").As<Napi::Number>().Uint32Value());
  return params;
}

Napi::Object params_to_js(Napi::Env env, const SignatureParams& params) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("format", uint32_t(params.format));
  object.Set("weak", uint32_t(params.weak));
  object.Set("strong", uint32_t(params.strong));
  object.Set("blockLength", params.blockLength);
  object.Set("strongLength", params.strongLength);
  object.Set("digest", uint32_t(params.digest));
  return object;
}

Napi::Value summary_to_js(Napi::Env env, const BasisSummary& summary) {
  if (!summary.known) return env.Null();
  Napi::Object object = Napi::Object::New(env);
  object.Set("length", Napi::Number::New(env, double(summary.length)));
  object.Set("digest", Napi::Buffer<uint8_t>::Copy(env, summary.digest.data(), summary.digest.size()));
  return object;
}

void PromiseWorker::Execute() {
  try {
    run();
  } catch (const EngineError& error) {
    code_ = error_code_name(error.code());
    errno_ = error.sys_errno();
    SetError(error.what());
  } catch (const std::bad_alloc&) {
    code_ = "DELTANODE_ERR_OUT_OF_MEMORY";
    SetError("out of memory");
  } catch (const std::exception& error) {
    SetError(error.what());
  }
}

void PromiseWorker::OnOK() {
  Napi::HandleScope scope(Env());
  deferred_.Resolve(result(Env()));
}

void PromiseWorker::OnError(const Napi::Error& error) {
  Napi::HandleScope scope(Env());
  deferred_.Reject(make_error(Env(), code_, error.Message(), errno_).Value());
}

ControlBuffer::ControlBuffer(const Napi::Value& value) {
  Napi::ArrayBuffer buffer = value.As<Napi::ArrayBuffer>();
  reference_ = Napi::Persistent(buffer);
  slots_ = static_cast<uint64_t*>(buffer.Data());
}

}  // namespace deltanode::binding
