// The parts of @hyperswarm/secret-stream (CommonJS, ships no types) the bench uses.
declare module '@hyperswarm/secret-stream' {
  import { EventEmitter } from 'node:events'
  interface SecretStreamKeyPair { publicKey: Buffer, secretKey: Buffer }
  class NoiseSecretStream extends EventEmitter {
    constructor (isInitiator: boolean, rawStream: unknown, opts?: { keyPair?: SecretStreamKeyPair })
    static keyPair (seed?: Buffer): SecretStreamKeyPair
    /** Resolves true after the handshake, false if the stream failed first. */
    readonly opened: Promise<boolean>
    write (data: Buffer): boolean
    end (): this
    destroy (err?: Error): void
    resume (): this
  }
  export = NoiseSecretStream
}
