// shroud_aead: per-key AES-256-GCM and HMAC-SHA256 state for the enclave's hot paths
// (docs/adr/001-crypto-scheme.md "Native key handles"; issue #4).
//
// node:crypto builds a Cipher object and a fresh AES key schedule + GHASH table for every
// createCipheriv call (~5 us of the ~6 us of one 100-byte seal, bench/RESULTS.md "enclave").
// Here a key handle keeps one EVP_CIPHER_CTX keyed once, and the two HMAC pad states (RFC 2104
// section 2: H(K ^ ipad), H(K ^ opad) after one block each), so an operation only sets the IV
// and runs the data. The algorithms and bytes are exactly those of DESIGN.md section 3; the
// TypeScript side (src/crypto/aead-native.ts) tests them against node:crypto byte for byte.
//
// Build: scripts/build-native.mjs (cc -O2 -shared -fPIC against Node's own headers). The
// OpenSSL symbols are resolved at load time from the node binary, which exports them, so the
// addon uses the very OpenSSL that node:crypto uses. Only node_api.h (ABI-stable N-API) is used,
// and NAPI_MODULE_INIT makes the module loadable in every worker thread (one instance per
// thread; handles are never shared between threads: a JS value belongs to one isolate).
//
// Secrets: key bytes, pad states and cipher contexts are wiped (OPENSSL_cleanse, and
// EVP_CIPHER_CTX_free, which clears the provider context) when a handle is garbage-collected;
// unauthenticated plaintext is wiped before a failed open returns. Error messages never carry
// key material or data.
#define NAPI_VERSION 8
#define OPENSSL_SUPPRESS_DEPRECATED // SHA256_Init & co: the one API that exposes a resumable state
#include <stdio.h>
#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

// The SHA-256 (hex) of this file, given by scripts/build-native.mjs (-D): the loader refuses a
// binary built from any other source than the one the enclave measurement covers.
#ifndef SHROUD_AEAD_SOURCE_SHA256
#define SHROUD_AEAD_SOURCE_SHA256 ""
#endif

#define KEY_BYTES 32
#define IV_BYTES 12
#define TAG_BYTES 16
#define BLOCK_BYTES 64
#define DIGEST_BYTES 32
// What a handle holds outside the V8 heap beyond the struct itself: OpenSSL's GCM provider
// context (key schedule, GHASH table, buffers), measured under 1 KiB; reported to V8 so the
// garbage collector sees the pressure of many short-lived handles (one per transaction key).
#define CONTEXT_BYTES_ESTIMATE 1024

typedef struct {
  unsigned char key[KEY_BYTES];
  EVP_CIPHER_CTX* gcm; // keyed on first use: keys used only for HMAC never pay for it
  SHA256_CTX inner;    // after the block K ^ ipad
  SHA256_CTX outer;    // after the block K ^ opad
} key_handle;

// Marks the externals this addon creates, so an external from any other addon is refused
// instead of being read as a key_handle (N-API type tags, NAPI_VERSION 8).
static const napi_type_tag KEY_HANDLE_TAG = {0x5368726f75644165ULL, 0x61644b6579763031ULL};

typedef struct {
  EVP_CIPHER* aes256gcm; // fetched once per thread (an implicit fetch per init costs a lookup)
} instance;

// ---- argument helpers: each returns 0 after throwing a JS error naming the argument ----

typedef struct {
  const unsigned char* data;
  size_t length;
} bytes;

static int get_bytes(napi_env env, napi_value value, const char* name, bytes* out) {
  bool is_typed = false;
  napi_typedarray_type type;
  size_t length = 0;
  void* data = NULL;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, value, &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    char message[96];
    snprintf(message, sizeof message, "%s must be a Uint8Array", name);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
    return 0;
  }
  out->data = data != NULL ? data : (const unsigned char*)"";
  out->length = length;
  return 1;
}

