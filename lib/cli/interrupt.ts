import { constants } from 'node:os'
import { toolError } from '../errors.js'
import { waitForSignal } from './signals.js'
import type { CliIO } from './command.js'

/** Anything that can be told to give up with a reason (a SecureStream sends it in ABORT). */
interface Abortable {
  destroyed: boolean
  destroy (err?: Error): void
}

/**
 * Run `body` while listening for SIGINT and SIGTERM. If one arrives first,
 * the stream `current()` returns is aborted with the signal as its reason
 * (so the peer learns the transfer was interrupted, not that it ended)
 * and the command exits 128 + the signal's number, as shells report a
 * command killed by it.
 */
export async function interruptible (io: CliIO, current: () => Abortable | undefined, body: () => Promise<number>): Promise<number> {
  const signals = waitForSignal(['SIGINT', 'SIGTERM'])
  const work = body()
  try {
    const outcome = await Promise.race([work.then((code) => ({ code })), signals.promise.then((signal) => ({ signal }))])
    if ('code' in outcome) return outcome.code
    work.catch(() => {})
    const stream = current()
    if (stream !== undefined && !stream.destroyed) stream.destroy(toolError('ERR_INTERRUPTED', `interrupted by ${outcome.signal}`))
    io.stderr.write(`interrupted by ${outcome.signal}\n`)
    return 128 + constants.signals[outcome.signal]
  } finally {
    signals.cancel()
  }
}
