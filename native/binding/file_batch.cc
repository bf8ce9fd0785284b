// writeFileBatch / readFileBatch: many small files per call, of one or more folders for writes, of
// one folder for reads (see ../file_batch.h).
// Results come back packed (one record per file, decoded by src/engine/file-batch.ts) with a
// message only for the files that failed.
#include "../file_batch.h"

#include <cstring>
#include <vector>

#include "../byte_order.h"
#include "common.h"

namespace deltanode::binding {
namespace {

// Per-file record of a write batch, 24 bytes: u8 status (BatchStatus), u8 replaced, 2 bytes 0,
// i32 errno, u64 inode, i64 mtime ns.
constexpr size_t kWriteRecordLength = 24;
// Per-file record of a read batch, 40 bytes: u8 status, 3 bytes 0, i32 errno, u64 offset in the
// data, u64 size, i64 mtime ns, u64 inode.
constexpr size_t kReadRecordLength = 40;

template <class Outcome>
Napi::Value messages_to_js(Napi::Env env, const std::vector<Outcome>& outcomes) {
  bool any = false;
  for (const Outcome& outcome : outcomes) any = any || outcome.status != BatchStatus::Ok;
  if (!any) return env.Null();
  Napi::Array messages = Napi::Array::New(env, outcomes.size());
  for (size_t i = 0; i < outcomes.size(); ++i) {
    if (outcomes[i].status != BatchStatus::Ok) messages.Set(uint32_t(i), Napi::String::New(env, outcomes[i].message));
  }
  return messages;
}

class WriteFileBatchWorker final : public PromiseWorker {
 public:
  // (groups: [{ folder, files as packed by src/engine/file-batch.ts, trashFolder or null }], barrier,
  // control). Fields come as parallel arrays: an object per file cost a dozen N-API calls each,
  // more than the rest of a small file's trip through the main thread.
  explicit WriteFileBatchWorker(const Napi::CallbackInfo& info) : PromiseWorker(info.Env()), control_(info[2]) {
    Napi::Array groups = info[0].As<Napi::Array>();
    barrier_ = SyncBarrier(info[1].As<Napi::Number>().Uint32Value());
    groups_ = Napi::Persistent(groups);  // holds every content buffer while the worker reads them
    batches_.resize(groups.Length());
    for (uint32_t g = 0; g < groups.Length(); ++g) {
      Napi::Object group = groups.Get(g).As<Napi::Object>();
      FolderBatch& batch = batches_[g];
      batch.folder = group.Get("folder").As<Napi::String>().Utf8Value();
      Napi::Value trashFolder = group.Get("trashFolder");
      if (trashFolder.IsString()) batch.trashFolder = trashFolder.As<Napi::String>().Utf8Value();
      read_files(group.Get("files").As<Napi::Object>(), batch.files);
    }
  }

 private:
  static void read_files(Napi::Object packed, std::vector<BatchWriteFile>& files) {
    Napi::Array names = packed.Get("names").As<Napi::Array>();
    Napi::Array contents = packed.Get("contents").As<Napi::Array>();
    auto modes = packed.Get("modes").As<Napi::Uint32Array>();
    auto mtimes = packed.Get("mtimesNs").As<Napi::BigInt64Array>();
    auto digests = packed.Get("digests").As<Napi::Buffer<uint8_t>>();
    Napi::Value trashNames = packed.Get("trashNames");
    const uint32_t count = names.Length();
    files.resize(count);
    for (uint32_t i = 0; i < count; ++i) {
      BatchWriteFile& file = files[i];
      file.name = names.Get(i).As<Napi::String>().Utf8Value();
      auto content = contents.Get(i).As<Napi::Buffer<uint8_t>>();
      file.content = content.Data();
      file.length = content.Length();
      file.mode = modes[i];
      file.mtimeNs = mtimes[i];
      std::memcpy(file.digest, digests.Data() + size_t(i) * sizeof file.digest, sizeof file.digest);
    }
    if (trashNames.IsArray()) {
      Napi::Array list = trashNames.As<Napi::Array>();
      for (uint32_t i = 0; i < count; ++i) {
        Napi::Value name = list.Get(i);
        if (name.IsString()) files[i].trashName = name.As<Napi::String>().Utf8Value();
      }
    }
  }

