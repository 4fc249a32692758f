// Types for the few sodium-native 5.x functions this project calls (the
// package ships none, and @types/sodium-native describes an old major).
declare module 'sodium-native' {
  const sodium: {
    crypto_aead_chacha20poly1305_ietf_ABYTES: number
    crypto_aead_chacha20poly1305_ietf_KEYBYTES: number
    crypto_aead_chacha20poly1305_ietf_NPUBBYTES: number
    crypto_scalarmult_BYTES: number
    crypto_scalarmult_SCALARBYTES: number
    /** Writes m.length + ABYTES bytes to c; c and m may be the same memory. Returns the length written. */
    crypto_aead_chacha20poly1305_ietf_encrypt (c: Uint8Array, m: Uint8Array, ad: Uint8Array | null, nsec: null, npub: Uint8Array, k: Uint8Array): number
    /** Verifies then decrypts c into m (c.length - ABYTES bytes). Throws when the tag does not verify. */
    crypto_aead_chacha20poly1305_ietf_decrypt (m: Uint8Array, nsec: null, c: Uint8Array, ad: Uint8Array | null, npub: Uint8Array, k: Uint8Array): number
    crypto_scalarmult_base (q: Uint8Array, n: Uint8Array): void
    crypto_scalarmult (q: Uint8Array, n: Uint8Array, p: Uint8Array): void
    crypto_kx_keypair (pk: Uint8Array, sk: Uint8Array): void
    randombytes_buf (buf: Uint8Array): void
    sodium_memzero (buf: Uint8Array): void
    /** BLAKE2b of input into output (16..64 bytes), keyed when key is given. */
    crypto_generichash (output: Uint8Array, input: Uint8Array, key?: Uint8Array): void
    sodium_malloc (size: number): Buffer
  }
  export default sodium
}
