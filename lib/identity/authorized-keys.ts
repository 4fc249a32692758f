import { identityError } from '../errors.js'
import type { IdentityError } from '../errors.js'
import type { VerifyRemoteKey } from '../secure/options.js'
import { checkTrustFileMode, errorCode, readSmallFile } from './files.js'
import { encodePublicKey, fingerprint, parsePublicKey } from '../secure/keypair.js'

/*
 * authorized_keys: the responder's allowlist. One key a line:
 *
 *   KEY COMMENT
 *
 * KEY is the base64 of a client's 32-byte public key; COMMENT names its
 * owner. The owner's name is the comment's first word, up to any '@', so
 * the line of a .pub file (`KEY alice@laptop`) can be pasted as is and names
 * alice. Lines starting with '#' and blank lines are ignored. A line that
 * does not parse, or a key listed twice, makes the file invalid
 * (ERR_TRUST_FILE_INVALID, with file and line).
 */

/** One authorized key. */
export interface AuthorizedKey {
  publicKey: Buffer
  fingerprint: string
  /** The whole comment ('' when none). */
  comment: string
  /** The owner's name (see the file format above); undefined when the line has no comment. */
  name: string | undefined
  /** 1-based line number in the file. */
  line: number
}

/** What a reload changed. */
export interface AuthorizedKeysChange {
  added: AuthorizedKey[]
  removed: AuthorizedKey[]
}

export interface LoadAuthorizedKeysOptions {
  /** Treat a missing file as an empty list (nobody authorized) instead of ERR_KEY_FILE_MISSING. */
  allowMissing?: boolean
}

/** Parse authorized_keys text. `file` names it in errors. Pure. */
export function parseAuthorizedKeys (text: string, file: string): AuthorizedKey[] {
  const entries: AuthorizedKey[] = []
  const seen = new Map<string, number>()
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (line === '' || line.startsWith('#')) continue
    const [keyText = '', ...words] = line.split(/\s+/)
    let publicKey
    try {
      publicKey = parsePublicKey(keyText)
    } catch (err) {
      throw identityError('ERR_TRUST_FILE_INVALID', `${file}:${i + 1}: ${(err as Error).message}; authorized keys lines are KEY NAME`, err)
    }
    const id = encodePublicKey(publicKey)
    const first = seen.get(id)
    if (first !== undefined) {
      throw identityError('ERR_TRUST_FILE_INVALID', `${file}:${i + 1}: this key is already listed on line ${first}; list each key once`)
    }
    seen.set(id, i + 1)
    const comment = words.join(' ')
    entries.push({ publicKey, fingerprint: fingerprint(publicKey), comment, name: ownerName(comment), line: i + 1 })
  }
  return entries
}

/**
 * The responder's set of authorized keys, read from a file and reloadable
 * without restarting: `reload()` swaps in the new set only when the whole
 * new file parses; otherwise the old set stays and the error is thrown.
 * Lookups (and the verifier) always see the current set.
 */
export class AuthorizedKeys {
  readonly file: string
  readonly #allowMissing: boolean
  #byKey: Map<string, AuthorizedKey>
  #reloading: Promise<unknown> = Promise.resolve()

  constructor (file: string, entries: AuthorizedKey[], options: LoadAuthorizedKeysOptions = {}) {
    this.file = file
    this.#allowMissing = options.allowMissing === true
    this.#byKey = indexByKey(entries)
  }

  /** Read `file` (see the format above). A missing file is ERR_KEY_FILE_MISSING unless `allowMissing`. */
  static async load (file: string, options: LoadAuthorizedKeysOptions = {}): Promise<AuthorizedKeys> {
    return new AuthorizedKeys(file, await readEntries(file, options.allowMissing === true), options)
  }

  /** Every authorized key, in file order. */
  get entries (): AuthorizedKey[] {
    return [...this.#byKey.values()]
  }

  get size (): number {
    return this.#byKey.size
  }

  /** The entry of `publicKey`, if it is authorized. */
  find (publicKey: Uint8Array): AuthorizedKey | undefined {
    return this.#byKey.get(encodePublicKey(publicKey))
  }

  /** True when `publicKey` is authorized. */
  has (publicKey: Uint8Array): boolean {
    return this.find(publicKey) !== undefined
  }

  /** The owner's name for `publicKey` (undefined if unknown or unnamed). */
  nameOf (publicKey: Uint8Array): string | undefined {
    return this.find(publicKey)?.name
  }

  /** The keys whose owner has `name` (compared case-insensitively): the keys allowed to use that name. */
  keysNamed (name: string): AuthorizedKey[] {
    const wanted = name.toLowerCase()
    return this.entries.filter((e) => e.name?.toLowerCase() === wanted)
  }

  /**
   * Re-read the file. On success the new set replaces the old one at once
   * and the change is returned; on failure the old set is kept and the
   * error (with file and line) is thrown. Reloads run one after another.
   */
  async reload (): Promise<AuthorizedKeysChange> {
    const next = this.#reloading.then(() => this.#reloadNow())
    this.#reloading = next.catch(() => {})
    return next
  }

  /** The responder's verify function over this set (see authorizedKeysVerifier). */
  verifier (): VerifyRemoteKey {
    return authorizedKeysVerifier(this)
  }

  async #reloadNow (): Promise<AuthorizedKeysChange> {
    const entries = await readEntries(this.file, this.#allowMissing)
    const next = indexByKey(entries)
    const added = entries.filter((e) => !this.#byKey.has(encodePublicKey(e.publicKey)))
    const removed = this.entries.filter((e) => !next.has(encodePublicKey(e.publicKey)))
    this.#byKey = next
    return { added, removed }
  }
}

/**
 * The responder's verify function: accepts a key in `keys` (as it is at the
 * moment of the call, so reloads take effect for the next handshake) and
 * throws ERR_CLIENT_KEY_UNAUTHORIZED otherwise. That error's message is
 * written for the client, which receives it as the ABORT reason.
 */
export function authorizedKeysVerifier (keys: Pick<AuthorizedKeys, 'has'>): VerifyRemoteKey {
  return (remoteKey) => {
    if (keys.has(remoteKey)) return true
    throw unauthorizedKeyError(remoteKey)
  }
}

/** The error (and ABORT reason) for a client key that is not authorized. */
export function unauthorizedKeyError (publicKey: Uint8Array): IdentityError {
  return identityError('ERR_CLIENT_KEY_UNAUTHORIZED', [
    `your key ${fingerprint(publicKey)} is not authorized on this server.`,
    `Send your public key (${encodePublicKey(publicKey)}) to the server's operator`,
    'and ask them to add it to its authorized_keys.'
  ].join(' '))
}

async function readEntries (file: string, allowMissing: boolean): Promise<AuthorizedKey[]> {
  let current
  try {
    current = await readSmallFile(file, 'ERR_TRUST_FILE_INVALID')
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err
    if (allowMissing) return []
    throw identityError('ERR_KEY_FILE_MISSING', `no authorized keys file at '${file}', so nobody could connect. Create it with one line per user: KEY NAME (each user prints their KEY with: noise-chat fingerprint)`, err)
  }
  checkTrustFileMode(current.stat, file)
  return parseAuthorizedKeys(current.text, file)
}

function indexByKey (entries: AuthorizedKey[]): Map<string, AuthorizedKey> {
  return new Map(entries.map((e) => [encodePublicKey(e.publicKey), e]))
}

function ownerName (comment: string): string | undefined {
  const word = comment.split(/\s+/)[0] ?? ''
  const name = word.split('@')[0] ?? ''
  return name === '' ? undefined : name
}
