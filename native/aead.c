/*
 * ChaCha20-Poly1305 (RFC 8439, the IETF variant) through the OpenSSL that is
 * linked into Node itself, sealing and opening in the caller's buffers.
 *
 * Why this exists: node:crypto reaches the same OpenSSL code, but every
 * frame then needs a new cipher object (a cipher's nonce cannot be reset
 * from JavaScript) and every update() allocates, zero-fills and copies its
 * output. libsodium (sodium-native) seals in place but its ChaCha20 and
 * Poly1305 are slower than OpenSSL's on current x86 CPUs. Here one
 * EVP_CIPHER_CTX per thread is reused for every frame: key and nonce are set
 * per call, and the output goes where the caller says.
 *
 * Rules kept on purpose:
 * - Nothing is parsed here. The callers pass whole buffers and lengths the
 *   JavaScript side has already validated; every length and offset is
 *   checked again here, in size_t arithmetic that cannot wrap, before any
 *   memory is touched.
 * - open() writes plaintext only into the output buffer it is given and
 *   returns false when the tag does not verify; the caller must then drop
 *   that buffer. On failure the output is zeroed, so unauthenticated
 *   plaintext does not linger.
 * - Key material: after every call the context is re-keyed with zeros, so
 *   no stream's key stays in this module's memory between calls.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define KEY_BYTES 32
#define NONCE_BYTES 12
#define TAG_BYTES 16

static const uint8_t ZERO_KEY[KEY_BYTES] = { 0 };

/* One sealing and one opening context per thread (per Node environment). */
typedef struct {
  EVP_CIPHER_CTX *seal;
  EVP_CIPHER_CTX *open;
} contexts_t;

typedef struct {
  uint8_t *data;
  size_t length;
} bytes_t;

static void free_contexts (napi_env env, void *data, void *hint) {
  (void) env;
  (void) hint;
  contexts_t *c = data;
  EVP_CIPHER_CTX_free(c->seal);
  EVP_CIPHER_CTX_free(c->open);
  free(c);
}

static contexts_t *contexts_of (napi_env env) {
  void *data = NULL;
  if (napi_get_instance_data(env, &data) != napi_ok) return NULL;
  return data;
}

static bool throw_type (napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARGUMENT", message);
  return false;
}

static bool throw_range (napi_env env, const char *message) {
  napi_throw_range_error(env, "ERR_INVALID_ARGUMENT", message);
  return false;
}

/* A Uint8Array (a Buffer is one): its bytes where they lie. */
static bool get_bytes (napi_env env, napi_value value, bytes_t *out) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return throw_type(env, "expected a Uint8Array");
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, NULL, NULL) != napi_ok) return throw_type(env, "expected a Uint8Array");
  if (type != napi_uint8_array) return throw_type(env, "expected a Uint8Array");
  out->data = data;
  out->length = length;
  return true;
}

static bool get_exact (napi_env env, napi_value value, size_t length, const char *message, bytes_t *out) {
  if (!get_bytes(env, value, out)) return false;
  if (out->length != length) return throw_range(env, message);
  return true;
}

/* A whole number in [0, INT_MAX]: EVP counts bytes in int. */
static bool get_length (napi_env env, napi_value value, size_t *out) {
  int64_t n = 0;
  if (napi_get_value_int64(env, value, &n) != napi_ok) return throw_type(env, "expected an integer");
  if (n < 0 || n > INT_MAX) return throw_range(env, "offset or length out of range");
  *out = (size_t) n;
  return true;
}

static bool get_args (napi_env env, napi_callback_info info, size_t expected, napi_value *argv) {
  size_t argc = expected;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return throw_type(env, "bad call");
  if (argc != expected) return throw_type(env, "wrong number of arguments");
  return true;
}

/* Set key and nonce for one frame; the context's cipher was fixed at load. */
static bool start_frame (EVP_CIPHER_CTX *ctx, const uint8_t *key, const uint8_t *nonce) {
  return EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, -1) == 1;
}

static void forget_key (EVP_CIPHER_CTX *ctx) {
  EVP_CipherInit_ex(ctx, NULL, NULL, ZERO_KEY, NULL, -1);
}

