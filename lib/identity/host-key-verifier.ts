import { identityError } from '../errors.js'
import type { VerifyRemoteKey } from '../secure/options.js'
import { formatHostPort, normalizeHost } from '../net/host-port.js'
import { encodePublicKey, fingerprint, isFingerprint, parsePublicKey, samePublicKey } from '../secure/keypair.js'
import { addKnownHost, checkKnownHost, matchKnownHost, readKnownHosts } from './known-hosts.js'
import type { KnownHost } from './known-hosts.js'
import { shellQuote } from './shell-quote.js'

/**
 * The command that prints a server's fingerprint on the server itself (the
 * key `noise-chat server`, `listen` and `tunnel --listen` use by default).
 * Plain `noise-chat fingerprint` prints the *client* key: every message
 * that sends a user to compare fingerprints names this one instead.
 */
export const SERVER_FINGERPRINT_COMMAND = 'noise-chat fingerprint --server'

/** Where the operator reads the server's fingerprint, as one sentence for messages: the exact command. */
export const SERVER_FINGERPRINT_HINT = `On the server, '${SERVER_FINGERPRINT_COMMAND}' prints it ('noise-chat fingerprint FILE' for a server started with --key FILE).`

/** What an `ask` policy's function is asked about: an unknown server and its key. */
export interface HostKeyQuestion {
  host: string
  port: number
  /** `host:port` as known_hosts writes it. */
  address: string
  /** The full SHA256 fingerprint of the presented key. */
  fingerprint: string
  publicKey: Buffer
  /** Where the key is recorded if the answer is yes. */
  knownHostsFile: string
}

/**
 * Decides about an unknown server key (a prompt, a GUI, a config rule).
 * Only `true` trusts it; it is then recorded. It runs after the connection
 * that showed the key was closed, so it may take as long as a person needs;
 * a thrown Error ends the attempt with that error (askOnTerminal throws
 * ERR_HOST_KEY_MISMATCH for a fingerprint typed wrong).
 */
export type AskHostKey = (question: HostKeyQuestion) => boolean | Promise<boolean>

/**
 * How the initiator treats the server's key:
 * - `strict`: only keys already in known_hosts; an unknown host is refused (ERR_HOST_KEY_UNKNOWN).
 * - `accept-new`: an unknown host's key is recorded on first use and trusted from then on.
 * - `ask`: an unknown host's key is shown to `ask`; yes records it, anything else is ERR_HOST_KEY_DECLINED.
 *   Asking takes a second connection (see openWithHostKeyPolicy).
 * - `pinned`: only the given key (base64) or fingerprint (`SHA256:...`); known_hosts is not consulted.
 *
 * Under every policy but `pinned`, a host whose recorded key differs from
 * the presented one is refused (ERR_HOST_KEY_CHANGED). Two things override
 * it: removing the old entry (`noise-chat forget`), after which the new key
 * is a first-time key, or pinning the new key explicitly.
 */
export type HostKeyPolicy =
  | { mode: 'strict' }
  | { mode: 'accept-new' }
  | { mode: 'ask', ask: AskHostKey }
  | { mode: 'pinned', pin: string | Uint8Array }

/** A key recorded by `accept-new` or a yes from `ask`. */
export interface RecordedHostKey {
  address: string
  fingerprint: string
  knownHostsFile: string
}

export interface HostKeyVerifierOptions {
  /** The host as the user named it (name or address); entries are per name, as in OpenSSH. */
  host: string
  port: number
  policy: HostKeyPolicy
  /** The known_hosts file to read and append to (see defaultPaths). Not read under `pinned`. */
  knownHostsFile: string
  /** Told when a new key was recorded; the CLI prints one line, as ssh does. */
  onRecord?: (recorded: RecordedHostKey) => void
}

/** The ERR_HOST_KEY_UNKNOWN an `ask` policy throws from inside a handshake: it carries the question to ask afterwards. */
export interface AskableHostKeyError extends Error {
  code: 'ERR_HOST_KEY_UNKNOWN'
  question: HostKeyQuestion
}

/**
 * The initiator's check of the server key, without side effects: it reads
 * known_hosts (again on every call, so entries added or removed by other
 * processes count) and decides, but never records a key and never waits for
 * a person. It resolves to `true` or throws an IdentityError whose message
 * tells the user what happened and what to do (the secure stream makes it
 * the cause of ERR_REMOTE_KEY_REJECTED). Under `accept-new` an unknown key
 * is accepted (record it with recordHostKey once the stream opened); under
 * `ask` it is refused at once with an AskableHostKeyError.
 *
 * A bad pin (neither a key nor a fingerprint) throws ERR_KEY_INVALID here,
 * and a host that cannot be a known hosts entry ERR_HOST_INVALID, before
 * any connection is made.
 */
