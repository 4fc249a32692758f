import { toolError } from '../errors.js'

/**
 * Copying bytes between streams the way the pipe and the tunnel need it:
 * with backpressure, with the end of one side passed on as the end (a
 * half-close) of the other, and with every way of failing reported. Works
 * on Node streams (sockets, stdio) and streamx streams (SecureStream) alike,
 * through the small surface both share.
 */

/** The readable side both Node and streamx streams offer ('data' carries Buffers). */
export interface RelaySource {
  on (event: string, listener: (...args: any[]) => void): unknown
  removeListener (event: string, listener: (...args: any[]) => void): unknown
  pause (): unknown
  resume (): unknown
}

/** The writable side both Node and streamx streams offer. */
export interface RelaySink {
  write (chunk: Buffer): boolean
  end (chunk?: any): unknown
  on (event: string, listener: (...args: any[]) => void): unknown
  removeListener (event: string, listener: (...args: any[]) => void): unknown
}

export interface ForwardOptions {
  /** End `to` when `from` ends (a half-close passed on). Default true; false for stdout, which must stay open. */
  end?: boolean
  /** Called with every chunk before it is written (for counting). */
  onChunk?: (chunk: Buffer) => void
  /** What to call the two streams in a premature-close error ('stdin', 'the target connection'). */
  names?: { from?: string, to?: string }
}

/** The error of a stream that closed before its end: the bytes that ought to follow never will. */
function prematureClose (what: string): Error {
  return toolError('ERR_PREMATURE_CLOSE', `${what} closed before its end`)
}

/**
 * Copy everything from `from` into `to`. Resolves once `from` has ended
 * and, when `end` is on, `to` has finished (its end written out). Rejects
 * with the first error of either stream, or ERR_PREMATURE_CLOSE when one
 * closes too early. It never destroys either stream: the caller decides
 * how a failure is passed on. Once settled it stops listening, so the
 * caller keeps its own 'error' listeners on both streams.
 */
export function forward (from: RelaySource, to: RelaySink, options: ForwardOptions = {}): Promise<void> {
  const endTarget = options.end !== false
  return new Promise<void>((resolve, reject) => {
    let ended = false
    let settled = false
    const onData = (chunk: Buffer): void => {
      options.onChunk?.(chunk)
      if (!to.write(chunk)) from.pause()
    }
    const onDrain = (): void => { from.resume() }
    const onEnd = (): void => {
      ended = true
      if (!endTarget) return settle()
      to.end()
    }
    const onFinish = (): void => { if (ended) settle() }
    const onError = (err: Error): void => settle(err)
    const onFromClose = (): void => { if (!ended) settle(prematureClose(options.names?.from ?? 'the source')) }
    const onToClose = (): void => { if (endTarget ? !finished : !ended) settle(prematureClose(options.names?.to ?? 'the destination')) }
    let finished = false
    const markFinished = (): void => { finished = true; onFinish() }

    function settle (err?: Error): void {
      if (settled) return
      settled = true
      from.removeListener('data', onData)
      from.removeListener('end', onEnd)
      from.removeListener('error', onError)
      from.removeListener('close', onFromClose)
      to.removeListener('drain', onDrain)
      to.removeListener('finish', markFinished)
      to.removeListener('error', onError)
      to.removeListener('close', onToClose)
      // A source left flowing with no listener would read on (and keep the process alive) for nothing.
      if (err !== undefined) from.pause()
      if (err === undefined) resolve()
      else reject(err)
    }

    from.on('data', onData)
    from.on('end', onEnd)
    from.on('error', onError)
    from.on('close', onFromClose)
    to.on('drain', onDrain)
    to.on('finish', markFinished)
    to.on('error', onError)
    to.on('close', onToClose)
    from.resume()
  })
}