static int get_exact(napi_env env, napi_value value, const char* name, size_t length, bytes* out) {
  if (!get_bytes(env, value, name, out)) return 0;
  if (out->length != length) {
    char message[96];
    snprintf(message, sizeof message, "%s must be %zu bytes", name, length);
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", message);
    return 0;
  }
  return 1;
}

/** Throws for a failed N-API call (NULL returned without a pending exception reads as undefined in JS). */
static int napi_failed(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, "ERR_NAPI", "a Node-API call failed");
  return 0;
}

/**
 * A private copy of an input the pass reads more than once or must authenticate before use:
 * in shared memory another thread could change it between the HMAC and the encryption (one IV
 * for two plaintexts) or between GHASH and decryption. On the stack up to 1 KiB (state values),
 * else on the heap; wiped by scratch_free.
 */
typedef struct {
  unsigned char stack[1024];
  unsigned char* data;
  size_t length;
} scratch;

static int private_copy(napi_env env, scratch* copy, bytes* view) {
  copy->length = view->length;
  copy->data = view->length <= sizeof copy->stack ? copy->stack : malloc(view->length);
  if (copy->data == NULL) {
    napi_throw_error(env, "ERR_MEMORY", "could not allocate a private copy");
    return 0;
  }
  if (view->length > 0) memcpy(copy->data, view->data, view->length);
  view->data = copy->data;
  return 1;
}

static void scratch_free(scratch* copy) {
  if (copy->data == NULL) return;
  OPENSSL_cleanse(copy->data, copy->length);
  if (copy->data != copy->stack) free(copy->data);
  copy->data = NULL;
}

/**
 * Where a result goes. The caller may pass `out`, a Uint8Array of exactly `length` bytes over a
 * plain (not shared) ArrayBuffer and overlapping no input: the call then answers true/false.
 * Without it (undefined) the result is a new Uint8Array made here. Both cost about the same
 * (measured within ~100 ns per call, bench note in bench/RESULTS.md "enclave"). Sets *made to
 * the new array, or NULL when `out` was given; 0 after a throw.
 */
static int get_out(napi_env env, napi_value value, size_t length, unsigned char** out,
                   napi_value* made) {
  napi_valuetype type;
  *made = NULL;
  if (napi_typeof(env, value, &type) != napi_ok) return napi_failed(env);
  if (type == napi_undefined) {
    napi_value buffer;
    void* raw = NULL;
    if (napi_create_arraybuffer(env, length, &raw, &buffer) != napi_ok ||
        napi_create_typedarray(env, napi_uint8_array, length, buffer, 0, made) != napi_ok) {
      napi_throw_error(env, "ERR_MEMORY", "could not allocate the result");
      return 0;
    }
    *out = raw;
    return 1;
  }
  bytes view;
  if (!get_exact(env, value, "out", length, &view)) return 0;
  // Not shared memory: another thread could read a decryption's plaintext before the tag check
  // refuses it (NIST SP 800-38D §5.2.2 releases no plaintext before authentication).
  napi_value buffer;
  bool plain = false;
  if (napi_get_typedarray_info(env, value, NULL, NULL, NULL, &buffer, NULL) != napi_ok ||
      napi_is_arraybuffer(env, buffer, &plain) != napi_ok || !plain) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "out must be over an ArrayBuffer, not shared memory");
    return 0;
  }
  *out = (unsigned char*)view.data;
  return 1;
}

/**
 * 0 (after throwing) when the caller's `out` overlaps one of `inputs`: the passes read inputs
 * after writing output (the seal writes version and IV before GCM reads the plaintext), and a
 * refused open wipes `out`.
 */
static int distinct(napi_env env, napi_value made, const unsigned char* out, size_t length,
                    const bytes* inputs, int count) {
  if (made != NULL || length == 0) return 1; // made here: nothing can overlap it
  for (int i = 0; i < count; i++) {
    if (inputs[i].length > 0 && out < inputs[i].data + inputs[i].length &&
        inputs[i].data < out + length) {
      napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "out must not overlap an input");
      return 0;
    }
  }
  return 1;
}

