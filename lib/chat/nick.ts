import { GUEST_NICK_PREFIX, NICK_MAX_CHARS, NICK_PATTERN } from '../constants.js'
import { chatError, type ChatError } from '../errors.js'

const GUEST_PATTERN = new RegExp(`^${GUEST_NICK_PREFIX}\\d+$`, 'i')

/**
 * The form a nick is compared and stored under: nicks are unique without
 * regard to ASCII case, so `Alice` and `alice` are one nick (as in IRC),
 * while each member's chosen spelling is what others see.
 */
export function nickKey (nick: string): string {
  return nick.toLowerCase()
}

/** True when two nicks are the same nick (ASCII case ignored). */
export function sameNick (a: string, b: string): boolean {
  return nickKey(a) === nickKey(b)
}

/** True for the server's fallback names (GuestN, any case): members cannot choose them. */
export function isGuestNick (nick: string): boolean {
  return GUEST_PATTERN.test(nick)
}

/** The fallback nick number `n`. */
export function guestNick (n: number): string {
  return `${GUEST_NICK_PREFIX}${n}`
}

/**
 * Why `nick` cannot be chosen, or undefined when its form is fine: 1 to 16
 * of `A-Z a-z 0-9 _ . -`, and not a GuestN name. (Whether it is free is the
 * room's and the registry's question.)
 */
export function nickProblem (nick: string): ChatError | undefined {
  if (!NICK_PATTERN.test(nick)) {
    const shown = JSON.stringify(nick.length > 40 ? nick.slice(0, 40) + '...' : nick)
    return chatError('ERR_NICK_INVALID', `${shown} is not a valid nick: use 1 to ${NICK_MAX_CHARS} of the characters A-Z a-z 0-9 _ . -`)
  }
  if (isGuestNick(nick)) {
    return chatError('ERR_NICK_INVALID', `${nick} is not available: ${GUEST_NICK_PREFIX}N names are given by the server`)
  }
  return undefined
}
