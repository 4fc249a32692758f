import type { FuzzTarget } from '../target.js'
import { chatCommandsTarget } from './chat-commands.js'
import { frameDecoderTarget } from './frame-decoder.js'
import { identityTarget } from './identity.js'
import { lineSplitterTarget } from './line-splitter.js'
import { sanitizeTarget } from './sanitize.js'
import { secureInitiatorTarget, secureResponderTarget } from './secure-stream.js'
import { transportFrameTarget } from './transport-frame.js'

/** Every target, in the order a run takes them. */
export const TARGETS: readonly FuzzTarget[] = [
  frameDecoderTarget,
  transportFrameTarget,
  secureResponderTarget,
  secureInitiatorTarget,
  lineSplitterTarget,
  sanitizeTarget,
  chatCommandsTarget,
  identityTarget
]

/** The target called `name`. */
export function findTarget (name: string): FuzzTarget | undefined {
  return TARGETS.find((t) => t.name === name)
}
