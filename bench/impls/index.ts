/** The implementations the bench knows, in table order. Adding one is one line here. */
import type { Impl } from './impl.js'
import { tcp } from './tcp.js'
import { tlsAesImpl, tlsImpl } from './tls.js'
import { secretStream } from './secret-stream.js'
import { naive } from './naive.js'
import { ours } from './ours.js'

export const IMPLS: readonly Impl[] = [
  tcp,
  tlsImpl,
  tlsAesImpl,
  secretStream,
  naive,
  ours
]

/** The implementation called `name`, or undefined when it is not (yet) available. */
export function findImpl (name: string): Impl | undefined {
  return IMPLS.find((impl) => impl.name === name)
}
