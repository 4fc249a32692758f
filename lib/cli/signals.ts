/** A wait for the first of some process signals, that can be called off. */
export interface SignalWait {
  /** Resolves with the signal's name. */
  promise: Promise<NodeJS.Signals>
  /** Remove the handlers (the promise then never resolves). */
  cancel (): void
}

/**
 * Wait for one of `signals`. While waiting, the handlers replace Node's
 * default action (exit), so the command can shut down in order.
 */
export function waitForSignal (signals: NodeJS.Signals[]): SignalWait {
  const handlers: Array<[NodeJS.Signals, () => void]> = []
  const cancel = (): void => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler)
    handlers.length = 0
  }
  const promise = new Promise<NodeJS.Signals>((resolve) => {
    for (const signal of signals) {
      const handler = (): void => {
        cancel()
        resolve(signal)
      }
      handlers.push([signal, handler])
      process.on(signal, handler)
    }
  })
  return { promise, cancel }
}
