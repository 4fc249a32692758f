// Types for noise-handshake 4.x, which ships none. Only what this project
// uses is declared; read from the package's noise.js and symmetric-state.js.
declare module 'noise-handshake' {
  export interface KeyPair {
    publicKey: Buffer
    secretKey: Buffer
  }

  export interface NoiseStateOptions {
    psk?: Buffer
  }

  export default class NoiseState {
    constructor (pattern: 'XX', initiator: boolean, staticKeypair: KeyPair | null, opts?: NoiseStateOptions)
    /** Our static key pair. */
    s: KeyPair
    /** Our ephemeral key pair; null until the first `send`. Zeroed on completion. */
    e: KeyPair | null
    /** Remote static key, learned during the handshake. */
    rs: Buffer | null
    /** Remote ephemeral key: a view into the buffer given to recv(), zeroed on completion. */
    re: Buffer | null
    complete: boolean
    /** The SENDING key once complete (its README says the opposite). */
    tx: Buffer | null
    /** The RECEIVING key once complete. */
    rx: Buffer | null
    /** The handshake hash h once complete (64 bytes). */
    hash: Buffer | null
    /** The running handshake hash h (64 bytes) before completion; null after. */
    digest: Buffer | null
    initialise (prologue: Buffer, remoteStatic?: Buffer): void
    /** The Diffie-Hellman function (dh.js): X25519 of a remote public key and our key pair's secret. */
    protected curve: { dh (publicKey: Buffer, keyPair: KeyPair): Buffer }
    /** ck of the Noise spec; null after completion. */
    chainingKey: Buffer | null
    /** The current cipher key k; null before the first MixKey and after completion. */
    key: Buffer | null
    /** Sets k (a 32-byte view) and resets the nonce. */
    protected initialiseKey (key: Buffer): void
    /** MixKey(DH(remoteKey, localKey)), as symmetric-state.js does it. */
    protected mixKey (remoteKey: Buffer, localKey: KeyPair): void
    /** Split(): [k1, k2], 32-byte views. */
    protected split (): Buffer[]
    send (payload?: Buffer): Buffer
    recv (message: Buffer): Buffer
  }
}