/** The answer: with `out` given, true/false; else the new array, or null when !ok. */
static napi_value answer(napi_env env, napi_value made, int ok) {
  napi_value value;
  if (made == NULL)
    napi_get_boolean(env, ok != 0, &value);
  else if (ok)
    value = made;
  else
    napi_get_null(env, &value);
  return value;
}

static napi_value undefined_value(napi_env env) {
  napi_value value;
  napi_get_undefined(env, &value);
  return value;
}

/**
 * The handle in args[0]; when args[1] is a Uint8Array (the caller's key bytes, for handles
 * cached by array identity), *stale is set if they no longer equal the handle's key (the caller
 * then builds a new handle). NULL after a throw.
 */
static key_handle* get_handle(napi_env env, napi_value* args, int* stale) {
  napi_valuetype type;
  void* data = NULL;
  *stale = 0;
  bool tagged = false;
  if (napi_typeof(env, args[0], &type) != napi_ok || type != napi_external ||
      napi_check_object_type_tag(env, args[0], &KEY_HANDLE_TAG, &tagged) != napi_ok || !tagged ||
      napi_get_value_external(env, args[0], &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "handle must come from createKey");
    return NULL;
  }
  key_handle* handle = data;
  if (napi_typeof(env, args[1], &type) != napi_ok) {
    napi_failed(env);
    return NULL;
  }
  if (type != napi_undefined && type != napi_null) {
    bytes check;
    if (!get_bytes(env, args[1], "key", &check)) return NULL;
    *stale = check.length != KEY_BYTES || CRYPTO_memcmp(check.data, handle->key, KEY_BYTES) != 0;
  }
  return handle;
}

/** Reads up to `capacity` arguments (missing ones are undefined); at least `required` must be given. */
static int get_args(napi_env env, napi_callback_info info, size_t capacity, size_t required,
                    napi_value* args) {
  size_t count = capacity;
  if (napi_get_cb_info(env, info, &count, args, NULL, NULL) != napi_ok) return napi_failed(env);
  if (count < required) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "too few arguments");
    return 0;
  }
  return 1;
}

// ---- key handles ----

static void free_handle(napi_env env, void* data, void* hint) {
  (void)hint;
  key_handle* handle = data;
  if (handle->gcm != NULL) EVP_CIPHER_CTX_free(handle->gcm); // the provider clears its context
  OPENSSL_cleanse(handle, sizeof *handle);
  free(handle);
  int64_t ignored;
  napi_adjust_external_memory(env, -(int64_t)(sizeof(key_handle) + CONTEXT_BYTES_ESTIMATE), &ignored);
}

/** createKey(key: Uint8Array(32)): External. The key bytes are copied. */
static napi_value create_key(napi_env env, napi_callback_info info) {
  napi_value args[1];
  bytes key;
  if (!get_args(env, info, 1, 1, args) || !get_exact(env, args[0], "key", KEY_BYTES, &key)) return NULL;
  key_handle* handle = calloc(1, sizeof *handle);
  if (handle == NULL) {
    napi_throw_error(env, "ERR_MEMORY", "could not allocate a key handle");
    return NULL;
  }
  memcpy(handle->key, key.data, KEY_BYTES);
  // RFC 2104 section 2 steps 1-2 and 5: the key (32 bytes < B) padded with zeros, XOR the pads.
  unsigned char pad[BLOCK_BYTES];
  for (int i = 0; i < BLOCK_BYTES; i++) pad[i] = (i < KEY_BYTES ? key.data[i] : 0) ^ 0x36;
  SHA256_Init(&handle->inner);
  SHA256_Update(&handle->inner, pad, BLOCK_BYTES);
  for (int i = 0; i < BLOCK_BYTES; i++) pad[i] = (i < KEY_BYTES ? key.data[i] : 0) ^ 0x5c;
  SHA256_Init(&handle->outer);
  SHA256_Update(&handle->outer, pad, BLOCK_BYTES);
  OPENSSL_cleanse(pad, sizeof pad);
  napi_value external;
  if (napi_create_external(env, handle, free_handle, NULL, &external) != napi_ok) {
    OPENSSL_cleanse(handle, sizeof *handle);
    free(handle);
    napi_throw_error(env, "ERR_MEMORY", "could not create a key handle");
    return NULL;
  }
  // From here the finalizer owns the handle (and subtracts what is added here).
  int64_t ignored;
  napi_adjust_external_memory(env, sizeof(key_handle) + CONTEXT_BYTES_ESTIMATE, &ignored);
  if (napi_type_tag_object(env, external, &KEY_HANDLE_TAG) != napi_ok) {
    napi_throw_error(env, "ERR_MEMORY", "could not tag a key handle");
    return NULL;
  }
  return external;
}