export function hostKeyCheck (options: HostKeyVerifierOptions): VerifyRemoteKey {
  const { policy } = options
  const host = normalizeHost(options.host)
  if (policy.mode === 'pinned') return pinnedVerifier(host, options.port, policy.pin)
  checkKnownHost(host, options.port)
  return async (remoteKey) => {
    const entries = await readKnownHosts(options.knownHostsFile)
    const match = matchKnownHost(entries, host, options.port, remoteKey)
    if (match.status === 'known') return true
    if (match.status === 'changed') throw hostKeyChangedError(host, options.port, remoteKey, match.entries, options.knownHostsFile)
    if (policy.mode === 'accept-new') return true
    const question = questionFor(options, remoteKey)
    if (policy.mode === 'strict') throw hostKeyUnknownError(question)
    throw Object.assign(hostKeyUnknownError(question), { question })
  }
}

/**
 * Like hostKeyCheck, but deciding inside the handshake: `accept-new`
 * records the unknown key as soon as it is accepted, and `ask` asks then,
 * while both sides' handshake deadlines run (a slow answer loses the
 * connection, and a yes is still recorded, so a caller connects again; the
 * web page does). openWithHostKeyPolicy asks outside the handshake and
 * records only once a stream opened: use it where a person answers.
 */
export function hostKeyVerifier (options: HostKeyVerifierOptions): VerifyRemoteKey {
  const check = hostKeyCheck(options)
  const { policy } = options
  if (policy.mode !== 'accept-new' && policy.mode !== 'ask') return check
  return async (remoteKey, info) => {
    let ok
    try {
      ok = await check(remoteKey, info)
    } catch (err) {
      const question = policy.mode === 'ask' ? askableQuestion(err) : undefined
      if (question === undefined || policy.mode !== 'ask') throw err
      if ((await policy.ask(question)) !== true) throw hostKeyDeclinedError(question)
      ok = true
    }
    if (ok === true) await recordHostKey(options, remoteKey)
    return ok
  }
}

/** The error for an unknown key the person (or the ask function) declined. */
export function hostKeyDeclinedError (q: HostKeyQuestion, cause?: unknown): Error {
  return identityError('ERR_HOST_KEY_DECLINED', `the key of ${q.address} (${q.fingerprint}) was declined; nothing was recorded`, cause)
}

/**
 * Record `remoteKey` for the host in known_hosts unless it is there already
 * (another process may have recorded it meanwhile); tells `onRecord`.
 * Returns what was recorded, or undefined. Nothing happens under `pinned`.
 */
export async function recordHostKey (options: HostKeyVerifierOptions, remoteKey: Uint8Array): Promise<RecordedHostKey | undefined> {
  if (options.policy.mode === 'pinned') return undefined
  const host = normalizeHost(options.host)
  const entries = await readKnownHosts(options.knownHostsFile)
  if (matchKnownHost(entries, host, options.port, remoteKey).status === 'known') return undefined
  await addKnownHost(options.knownHostsFile, host, options.port, remoteKey, `first seen ${new Date().toISOString().slice(0, 10)}`)
  const recorded = { address: formatHostPort(host, options.port), fingerprint: fingerprint(remoteKey), knownHostsFile: options.knownHostsFile }
  options.onRecord?.(recorded)
  return recorded
}

/** The question an AskableHostKeyError carries (an ERR_REMOTE_KEY_REJECTED whose cause is one, or one itself); else undefined. */
export function askableQuestion (err: unknown): HostKeyQuestion | undefined {
  for (let e = err, depth = 0; e !== null && typeof e === 'object' && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    const candidate = e as Partial<AskableHostKeyError>
    if (candidate.code === 'ERR_HOST_KEY_UNKNOWN' && candidate.question !== undefined) return candidate.question
  }
  return undefined
}

