// Incremental engines behind the stream API: one handle type, three engines. Each step runs on
// the thread pool with the input buffer pinned; JavaScript never runs two steps of one handle at once.
// A signature or delta engine may instead read its input from an open file itself.
#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>

#include "../delta.h"
#include "../file_io.h"
#include "../file_jobs.h"
#include "../helper_thread.h"
#include "../offload_sink.h"
#include "../patch.h"
#include "../signature.h"
#include "../signature_index.h"
#include "common.h"

namespace deltanode::binding {
namespace {

struct StepResult {
  size_t consumed = 0;
  bool done = false;
  bool more = false;  // output is pending that needs no more input
  uint64_t written = 0;  // bytes an engine writing to a file has produced so far
};

// A digest the caller passed (a Buffer of kDigestLength bytes, checked in TypeScript), if any.
std::optional<Digest> known_digest(const Napi::Value& value) {
  if (!value.IsBuffer()) return std::nullopt;
  auto buffer = value.As<Napi::Buffer<uint8_t>>();
  Digest digest{};
  std::memcpy(digest.data(), buffer.Data(), std::min(buffer.Length(), digest.size()));
  return digest;
}

class StepEngine {
 public:
  virtual ~StepEngine() = default;
  virtual StepResult step(const uint8_t* data, size_t length, bool final, size_t budget) = 0;
  VectorSink sink;
};

class SignatureStep final : public StepEngine {
 public:
  explicit SignatureStep(const SignatureParams& params) : writer_(params, sink, false) {}
  StepResult step(const uint8_t* data, size_t length, bool final, size_t) override {
    writer_.update(data, length);
    if (final) writer_.finish();
    return {length, final, false};
  }
 private:
  SignatureWriter writer_;
};

class DeltaStep final : public StepEngine {
 public:
  explicit DeltaStep(SignatureIndex index) : index_(std::move(index)), generator_(index_, sink) {}
  StepResult step(const uint8_t* data, size_t length, bool final, size_t) override {
    if (length) generator_.update(data, length);
    if (final) generator_.finish();
    return {length, final, false};
  }

 private:
  SignatureIndex index_;
  DeltaGenerator generator_;
};

// File-reading engines: each step reads up to kStepInput bytes with pread, in pieces signed or
// searched on two threads while the next piece is read (as the whole-file jobs do), so JavaScript
// sees a few steps per hundred megabytes and none of the input. The helper thread lives for one
// step: an engine left unfinished holds no thread.
constexpr size_t kStepInput = 32 << 20;

class FileSignatureStep final : public StepEngine {
 public:
  FileSignatureStep(const SignatureParams& params, std::unique_ptr<OpenFile> file, const std::optional<Digest>& knownDigest)
      : file_(std::move(file)), writer_(params, sink, false), signer_(*file_) {
    if (knownDigest) writer_.use_known_digest(*knownDigest);
  }
  StepResult step(const uint8_t*, size_t, bool, size_t) override {
    HelperThread helper;
    writer_.set_helper(&helper);
    bool more = signer_.sign(writer_, kStepInput);
    writer_.set_helper(nullptr);
    if (more) return {0, false, true};
    writer_.finish();
    return {0, true, false};
  }

 private:
  std::unique_ptr<OpenFile> file_;
  SignatureWriter writer_;
  FileSigner signer_;
};

class FileDeltaStep final : public StepEngine {
 public:
  FileDeltaStep(SignatureIndex index, std::unique_ptr<OpenFile> file, const std::optional<Digest>& knownDigest)
      : file_(std::move(file)), index_(std::move(index)), generator_(index_, sink) {
    if (knownDigest) generator_.use_known_digest(*knownDigest);
  }
  StepResult step(const uint8_t*, size_t, bool, size_t) override {
    HelperThread helper;
    generator_.set_helper(&helper);
    size_t covered = 0;
    bool ended = false;
    // Called on either thread, one call at a time; a zero that is not the end pauses the feed,
    // and the next step carries on where it stopped.
    generator_.feed(
        [&](uint8_t* into, size_t max) -> size_t {
          if (covered >= kStepInput) return 0;
          size_t n = file_->read_next(into, max);
          ended = n == 0;
          covered += n;
          return n;
        },
        kFilePiece, [](size_t) {});
    generator_.set_helper(nullptr);
    if (!ended) return {0, false, true};
    generator_.finish();
    return {0, true, false};
  }