/** HMAC-SHA256(key, part1 || part2 || part3 || part4) from the saved pad states. */
static void hmac_parts(const key_handle* handle, const bytes* parts, int count, unsigned char* out) {
  SHA256_CTX ctx = handle->inner;
  unsigned char inner_digest[DIGEST_BYTES];
  for (int i = 0; i < count; i++) SHA256_Update(&ctx, parts[i].data, parts[i].length);
  SHA256_Final(inner_digest, &ctx);
  ctx = handle->outer;
  SHA256_Update(&ctx, inner_digest, DIGEST_BYTES);
  SHA256_Final(out, &ctx);
  OPENSSL_cleanse(inner_digest, sizeof inner_digest);
  OPENSSL_cleanse(&ctx, sizeof ctx);
}

/** The handle's GCM context, keyed on first use. 0 after a throw. */
static int ensure_gcm(napi_env env, key_handle* handle) {
  if (handle->gcm != NULL) return 1;
  instance* self = NULL;
  napi_get_instance_data(env, (void**)&self);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  // Key only (IV NULL): the key schedule and GHASH key H are computed here, once per handle.
  if (ctx == NULL || self == NULL ||
      EVP_CipherInit_ex2(ctx, self->aes256gcm, handle->key, NULL, 1, NULL) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    napi_throw_error(env, "ERR_CRYPTO", "OpenSSL could not set up AES-256-GCM");
    return 0;
  }
  handle->gcm = ctx;
  return 1;
}

/** EVP_CipherUpdate over any length: its lengths are ints, so at most 1 GiB per call. */
static int update_all(EVP_CIPHER_CTX* ctx, unsigned char* out, const unsigned char* in,
                      size_t length) {
  const size_t chunk = (size_t)1 << 30;
  for (size_t done = 0; done < length;) {
    size_t step = length - done < chunk ? length - done : chunk;
    int written = 0;
    if (EVP_CipherUpdate(ctx, out == NULL ? NULL : out + done, &written, in + done, (int)step) != 1)
      return 0;
    done += step;
  }
  return 1;
}

/** Throws for an OpenSSL failure, leaving OpenSSL's per-thread error queue empty for node:crypto. */
static int openssl_failed(napi_env env) {
  ERR_clear_error();
  napi_throw_error(env, "ERR_CRYPTO", "OpenSSL AES-256-GCM failed");
  return -1;
}

/**
 * One GCM pass (NIST SP 800-38D): IV (the key stays), AAD in parts, then data into `out`.
 * Encrypt writes the tag to `tag`; decrypt checks `tag` and returns 0 when it does not verify,
 * with `out` wiped. Returns -1 after an OpenSSL failure (a JS error has been thrown).
 */