  void run() override { outcomes_ = write_folder_batches(batches_, barrier_, control_.control()); }
  // One records buffer and one messages array for all files, group after group.
  Napi::Value result(Napi::Env env) override {
    std::vector<BatchWriteOutcome> all;
    for (auto& group : outcomes_) all.insert(all.end(), group.begin(), group.end());
    std::vector<uint8_t> records(all.size() * kWriteRecordLength, 0);
    for (size_t i = 0; i < all.size(); ++i) {
      const BatchWriteOutcome& outcome = all[i];
      uint8_t* at = records.data() + i * kWriteRecordLength;
      at[0] = uint8_t(outcome.status);
      at[1] = outcome.replaced ? 1 : 0;
      store_u32_le(at + 4, uint32_t(outcome.sysErrno));
      store_u64_le(at + 8, outcome.inode);
      store_u64_le(at + 16, uint64_t(outcome.mtimeNs));
    }
    Napi::Object object = Napi::Object::New(env);
    object.Set("records", Napi::Buffer<uint8_t>::Copy(env, records.data(), records.size()));
    object.Set("messages", messages_to_js(env, all));
    return object;
  }

  std::vector<FolderBatch> batches_;
  Napi::Reference<Napi::Array> groups_;
  SyncBarrier barrier_ = SyncBarrier::Auto;
  ControlBuffer control_;
  std::vector<std::vector<BatchWriteOutcome>> outcomes_;
};

class ReadFileBatchWorker final : public PromiseWorker {
 public:
  // (folder, names, max file bytes, control)
  explicit ReadFileBatchWorker(const Napi::CallbackInfo& info)
      : PromiseWorker(info.Env()),
        folder_(info[0].As<Napi::String>().Utf8Value()),
        maxFileBytes_(uint64_t(info[2].As<Napi::Number>().Int64Value())),
        control_(info[3]) {
    Napi::Array list = info[1].As<Napi::Array>();
    const uint32_t count = list.Length();
    names_.reserve(count);
    for (uint32_t i = 0; i < count; ++i) names_.push_back(list.Get(i).As<Napi::String>().Utf8Value());
  }

 private:
  void run() override { outcomes_ = read_file_batch(folder_, names_, maxFileBytes_, bytes_, control_.control()); }
  Napi::Value result(Napi::Env env) override {
    std::vector<uint8_t> records(outcomes_.size() * kReadRecordLength, 0);
    for (size_t i = 0; i < outcomes_.size(); ++i) {
      const BatchReadOutcome& outcome = outcomes_[i];
      uint8_t* at = records.data() + i * kReadRecordLength;
      at[0] = uint8_t(outcome.status);
      store_u32_le(at + 4, uint32_t(outcome.sysErrno));
      store_u64_le(at + 8, outcome.offset);
      store_u64_le(at + 16, outcome.size);
      store_u64_le(at + 24, uint64_t(outcome.mtimeNs));
      store_u64_le(at + 32, outcome.inode);
    }
    Napi::Object object = Napi::Object::New(env);
    object.Set("records", Napi::Buffer<uint8_t>::Copy(env, records.data(), records.size()));
    object.Set("messages", messages_to_js(env, outcomes_));
    // The contents, handed over without a copy (copied only where external buffers are not allowed).
    const size_t length = bytes_.length();
    if (length == 0) {
      object.Set("data", Napi::Buffer<uint8_t>::New(env, 0));
    } else {
      uint8_t* data = bytes_.release();
      object.Set("data", Napi::Buffer<uint8_t>::NewOrCopy(env, data, length, [](Napi::Env, uint8_t* p) { std::free(p); }));
    }
    return object;
  }

  std::string folder_;
  std::vector<std::string> names_;
  uint64_t maxFileBytes_;
  ControlBuffer control_;
  BatchBytes bytes_;
  std::vector<BatchReadOutcome> outcomes_;
};

}  // namespace

void init_file_batch(Napi::Env env, Napi::Object exports) {
  exports.Set("writeFileBatch", Napi::Function::New(env, start_worker<WriteFileBatchWorker>, "writeFileBatch"));
  exports.Set("readFileBatch", Napi::Function::New(env, start_worker<ReadFileBatchWorker>, "readFileBatch"));
}

}  // namespace deltanode::binding