static bool update_once (EVP_CIPHER_CTX *ctx, uint8_t *out, const uint8_t *in, size_t length) {
  int written = 0;
  if (length == 0) return true;
  if (EVP_CipherUpdate(ctx, out, &written, in, (int) length) != 1) return false;
  return (size_t) written == length;
}

/*
 * EVP_CipherUpdate for `length` bytes at byte `*at` of the frame (advanced),
 * cut so that every long call starts and ends on a multiple of
 * ALIGN_BYTES of the frame. Why: on CPUs with AVX-512 IFMA, the Poly1305
 * that Node's OpenSSL selects processes a call whose length leaves 64 to
 * 127 bytes over a multiple of 128 about a third more slowly, the whole
 * call, not only the tail (measured on an AMD EPYC with Node 20's OpenSSL
 * 3.0: a 65,519-byte frame, the spec's largest DATA frame, sealed at 3.7
 * GB/s in one call and at 4.8 GB/s as 65,408 + 111). The short calls at
 * either end cost well under a microsecond. EVP is a stream: how the input
 * is cut does not change one output byte or the tag.
 */
#define ALIGN_BYTES 128

static bool update (EVP_CIPHER_CTX *ctx, uint8_t *out, const uint8_t *in, size_t length, size_t *at) {
  size_t head = (ALIGN_BYTES - *at % ALIGN_BYTES) % ALIGN_BYTES;
  if (head > length) head = length;
  size_t middle = (length - head) / ALIGN_BYTES * ALIGN_BYTES;
  size_t tail = length - head - middle;
  bool ok = update_once(ctx, out, in, head) &&
    update_once(ctx, out + head, in + head, middle) &&
    update_once(ctx, out + head + middle, in + head + middle, tail);
  *at += length;
  return ok;
}

static bool overlaps (bytes_t a, bytes_t b);

/*
 * Piece i of `count`, to be decrypted into out at `at`: bytes, fitting in
 * what is left of out, and not overlapping out, except one piece decrypted
 * exactly in place.
 */
static bool get_piece (napi_env env, napi_value array, uint32_t i, uint32_t count, bytes_t out, size_t at, bytes_t *piece) {
  napi_value element;
  if (napi_get_element(env, array, i, &element) != napi_ok) return false;
  if (!get_bytes(env, element, piece)) return false;
  if (piece->length > out.length - at) return throw_range(env, "the pieces are longer than the output");
  if (overlaps(*piece, out) && !(count == 1 && piece->data == out.data)) return throw_range(env, "the output overlaps a piece other than in place");
  return true;
}

/* Whether two byte ranges share any byte. */
static bool overlaps (bytes_t a, bytes_t b) {
  uintptr_t a0 = (uintptr_t) a.data, b0 = (uintptr_t) b.data;
  if (a.length == 0 || b.length == 0) return false;
  return a0 < b0 + b.length && b0 < a0 + a.length;
}

static napi_value boolean (napi_env env, bool value) {
  napi_value result;
  napi_get_boolean(env, value, &result);
  return result;
}

/*
 * seal(key, nonce, buf, start, length): encrypt buf[start, start + length)
 * in place and write the 16-byte tag at buf[start + length]. No additional
 * data (PROTOCOL.md 5: transport frames have none).
 */