static int gcm_run(napi_env env, key_handle* handle, int encrypt, const unsigned char* iv,
                   const bytes* aad, int aad_count, const bytes* in, unsigned char* out,
                   unsigned char* tag) {
  if (!ensure_gcm(env, handle)) return -1;
  EVP_CIPHER_CTX* ctx = handle->gcm;
  int ok = EVP_CipherInit_ex2(ctx, NULL, NULL, iv, encrypt, NULL) == 1;
  for (int i = 0; ok && i < aad_count; i++) ok = update_all(ctx, NULL, aad[i].data, aad[i].length);
  if (ok) ok = update_all(ctx, out, in->data, in->length);
  if (ok && !encrypt) ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_BYTES, tag) == 1;
  if (!ok) {
    if (in->length > 0) OPENSSL_cleanse(out, in->length);
    return openssl_failed(env);
  }
  // GCM is a stream mode: Final writes nothing; for decryption it is where the tag is checked.
  unsigned char none[16];
  int written = 0;
  if (EVP_CipherFinal_ex(ctx, none, &written) != 1) {
    if (in->length > 0) OPENSSL_cleanse(out, in->length);
    if (encrypt) return openssl_failed(env);
    ERR_clear_error(); // a refused tag may leave an entry; node:crypto must not see it
    return 0;
  }
  if (encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_BYTES, tag) != 1)
    return openssl_failed(env);
  return 1;
}

/** gcmEncrypt(handle, key?, iv, plaintext, aad, out?): ciphertext || tag; undefined if stale. */
static napi_value gcm_encrypt(napi_env env, napi_callback_info info) {
  napi_value args[6], made;
  int stale;
  bytes iv, plaintext, aad;
  unsigned char* out;
  if (!get_args(env, info, 6, 5, args)) return NULL;
  key_handle* handle = get_handle(env, args, &stale);
  if (handle == NULL) return NULL;
  if (stale) return undefined_value(env);
  if (!get_exact(env, args[2], "iv", IV_BYTES, &iv) ||
      !get_bytes(env, args[3], "plaintext", &plaintext) || !get_bytes(env, args[4], "aad", &aad) ||
      !get_out(env, args[5], plaintext.length + TAG_BYTES, &out, &made))
    return NULL;
  const bytes inputs[] = {iv, plaintext, aad};
  if (!distinct(env, made, out, plaintext.length + TAG_BYTES, inputs, 3)) return NULL;
  if (gcm_run(env, handle, 1, iv.data, &aad, 1, &plaintext, out, out + plaintext.length) < 0)
    return NULL;
  return answer(env, made, 1);
}

/**
 * gcmDecrypt(handle, key?, iv, sealed, aad, out?): the plaintext; null/false when `sealed` is
 * shorter than the tag or the tag does not verify (out wiped); undefined if stale.
 */
static napi_value gcm_decrypt(napi_env env, napi_callback_info info) {
  napi_value args[6], made;
  int stale;
  bytes iv, sealed, aad;
  unsigned char* out;
  if (!get_args(env, info, 6, 5, args)) return NULL;
  key_handle* handle = get_handle(env, args, &stale);
  if (handle == NULL) return NULL;
  if (stale) return undefined_value(env);
  if (!get_exact(env, args[2], "iv", IV_BYTES, &iv) || !get_bytes(env, args[3], "sealed", &sealed) ||
      !get_bytes(env, args[4], "aad", &aad))
    return NULL;
  bytes ciphertext = {sealed.data, sealed.length >= TAG_BYTES ? sealed.length - TAG_BYTES : 0};
  if (!get_out(env, args[5], ciphertext.length, &out, &made)) return NULL;
  const bytes inputs[] = {iv, sealed, aad};
  if (!distinct(env, made, out, ciphertext.length, inputs, 3)) return NULL;
  if (sealed.length < TAG_BYTES) return answer(env, made, 0);
  scratch copy = {.data = NULL};
  if (!private_copy(env, &copy, &sealed)) return NULL;
  ciphertext.data = sealed.data;
  unsigned char tag[TAG_BYTES];
  memcpy(tag, sealed.data + ciphertext.length, TAG_BYTES);
  int verified = gcm_run(env, handle, 0, iv.data, &aad, 1, &ciphertext, out, tag);
  scratch_free(&copy);
  if (verified < 0) return NULL;
  return answer(env, made, verified);
}