 private:
  std::unique_ptr<OpenFile> file_;
  SignatureIndex index_;
  DeltaGenerator generator_;
};

class PatchStep final : public StepEngine {
 public:
  explicit PatchStep(std::unique_ptr<BasisReader> basis, std::unique_ptr<OpenFile> file)
      : file_(std::move(file)), basis_(std::move(basis)), applier_(*basis_) {}
  StepResult step(const uint8_t* data, size_t length, bool final, size_t budget) override {
    StepResult result;
    result.consumed = applier_.step(data, length, final, sink, budget);
    result.more = applier_.has_pending_output();
    result.done = applier_.done();
    return result;
  }

 private:
  std::unique_ptr<OpenFile> file_;
  std::unique_ptr<BasisReader> basis_;
  PatchApplier applier_;
};

// A patch that writes its output into an empty file itself (hashed and written on a helper thread,
// one per step, while the step reads the basis; runs of zeros left as holes), so the new file
// never crosses into JavaScript.
// The last step drains the writes, syncs when asked, and fails if the basis changed meanwhile.
class FilePatchStep final : public StepEngine {
 public:
  FilePatchStep(std::unique_ptr<OpenFile> basisFile, std::unique_ptr<OpenFile> output, bool sync)
      : basisFile_(std::move(basisFile)),
        basis_(*basisFile_),
        applier_(basis_),
        output_(std::move(output)),
        fileSink_(*output_, /*sparse=*/true),
        sink_(fileSink_, /*hash=*/true),
        sync_(sync),
        basisBefore_(basisFile_->identity()) {
    applier_.hash_through(&sink_);
  }
  StepResult step(const uint8_t* data, size_t length, bool final, size_t budget) override {
    HelperThread helper;
    sink_.use_helper(&helper);
    StepResult result;
    try {
      result.consumed = applier_.step(data, length, final, sink_, budget);
      result.more = applier_.has_pending_output();
      result.done = applier_.done();
      if (result.done) finish_patch_output(sink_, *output_, fileSink_, sync_, *basisFile_, basisBefore_);
      sink_.use_helper(nullptr);
    } catch (...) {
      try {
        sink_.use_helper(nullptr);
      } catch (...) {  // the first error is the one reported
      }
      throw;
    }
    result.written = applier_.output_length();
    return result;
  }

 private:
  std::unique_ptr<OpenFile> basisFile_;
  FileBasis basis_;
  PatchApplier applier_;
  std::unique_ptr<OpenFile> output_;
  FileSink fileSink_;
  OffloadSink sink_;
  bool sync_;
  FileIdentity basisBefore_;
};

class EngineHandle final : public Napi::ObjectWrap<EngineHandle> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "EngineHandle", {InstanceMethod<&EngineHandle::step>("step")});
  }
  explicit EngineHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineHandle>(info) {}

  std::unique_ptr<StepEngine> engine;
  Napi::ObjectReference keepAlive;  // a basis buffer the engine reads from
  bool busy = false;
  bool failed = false;

 private:
  Napi::Value step(const Napi::CallbackInfo& info);
};

class StepWorker final : public PromiseWorker {
 public:
  StepWorker(Napi::Env env, EngineHandle* handle, Napi::Object self, Napi::Value input, bool final, size_t budget)
      : PromiseWorker(env), handle_(handle), final_(final), budget_(budget) {
    self_ = Napi::Persistent(self);
    if (input.IsBuffer()) {
      auto buffer = input.As<Napi::Buffer<uint8_t>>();
      input_ = Napi::Persistent(buffer.As<Napi::Object>());
      data_ = buffer.Data();
      length_ = buffer.Length();
    }
  }