static napi_value aead_seal (napi_env env, napi_callback_info info) {
  napi_value argv[5];
  bytes_t key, nonce, buf;
  size_t start, length;
  if (!get_args(env, info, 5, argv)) return NULL;
  if (!get_exact(env, argv[0], KEY_BYTES, "a key is 32 bytes", &key)) return NULL;
  if (!get_exact(env, argv[1], NONCE_BYTES, "a nonce is 12 bytes", &nonce)) return NULL;
  if (!get_bytes(env, argv[2], &buf)) return NULL;
  if (!get_length(env, argv[3], &start) || !get_length(env, argv[4], &length)) return NULL;
  if (start > buf.length || length > buf.length - start || TAG_BYTES > buf.length - start - length) {
    throw_range(env, "the frame and its tag do not fit in the buffer");
    return NULL;
  }
  contexts_t *c = contexts_of(env);
  uint8_t *frame = buf.data + start;
  size_t at = 0;
  bool ok = c != NULL &&
    start_frame(c->seal, key.data, nonce.data) &&
    update(c->seal, frame, frame, length, &at);
  int tail = 0;
  ok = ok && EVP_EncryptFinal_ex(c->seal, frame + length, &tail) == 1 && tail == 0;
  ok = ok && EVP_CIPHER_CTX_ctrl(c->seal, EVP_CTRL_AEAD_GET_TAG, TAG_BYTES, frame + length) == 1;
  if (c != NULL) forget_key(c->seal);
  if (!ok) {
    OPENSSL_cleanse(frame, length + TAG_BYTES);
    napi_throw_error(env, "ERR_SEAL_FAILED", "OpenSSL could not seal the frame");
    return NULL;
  }
  return NULL;
}

/* The arguments both opens start with: key, nonce, the array of pieces (and its length), tag. */
static bool get_open_args (napi_env env, napi_value *argv, bytes_t *key, bytes_t *nonce, uint32_t *count, bytes_t *tag) {
  bool is_array = false;
  if (!get_exact(env, argv[0], KEY_BYTES, "a key is 32 bytes", key)) return false;
  if (!get_exact(env, argv[1], NONCE_BYTES, "a nonce is 12 bytes", nonce)) return false;
  if (napi_is_array(env, argv[2], &is_array) != napi_ok || !is_array) return throw_type(env, "pieces must be an array");
  if (!get_exact(env, argv[3], TAG_BYTES, "a tag is 16 bytes", tag)) return false;
  if (napi_get_array_length(env, argv[2], count) != napi_ok) return throw_type(env, "pieces must be an array");
  return true;
}

/* After the pieces went through: check the tag and forget the key, whatever happened; true only when the tag verified. */
static bool finish_open (contexts_t *c, bool ok, bytes_t tag) {
  int tail = 0;
  uint8_t none[1];
  /* EVP takes the expected tag as non-const; it only reads it. ChaCha20-Poly1305 writes nothing at the end. */
  ok = ok && EVP_CIPHER_CTX_ctrl(c->open, EVP_CTRL_AEAD_SET_TAG, TAG_BYTES, tag.data) == 1;
  bool verified = ok && EVP_DecryptFinal_ex(c->open, none, &tail) == 1 && tail == 0;
  if (c != NULL) forget_key(c->open);
  return verified;
}

/*
 * open(key, nonce, pieces, tag, out): decrypt the ciphertext given as an
 * array of Uint8Arrays (the chunks it arrived in) into out, which must be
 * exactly as long as the pieces together, and verify the 16-byte tag.
 * Returns true when the tag verified; false otherwise (out is then zeroed).
 * out may be one of the pieces only if it is the only piece (in place).
 */
static napi_value aead_open (napi_env env, napi_callback_info info) {
  napi_value argv[5];
  bytes_t key, nonce, tag, out;
  uint32_t count = 0;
  if (!get_args(env, info, 5, argv)) return NULL;
  if (!get_open_args(env, argv, &key, &nonce, &count, &tag)) return NULL;
  if (!get_bytes(env, argv[4], &out)) return NULL;
  if (out.length > INT_MAX) {
    throw_range(env, "the frame is too large");
    return NULL;
  }

  /* First pass: check every piece and the total before any byte is written. */
  size_t total = 0;
  bytes_t piece;
  for (uint32_t i = 0; i < count; i++) {
    if (!get_piece(env, argv[2], i, count, out, total, &piece)) return NULL;
    total += piece.length;
  }
  if (total != out.length) {
    throw_range(env, "the output must be exactly as long as the pieces");
    return NULL;
  }

  /* Second pass: decrypt, checking each piece again (an array element can be a getter that changed it). */
  contexts_t *c = contexts_of(env);
  bool ok = c != NULL && start_frame(c->open, key.data, nonce.data);
  size_t at = 0;
  for (uint32_t i = 0; ok && i < count; i++) {
    ok = get_piece(env, argv[2], i, count, out, at, &piece) && update(c->open, out.data + at, piece.data, piece.length, &at);
  }
  bool verified = finish_open(c, ok && at == out.length, tag);
  if (!verified) OPENSSL_cleanse(out.data, out.length);
  return boolean(env, verified);
}