/** hmac(handle, key?, message, out?): HMAC-SHA256(key, message); undefined if stale. */
static napi_value hmac(napi_env env, napi_callback_info info) {
  napi_value args[4], made;
  int stale;
  bytes message;
  unsigned char* out;
  if (!get_args(env, info, 4, 3, args)) return NULL;
  key_handle* handle = get_handle(env, args, &stale);
  if (handle == NULL) return NULL;
  if (stale) return undefined_value(env);
  if (!get_bytes(env, args[2], "message", &message) ||
      !get_out(env, args[3], DIGEST_BYTES, &out, &made) ||
      !distinct(env, made, out, DIGEST_BYTES, &message, 1))
    return NULL;
  hmac_parts(handle, &message, 1, out);
  return answer(env, made, 1);
}

/** A version byte: an integer 0..255 (a double, so 2^32 or 1.5 is refused, not truncated). */
static int get_version(napi_env env, napi_value value, unsigned char* version) {
  double number = -1;
  if (napi_get_value_double(env, value, &number) != napi_ok || !(number >= 0 && number <= 255) ||
      number != (double)(int)number) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "version must be an integer 0..255");
    return 0;
  }
  *version = (unsigned char)number;
  return 1;
}

/**
 * sivSeal(handle, key?, version, ivLabel, ivContext, salt, plaintext, aadA, aadB, out?); undefined
 * if stale. The state value layout of src/crypto/siv.ts:
 *   iv   = HMAC-SHA256(key, ivLabel || ivContext || salt || plaintext)[0..12]
 *   blob = version || iv || AES-256-GCM(key, iv, plaintext, aad = version || aadA || aadB) || tag
 */
static napi_value siv_seal(napi_env env, napi_callback_info info) {
  napi_value args[10], made;
  int stale;
  unsigned char version;
  bytes iv_parts[4], aad[3];
  unsigned char* out;
  if (!get_args(env, info, 10, 9, args)) return NULL;
  key_handle* handle = get_handle(env, args, &stale);
  if (handle == NULL) return NULL;
  if (stale) return undefined_value(env);
  if (!get_version(env, args[2], &version) || !get_bytes(env, args[3], "ivLabel", &iv_parts[0]) ||
      !get_bytes(env, args[4], "ivContext", &iv_parts[1]) ||
      !get_bytes(env, args[5], "salt", &iv_parts[2]) ||
      !get_bytes(env, args[6], "plaintext", &iv_parts[3]) ||
      !get_bytes(env, args[7], "aadA", &aad[1]) || !get_bytes(env, args[8], "aadB", &aad[2]) ||
      !get_out(env, args[9], 1 + IV_BYTES + iv_parts[3].length + TAG_BYTES, &out, &made) ||
      !distinct(env, made, out, 1 + IV_BYTES + iv_parts[3].length + TAG_BYTES, iv_parts, 4) ||
      !distinct(env, made, out, 1 + IV_BYTES + iv_parts[3].length + TAG_BYTES, aad + 1, 2))
    return NULL;
  // The IV must be the HMAC of exactly the bytes encrypted: both passes read one private copy.
  scratch copy = {.data = NULL};
  if (!private_copy(env, &copy, &iv_parts[3])) return NULL;
  const bytes plaintext = iv_parts[3];
  aad[0].data = &version;
  aad[0].length = 1;
  unsigned char digest[DIGEST_BYTES];
  hmac_parts(handle, iv_parts, 4, digest);
  out[0] = version;
  memcpy(out + 1, digest, IV_BYTES);
  OPENSSL_cleanse(digest, sizeof digest);
  unsigned char* sealed = out + 1 + IV_BYTES;
  int ok = gcm_run(env, handle, 1, out + 1, aad, 3, &plaintext, sealed, sealed + plaintext.length);
  scratch_free(&copy);
  if (ok < 0) return NULL;
  return answer(env, made, 1);
}