/** A pin as given (base64 key or SHA256 fingerprint), checked; throws ERR_KEY_INVALID for anything else. */
export function parseHostKeyPin (pin: string | Uint8Array): { fingerprint: string, publicKey?: Buffer } {
  if (typeof pin !== 'string') {
    const publicKey = Buffer.from(pin)
    if (publicKey.byteLength !== 32) throw identityError('ERR_KEY_INVALID', `a pinned key is 32 bytes, got ${publicKey.byteLength}`)
    return { fingerprint: fingerprint(publicKey), publicKey }
  }
  const text = pin.trim()
  if (isFingerprint(text)) return { fingerprint: text }
  if (text.startsWith('SHA256:')) {
    throw identityError('ERR_KEY_INVALID', `'${text}' is not a full fingerprint: SHA256: is followed by 43 characters of base64 (the short form is for display only)`)
  }
  const publicKey = parsePublicKey(text)
  return { fingerprint: fingerprint(publicKey), publicKey }
}

/**
 * The changed-key error: a first line that says what happened (the CLI
 * prefixes it with its name), then the banner with both fingerprints, the
 * file and line of each old entry, and exactly what overrides the check.
 */
export function hostKeyChangedError (host: string, port: number, presented: Uint8Array, recorded: KnownHost[], knownHostsFile: string): Error {
  const address = formatHostPort(host, port)
  const rule = '@'.repeat(66)
  const lines = [
    `the key of ${address} has changed; the connection was refused.`,
    rule,
    `@  WARNING: THE KEY OF ${address} HAS CHANGED!`.padEnd(65) + '@',
    rule,
    'The server presented a key different from the one you recorded for it.',
    'Someone may be intercepting this connection (a machine in the middle),',
    'or the server was given a new key.',
    ...recorded.map((e) => `  recorded key:  ${fingerprint(e.publicKey)}  (${knownHostsFile}:${e.line})`),
    `  presented key: ${fingerprint(presented)}`,
    `Ask the server's operator for its fingerprint. ${SERVER_FINGERPRINT_HINT}`,
    'Only two things override this check, and only do either once the operator confirmed the new fingerprint:',
    '  - remove the old entry, then connect again (the new key is then treated as a first-time key):',
    `      ${forgetHostCommand(host, port, knownHostsFile)}`,
    '  - or pin the new key explicitly for a connection: --server-key FINGERPRINT (the one the operator gave you).'
  ]
  return identityError('ERR_HOST_KEY_CHANGED', lines.join('\n'))
}

/** The exact command that removes `host:port` from `knownHostsFile`. */
export function forgetHostCommand (host: string, port: number, knownHostsFile: string): string {
  return `noise-chat forget ${shellQuote(formatHostPort(host, port))} --known-hosts ${shellQuote(knownHostsFile)}`
}

/** The verify function that accepts only `pin` (a key or a fingerprint) for host:port; ERR_HOST_KEY_MISMATCH otherwise. */
function pinnedVerifier (host: string, port: number, pin: string | Uint8Array): VerifyRemoteKey {
  const expected = parseHostKeyPin(pin)
  return (remoteKey) => {
    const matches = expected.publicKey !== undefined
      ? samePublicKey(expected.publicKey, remoteKey)
      : fingerprint(remoteKey) === expected.fingerprint
    if (matches) return true
    throw identityError('ERR_HOST_KEY_MISMATCH', [
      `the key of ${formatHostPort(host, port)} is not the pinned one; the connection was refused.`,
      `  expected:  ${expected.fingerprint}`,
      `  presented: ${fingerprint(remoteKey)} (${encodePublicKey(remoteKey)})`,
      "Someone may be intercepting this connection, or the pin is wrong: check it with the server's operator.",
      SERVER_FINGERPRINT_HINT
    ].join('\n'))
  }
}

function questionFor (options: HostKeyVerifierOptions, remoteKey: Uint8Array): HostKeyQuestion {
  const host = normalizeHost(options.host)
  return {
    host,
    port: options.port,
    address: formatHostPort(host, options.port),
    fingerprint: fingerprint(remoteKey),
    publicKey: Buffer.from(remoteKey),
    knownHostsFile: options.knownHostsFile
  }
}

function hostKeyUnknownError (q: HostKeyQuestion): Error {
  return identityError('ERR_HOST_KEY_UNKNOWN', [
    `${q.address} is not in your known hosts (${q.knownHostsFile}) and unknown hosts are refused.`,
    `  its key: ${q.fingerprint} (${encodePublicKey(q.publicKey)})`,
    "Check that fingerprint with the server's operator, then connect with",
    `--server-key ${q.fingerprint} to pin it, or with --accept-new to record it on first use.`,
    SERVER_FINGERPRINT_HINT
  ].join('\n'))
}