/* More pieces than any frame the JavaScript side hands over (it gathers a frame after 8). */
#define MAX_IN_PLACE_PIECES 64

/*
 * openInPlace(key, nonce, pieces, tag): decrypt the ciphertext given as an
 * array of Uint8Arrays, each into itself, and verify the 16-byte tag.
 * Returns true when the tag verified; false otherwise, and then every piece
 * is zeroed (it holds unauthenticated plaintext). The caller passes only
 * buffers nobody else reads (the secure stream's own socket chunks): the
 * pieces may not overlap one another or the tag.
 */
static napi_value aead_open_in_place (napi_env env, napi_callback_info info) {
  napi_value argv[4];
  bytes_t key, nonce, tag;
  bytes_t pieces[MAX_IN_PLACE_PIECES];
  uint32_t count = 0;
  if (!get_args(env, info, 4, argv)) return NULL;
  if (!get_open_args(env, argv, &key, &nonce, &count, &tag)) return NULL;
  if (count > MAX_IN_PLACE_PIECES) {
    throw_range(env, "too many pieces");
    return NULL;
  }

  /* Every piece is read once, and checked, before any byte is written; no JavaScript runs after. */
  size_t total = 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    if (napi_get_element(env, argv[2], i, &element) != napi_ok) return NULL;
    if (!get_bytes(env, element, &pieces[i])) return NULL;
    if (pieces[i].length > (size_t) INT_MAX - total) {
      throw_range(env, "the frame is too large");
      return NULL;
    }
    total += pieces[i].length;
    if (overlaps(pieces[i], tag)) {
      throw_range(env, "a piece overlaps the tag");
      return NULL;
    }
    for (uint32_t j = 0; j < i; j++) {
      if (overlaps(pieces[i], pieces[j])) {
        throw_range(env, "two pieces overlap");
        return NULL;
      }
    }
  }

  contexts_t *c = contexts_of(env);
  bool ok = c != NULL && start_frame(c->open, key.data, nonce.data);
  size_t at = 0;
  for (uint32_t i = 0; ok && i < count; i++) {
    ok = update(c->open, pieces[i].data, pieces[i].data, pieces[i].length, &at);
  }
  bool verified = finish_open(c, ok, tag);
  if (!verified) {
    for (uint32_t i = 0; i < count; i++) OPENSSL_cleanse(pieces[i].data, pieces[i].length);
  }
  return boolean(env, verified);
}

static EVP_CIPHER_CTX *new_context (int encrypt) {
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  if (ctx == NULL) return NULL;
  if (EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), NULL, ZERO_KEY, NULL, encrypt) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, NONCE_BYTES, NULL) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

static napi_value init (napi_env env, napi_value exports) {
  contexts_t *c = calloc(1, sizeof(*c));
  if (c == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  c->seal = new_context(1);
  c->open = new_context(0);
  if (c->seal == NULL || c->open == NULL) {
    free_contexts(env, c, NULL);
    napi_throw_error(env, NULL, "OpenSSL has no ChaCha20-Poly1305");
    return NULL;
  }
  if (napi_set_instance_data(env, c, free_contexts, NULL) != napi_ok) {
    free_contexts(env, c, NULL);
    return NULL;
  }
  napi_property_descriptor methods[] = {
    { "seal", NULL, aead_seal, NULL, NULL, NULL, napi_enumerable, NULL },
    { "open", NULL, aead_open, NULL, NULL, NULL, napi_enumerable, NULL },
    { "openInPlace", NULL, aead_open_in_place, NULL, NULL, NULL, napi_enumerable, NULL }
  };
  napi_define_properties(env, exports, 3, methods);
  return exports;
}

NAPI_MODULE_INIT () {
  return init(env, exports);
}