/**
 * sivOpen(handle, key?, version, aadA, aadB, blob, out?): the plaintext of a sivSeal blob
 * (blob length − 29 bytes); null/false for a blob shorter than 29 bytes, another version or a
 * tag that does not verify (out wiped); undefined if stale.
 */
static napi_value siv_open(napi_env env, napi_callback_info info) {
  napi_value args[7], made;
  int stale;
  unsigned char version;
  bytes aad[3], blob;
  unsigned char* out;
  if (!get_args(env, info, 7, 6, args)) return NULL;
  key_handle* handle = get_handle(env, args, &stale);
  if (handle == NULL) return NULL;
  if (stale) return undefined_value(env);
  if (!get_version(env, args[2], &version) || !get_bytes(env, args[3], "aadA", &aad[1]) ||
      !get_bytes(env, args[4], "aadB", &aad[2]) || !get_bytes(env, args[5], "blob", &blob))
    return NULL;
  const size_t overhead = 1 + IV_BYTES + TAG_BYTES;
  bytes ciphertext = {blob.data + 1 + IV_BYTES, blob.length >= overhead ? blob.length - overhead : 0};
  if (!get_out(env, args[6], ciphertext.length, &out, &made)) return NULL;
  const bytes inputs[] = {aad[1], aad[2], blob};
  if (!distinct(env, made, out, ciphertext.length, inputs, 3)) return NULL;
  if (blob.length < overhead) return answer(env, made, 0);
  scratch copy = {.data = NULL};
  if (!private_copy(env, &copy, &blob)) return NULL;
  ciphertext.data = blob.data + 1 + IV_BYTES;
  if (blob.data[0] != version) {
    scratch_free(&copy);
    return answer(env, made, 0);
  }
  aad[0].data = &version;
  aad[0].length = 1;
  unsigned char iv[IV_BYTES], tag[TAG_BYTES];
  memcpy(iv, blob.data + 1, IV_BYTES);
  memcpy(tag, ciphertext.data + ciphertext.length, TAG_BYTES);
  int verified = gcm_run(env, handle, 0, iv, aad, 3, &ciphertext, out, tag);
  scratch_free(&copy);
  if (verified < 0) return NULL;
  return answer(env, made, verified);
}

// ---- module ----

static void free_instance(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  instance* self = data;
  EVP_CIPHER_free(self->aes256gcm);
  free(self);
}

NAPI_MODULE_INIT() {
  instance* self = calloc(1, sizeof *self);
  if (self == NULL) return NULL;
  self->aes256gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
  if (self->aes256gcm == NULL || napi_set_instance_data(env, self, free_instance, NULL) != napi_ok) {
    EVP_CIPHER_free(self->aes256gcm);
    free(self);
    napi_throw_error(env, "ERR_CRYPTO", "OpenSSL has no AES-256-GCM");
    return NULL;
  }
  napi_property_descriptor functions[] = {
      {"createKey", NULL, create_key, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gcmEncrypt", NULL, gcm_encrypt, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gcmDecrypt", NULL, gcm_decrypt, NULL, NULL, NULL, napi_enumerable, NULL},
      {"hmac", NULL, hmac, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sivSeal", NULL, siv_seal, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sivOpen", NULL, siv_open, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_value version, source;
  if (napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions) !=
          napi_ok ||
      napi_create_uint32(env, 1, &version) != napi_ok ||
      napi_set_named_property(env, exports, "abiVersion", version) != napi_ok ||
      napi_create_string_utf8(env, SHROUD_AEAD_SOURCE_SHA256, NAPI_AUTO_LENGTH, &source) != napi_ok ||
      napi_set_named_property(env, exports, "sourceSha256", source) != napi_ok)
    return NULL;
  return exports;
}