 private:
  void run() override {
    try {
      result_ = handle_->engine->step(data_, length_, final_, budget_);
    } catch (...) {
      handle_->failed = true;  // an engine that threw is in an unknown state: refuse further steps
      throw;
    }
  }
  Napi::Value result(Napi::Env env) override {
    handle_->busy = false;
    Napi::Object object = Napi::Object::New(env);
    auto* bytes = new std::vector<uint8_t>(std::move(handle_->engine->sink.bytes));
    handle_->engine->sink.bytes.clear();
    if (bytes->empty()) {
      delete bytes;
      object.Set("output", Napi::Buffer<uint8_t>::New(env, 0));
    } else {
      object.Set("output", Napi::Buffer<uint8_t>::New(
                               env, bytes->data(), bytes->size(),
                               [](Napi::Env, uint8_t*, std::vector<uint8_t>* owned) { delete owned; }, bytes));
    }
    object.Set("consumed", Napi::Number::New(env, double(result_.consumed)));
    object.Set("done", result_.done);
    object.Set("more", result_.more);
    object.Set("written", Napi::Number::New(env, double(result_.written)));
    return object;
  }
  void Destroy() override {
    handle_->busy = false;
    PromiseWorker::Destroy();
  }

  EngineHandle* handle_;
  Napi::ObjectReference self_;
  Napi::ObjectReference input_;
  const uint8_t* data_ = nullptr;
  size_t length_ = 0;
  bool final_;
  size_t budget_;
  StepResult result_;
};

Napi::Value EngineHandle::step(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (busy || failed || !engine)
    throw make_error(env, "DELTANODE_ERR_INVALID_ARGUMENT", failed ? "engine failed earlier" : "engine step already running");
  busy = true;
  auto* worker = new StepWorker(env, this, info.This().As<Napi::Object>(), info[0], info[1].ToBoolean(),
                                size_t(info[2].As<Napi::Number>().Int64Value()));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

struct Constructors {
  Napi::FunctionReference handle;
};

Napi::Object new_handle(Napi::Env env, std::unique_ptr<StepEngine> engine) {
  auto* constructors = env.GetInstanceData<Constructors>();
  Napi::Object object = constructors->handle.New({});
  EngineHandle::Unwrap(object)->engine = std::move(engine);
  return object;
}

// Engine errors thrown while creating (a bad signature, say) become JS exceptions with a code.
template <class Body>
Napi::Value guarded(Napi::Env env, Body body) {
  try {
    return body();
  } catch (const EngineError& error) {
    throw make_error(env, error_code_name(error.code()), error.what(), error.sys_errno());
  }
}

Napi::Value create_signature_engine(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    RequestedParams requested = to_requested_params(info[0].As<Napi::Object>());
    int64_t sizeHint = info[1].IsNumber() ? info[1].As<Napi::Number>().Int64Value() : kUnknownSize;
    std::unique_ptr<OpenFile> input;
    if (info.Length() > 2 && info[2].IsNumber()) {
      input = std::make_unique<OpenFile>(to_file_ref(info[2]), OpenFile::Mode::Read);
      if (input->seekable()) sizeHint = int64_t(input->size());
    }
    SignatureParams params = resolve_params(requested, sizeHint);
    std::unique_ptr<StepEngine> engine;
    if (input) engine = std::make_unique<FileSignatureStep>(params, std::move(input), known_digest(info[3]));
    else engine = std::make_unique<SignatureStep>(params);
    Napi::Object handle = new_handle(env, std::move(engine));
    handle.Set("params", params_to_js(env, params));
    return handle;
  });
}

