// AES-256-GCM for the link layer's bulk frames, through the OpenSSL that node itself links (node
// exports the EVP symbols, so nothing else is linked). The key schedule is done once per key: each
// call only sets the nonce on a kept context, which is what makes small frames fast. Synchronous,
// like node:crypto: a frame is at most a few MiB, about a millisecond of work.
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>

#include "common.h"

namespace deltanode::binding {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
// EVP lengths are ints; larger inputs go through in slices of this size.
constexpr size_t kSlice = size_t(1) << 30;

// Lengths are checked here too, though TypeScript checks them first: a wrong one would read or
// write past a buffer's end, which no caller of the raw addon should be able to cause.
void require(Napi::Env env, bool ok, const char* message) {
  if (!ok) throw make_error(env, "DELTANODE_ERR_INVALID_ARGUMENT", message);
}

Napi::Error internal_error(Napi::Env env, const char* what) {
  return make_error(env, "DELTANODE_ERR_INTERNAL", std::string("AES-256-GCM: ") + what + " failed");
}

EVP_CIPHER_CTX* new_context(Napi::Env env, const uint8_t* key, bool seal) {
  EVP_CIPHER_CTX* context = EVP_CIPHER_CTX_new();
  if (!context) throw make_error(env, "DELTANODE_ERR_OUT_OF_MEMORY", "out of memory");
  // 12 bytes is GCM's default nonce length, so the cipher and key can be set in one call.
  int ok = seal ? EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nullptr, key, nullptr)
                : EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nullptr, key, nullptr);
  if (ok != 1 || size_t(EVP_CIPHER_CTX_get_iv_length(context)) != kNonceBytes) {
    EVP_CIPHER_CTX_free(context);
    throw internal_error(env, "key setup");
  }
  return context;
}

// Feeds `length` bytes of `in` (the AAD when `out` is null) through the context.
bool update(EVP_CIPHER_CTX* context, bool seal, uint8_t* out, const uint8_t* in, size_t length) {
  while (length) {
    int slice = int(std::min(length, kSlice));
    int written = 0;
    int ok = seal ? EVP_EncryptUpdate(context, out, &written, in, slice)
                  : EVP_DecryptUpdate(context, out, &written, in, slice);
    if (ok != 1) return false;
    in += slice;
    if (out) out += written;
    length -= size_t(slice);
  }
  return true;
}

