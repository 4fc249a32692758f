import { once } from 'node:events'
import type { Readable, Writable } from 'node:stream'
import type { SecureStream } from '../secure/secure-stream.js'
import { forward } from './relay.js'
import { pipeStreams, type PipeTotals } from './pipe.js'
import { toolError } from '../errors.js'
import type { SecureServer } from '../secure/server.js'

/**
 * `nc -l` with a secure stream: wait for the first connection whose
 * handshake succeeds (failed or refused ones are reported through the
 * acceptor's 'failure' event and do not count), stop accepting, and pipe
 * `input` and `output` through it until both ENDs. Resolves or rejects as
 * pipeStreams does.
 */
export async function serveOnePipe (acceptor: SecureServer, input: Readable, output: Writable, signal?: AbortSignal): Promise<PipeTotals> {
  const [secure] = await once(acceptor, 'stream', signal === undefined ? {} : { signal }) as [SecureStream]
  acceptor.stopAccepting()
  // A second handshake that finished in the same moment is told why it is not served, rather than left hanging.
  const turnAway = (extra: SecureStream): void => { extra.destroy(toolError('ERR_LISTENER_BUSY', 'this listener already serves another connection')) }
  acceptor.on('stream', turnAway)
  try {
    return await pipeStreams(secure, input, output)
  } finally {
    acceptor.removeListener('stream', turnAway)
  }
}

/**
 * `ncat -l --keep-open` with secure streams: every connection that passes
 * the handshake is served at once. What arrives from each goes to
 * `output`; what arrives on `input` goes to every connection open at that
 * moment; when `input` ends, each connection (present and future) gets
 * END. Runs until `signal` aborts; `onClosed` hears how each connection
 * ended (null for a clean end after both ENDs).
 */
export async function serveKeepOpen (
  acceptor: SecureServer,
  input: Readable,
  output: Writable,
  signal: AbortSignal,
  onClosed: (secure: SecureStream, err: Error | null) => void
): Promise<void> {
  const open = new Set<SecureStream>()
  let inputEnded = false
  let waiting = 0

  // Backpressure: stdin waits for the slowest connection (or its closing), as one input feeds them all.
  const onInput = (chunk: Buffer): void => {
    for (const secure of open) {
      if (secure.write(chunk)) continue
      waiting++
      input.pause()
      const resumeOne = (): void => {
        secure.removeListener('drain', resumeOne)
        secure.removeListener('close', resumeOne)
        if (--waiting === 0 && !inputEnded) input.resume()
      }
      secure.on('drain', resumeOne)
      secure.on('close', resumeOne)
    }
  }
  input.on('data', onInput)
  input.once('end', () => {
    inputEnded = true
    for (const secure of open) secure.end()
  })
  input.on('error', noop)

  const onStream = (secure: SecureStream): void => {
    open.add(secure)
    secure.on('error', noop)
    if (inputEnded) secure.end()
    forward(secure, output, { end: false }).then(() => waitClosed(secure), (err: Error) => {
      if (!secure.destroyed) secure.destroy(err)
      return err
    }).then((err) => {
      open.delete(secure)
      onClosed(secure, err ?? null)
    }, noop)
  }
  acceptor.on('stream', onStream)
  try {
    if (!signal.aborted) await once(signal, 'abort')
  } finally {
    acceptor.removeListener('stream', onStream)
    input.removeListener('data', onInput)
    input.pause()
    acceptor.stopAccepting()
    for (const secure of open) secure.destroy()
  }
}

/** After the peer's END: wait for our own END to go out and the stream to close; its error if it failed instead. */
async function waitClosed (secure: SecureStream): Promise<Error | undefined> {
  if (secure.destroyed) return undefined
  return new Promise((resolve) => {
    secure.once('error', (err: Error) => resolve(err))
    secure.once('close', () => resolve(undefined))
  })
}

function noop (): void {}