// Parsing and indexing a large signature is real work, so it too runs on the thread pool.
class DeltaEngineWorker final : public PromiseWorker {
 public:
  DeltaEngineWorker(Napi::Env env, Napi::Buffer<uint8_t> signature, std::unique_ptr<OpenFile> input,
                    std::optional<Digest> knownDigest)
      : PromiseWorker(env), input_(std::move(input)), knownDigest_(knownDigest) {
    signature_ = Napi::Persistent(signature.As<Napi::Object>());
    data_ = signature.Data();
    length_ = signature.Length();
  }

 private:
  void run() override { index_ = std::make_unique<SignatureIndex>(SignatureIndex::parse(data_, length_)); }
  Napi::Value result(Napi::Env env) override {
    SignatureParams params = index_->params();
    BasisSummary summary = index_->summary();
    std::unique_ptr<StepEngine> engine;
    if (input_) engine = std::make_unique<FileDeltaStep>(std::move(*index_), std::move(input_), knownDigest_);
    else engine = std::make_unique<DeltaStep>(std::move(*index_));
    Napi::Object handle = new_handle(env, std::move(engine));
    handle.Set("params", params_to_js(env, params));
    handle.Set("basis", summary_to_js(env, summary));
    return handle;
  }
  Napi::ObjectReference signature_;
  const uint8_t* data_;
  size_t length_;
  std::unique_ptr<OpenFile> input_;
  std::optional<Digest> knownDigest_;
  std::unique_ptr<SignatureIndex> index_;
};

Napi::Value create_delta_engine(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::unique_ptr<OpenFile> input;
  if (info.Length() > 1 && info[1].IsNumber()) {
    guarded(env, [&]() -> Napi::Value {
      input = std::make_unique<OpenFile>(to_file_ref(info[1]), OpenFile::Mode::Read);
      return env.Undefined();
    });
  }
  auto* worker = new DeltaEngineWorker(env, info[0].As<Napi::Buffer<uint8_t>>(), std::move(input), known_digest(info[2]));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

// The basis is an open descriptor (read with pread on the thread pool) or an in-memory buffer;
// with an output descriptor too, the engine writes the new file there instead of returning it.
Napi::Value create_patch_engine(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (info[0].IsBuffer()) {
      auto buffer = info[0].As<Napi::Buffer<uint8_t>>();
      auto basis = std::make_unique<MemoryBasis>(buffer.Data(), buffer.Length());
      Napi::Object handle = new_handle(env, std::make_unique<PatchStep>(std::move(basis), nullptr));
      EngineHandle::Unwrap(handle)->keepAlive = Napi::Persistent(buffer.As<Napi::Object>());
      return handle;
    }
    auto file = std::make_unique<OpenFile>(to_file_ref(info[0]), OpenFile::Mode::Read);
    if (!file->seekable()) throw EngineError(ErrorCode::InvalidArgument, "the basis must be a regular file");
    if (info.Length() > 1 && info[1].IsNumber()) {
      auto output = std::make_unique<OpenFile>(to_file_ref(info[1]), OpenFile::Mode::CreateExclusive);
      return new_handle(env, std::make_unique<FilePatchStep>(std::move(file), std::move(output), info[2].ToBoolean()));
    }
    auto basis = std::make_unique<FileBasis>(*file);
    return new_handle(env, std::make_unique<PatchStep>(std::move(basis), std::move(file)));
  });
}

}  // namespace

void init_engines(Napi::Env env, Napi::Object exports) {
  auto* constructors = new Constructors();
  constructors->handle = Napi::Persistent(EngineHandle::define(env));
  env.SetInstanceData(constructors);
  exports.Set("createSignatureEngine", Napi::Function::New(env, create_signature_engine, "createSignatureEngine"));
  exports.Set("createDeltaEngine", Napi::Function::New(env, create_delta_engine, "createDeltaEngine"));
  exports.Set("createPatchEngine", Napi::Function::New(env, create_patch_engine, "createPatchEngine"));
}

}  // namespace deltanode::binding