class AeadKey final : public Napi::ObjectWrap<AeadKey> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "AeadKey",
                       {InstanceMethod<&AeadKey::seal>("seal"), InstanceMethod<&AeadKey::open>("open"),
                        InstanceMethod<&AeadKey::dispose>("dispose")});
  }

  // The key is read from the caller's buffer and kept only inside the two contexts.
  explicit AeadKey(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AeadKey>(info) {
    auto key = info[0].As<Napi::Uint8Array>();
    require(info.Env(), key.ByteLength() == kKeyBytes, "the key must be 32 bytes");
    seal_ = new_context(info.Env(), key.Data(), true);
    try {
      open_ = new_context(info.Env(), key.Data(), false);
    } catch (...) {
      release();
      throw;
    }
  }
  ~AeadKey() override { release(); }

 private:
  // EVP_CIPHER_CTX_free clears the key schedule it holds before freeing it.
  void release() {
    EVP_CIPHER_CTX_free(seal_);
    EVP_CIPHER_CTX_free(open_);
    seal_ = nullptr;
    open_ = nullptr;
  }

  void check_live(Napi::Env env) const {
    require(env, seal_ != nullptr, "the key was disposed");
  }

  // seal(nonce, aad, plaintext, out?): ciphertext || tag, in a new buffer or in `out` (returns the length).
  Napi::Value seal(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    check_live(env);
    auto nonce = info[0].As<Napi::Uint8Array>();
    auto aad = info[1].As<Napi::Uint8Array>();
    auto plaintext = info[2].As<Napi::Uint8Array>();
    require(env, nonce.ByteLength() == kNonceBytes, "the nonce must be 12 bytes");
    size_t sealedLength = plaintext.ByteLength() + kTagBytes;
    bool into = info.Length() > 3 && !info[3].IsUndefined();
    Napi::Uint8Array out;
    if (into) {
      out = info[3].As<Napi::Uint8Array>();
      require(env, out.ByteLength() >= sealedLength, "out is shorter than plaintext + tag");
    } else {
      out = Napi::Buffer<uint8_t>::New(env, sealedLength);
    }
    uint8_t* target = out.Data();
    int tail = 0;
    if (EVP_EncryptInit_ex(seal_, nullptr, nullptr, nullptr, nonce.Data()) != 1 ||
        !update(seal_, true, nullptr, aad.Data(), aad.ByteLength()) ||
        !update(seal_, true, target, plaintext.Data(), plaintext.ByteLength()) ||
        EVP_EncryptFinal_ex(seal_, target + plaintext.ByteLength(), &tail) != 1 ||
        EVP_CIPHER_CTX_ctrl(seal_, EVP_CTRL_AEAD_GET_TAG, int(kTagBytes), target + plaintext.ByteLength()) != 1)
      throw internal_error(env, "seal");
    if (into) return Napi::Number::New(env, double(sealedLength));
    return out;
  }

  // open(nonce, aad, sealed, inPlace?): the plaintext (or its length, in place), or an integrity error. Plaintext is written before the
  // tag is checked (GCM checks at the end), so on failure the output is zeroed and dropped unseen.
  Napi::Value open(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    check_live(env);
    auto nonce = info[0].As<Napi::Uint8Array>();
    auto aad = info[1].As<Napi::Uint8Array>();
    auto sealed = info[2].As<Napi::Uint8Array>();
    require(env, nonce.ByteLength() == kNonceBytes, "the nonce must be 12 bytes");
    if (sealed.ByteLength() < kTagBytes)
      throw make_error(env, "DELTANODE_ERR_INTEGRITY", "an encrypted frame is shorter than its tag");
    size_t length = sealed.ByteLength() - kTagBytes;
    // The tag is copied because the ctrl call takes a non-const pointer.
    uint8_t tag[kTagBytes];
    std::copy_n(sealed.Data() + length, kTagBytes, tag);
    // In place: the plaintext overwrites the ciphertext (OpenSSL allows out == in), and no
    // buffer is allocated; the caller takes its first `length` bytes.
    bool inPlace = info.Length() > 3 && info[3].ToBoolean().Value();
    Napi::Uint8Array plaintext = inPlace ? sealed : Napi::Buffer<uint8_t>::New(env, length);
    int tail = 0;
    bool decrypted = EVP_DecryptInit_ex(open_, nullptr, nullptr, nullptr, nonce.Data()) == 1 &&
                     EVP_CIPHER_CTX_ctrl(open_, EVP_CTRL_AEAD_SET_TAG, int(kTagBytes), tag) == 1 &&
                     update(open_, false, nullptr, aad.Data(), aad.ByteLength()) &&
                     update(open_, false, plaintext.Data(), sealed.Data(), length);
    if (decrypted && EVP_DecryptFinal_ex(open_, plaintext.Data() + length, &tail) == 1) {
      if (inPlace) return Napi::Number::New(env, double(length));
      return plaintext;
    }
    if (length) OPENSSL_cleanse(plaintext.Data(), length);
    if (!decrypted) throw internal_error(env, "open");
    throw make_error(env, "DELTANODE_ERR_INTEGRITY", "an encrypted frame failed authentication");
  }

  Napi::Value dispose(const Napi::CallbackInfo& info) {
    release();
    return info.Env().Undefined();
  }

  EVP_CIPHER_CTX* seal_ = nullptr;
  EVP_CIPHER_CTX* open_ = nullptr;
};

}  // namespace

void init_aead(Napi::Env env, Napi::Object exports) { exports.Set("AeadKey", AeadKey::define(env)); }

}  // namespace deltanode::binding
