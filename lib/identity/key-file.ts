import os from 'node:os'
import {
  KEY_BYTES, PRIVATE_KEY_FILE_MAGIC, PRIVATE_KEY_FILE_MODE, PRIVATE_KEY_FORBIDDEN_MODE_BITS, PUBLIC_KEY_FILE_MODE,
  PUBLIC_KEY_FILE_SUFFIX
} from '../constants.js'
import { identityError, isNoiseChatError } from '../errors.js'
import { encodePublicKey, fingerprint, generateKeyPair, keyPairFromSecretKey, parsePublicKey, samePublicKey } from '../secure/keypair.js'
import type { KeyPair } from '../secure/keypair.js'
import { errorCode, readSmallFile, writeFileAtomic } from './files.js'
import { publicKeyPathFor } from './paths.js'
import { shellQuote } from './shell-quote.js'

/*
 * The private key file format (version 1), a small text file:
 *
 *   noise-chat-private-key-v1
 *   # comment lines start with '#'; blank lines are ignored
 *   public-key: <base64 of the 32-byte X25519 public key>
 *   secret-key: <base64 of the 32-byte X25519 secret key>
 *   comment: <free text, optional, one line>
 *
 * The first line names the format, so any other file (a .pub, an OpenSSH
 * key) is refused by name. The public key is derivable from the secret key
 * and is stored anyway, so a damaged or hand-edited file is detected rather
 * than silently becoming a different identity. Files are written with mode
 * 0600 and refused on load when group or others have any access.
 *
 * The public key file beside it, NAME.pub, is one line: `<base64 key> <comment>`,
 * the form authorized_keys lines take, so it can be appended to one as is.
 */

const FIELD_PUBLIC = 'public-key'
const FIELD_SECRET = 'secret-key'
const FIELD_COMMENT = 'comment'
const BASE64_KEY = /^[A-Za-z0-9+/]{43}=$/

/** A private key file, loaded. */
export interface KeyFile {
  path: string
  keyPair: KeyPair
  /** The file's comment ('' when none), usually `user@host`. */
  comment: string
}

/** A public key read from a `.pub` file (or any `KEY [comment]` line). */
export interface PublicKeyFile {
  path: string
  publicKey: Buffer
  comment: string
}

/** Where writeKeyFile put the two files. */
export interface WrittenKeyFiles {
  path: string
  publicKeyPath: string
}

/** The text of a private key file for `keyPair`. Pure. */
export function formatPrivateKeyFile (keyPair: KeyPair, comment = ''): string {
  const lines = [
    PRIVATE_KEY_FILE_MAGIC,
    '# noise-chat X25519 static key. Anyone who has this file can act as you:',
    '# keep it readable by you alone (mode 0600) and never share it.',
    `# Share the public key instead (the ${PUBLIC_KEY_FILE_SUFFIX} file beside this one).`,
    `${FIELD_PUBLIC}: ${encodePublicKey(keyPair.publicKey)}`,
    `${FIELD_SECRET}: ${keyPair.secretKey.toString('base64')}`
  ]
  const clean = oneLine(comment)
  if (clean !== '') lines.push(`${FIELD_COMMENT}: ${clean}`)
  return lines.join('\n') + '\n'
}

/**
 * Parse the text of a private key file. Errors (ERR_KEY_FILE_INVALID) name
 * `path` and the line, and never quote a line's content: it may be secret.
 */
export function parsePrivateKeyFile (text: string, path: string): { keyPair: KeyPair, comment: string } {
  const lines = text.split(/\r?\n/)
  if (lines[0]?.trim() !== PRIVATE_KEY_FILE_MAGIC) {
    throw invalid(path, `is not a noise-chat private key file (its first line should be '${PRIVATE_KEY_FILE_MAGIC}')`)
  }
  const fields = new Map<string, { value: string, line: number }>()
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (line === '' || line.startsWith('#')) continue
    const colon = line.indexOf(':')
    const name = colon === -1 ? '' : line.slice(0, colon).trim()
    if (name !== FIELD_PUBLIC && name !== FIELD_SECRET && name !== FIELD_COMMENT) {
      throw invalid(path, `line ${i + 1}: expected '${FIELD_PUBLIC}:', '${FIELD_SECRET}:' or '${FIELD_COMMENT}:'`)
    }
    if (fields.has(name)) throw invalid(path, `line ${i + 1}: '${name}' appears twice (first on line ${fields.get(name)!.line})`)
    fields.set(name, { value: line.slice(colon + 1).trim(), line: i + 1 })
  }
  const secret = decodeKeyField(fields.get(FIELD_SECRET), FIELD_SECRET, path)
  const stated = decodeKeyField(fields.get(FIELD_PUBLIC), FIELD_PUBLIC, path)
  const keyPair = keyPairFromSecretKey(secret)
  secret.fill(0)
  if (!samePublicKey(keyPair.publicKey, stated)) {
    throw invalid(path, `its ${FIELD_PUBLIC} (${fingerprint(stated)}) is not the public key of its ${FIELD_SECRET} (${fingerprint(keyPair.publicKey)}); the file is damaged or was edited`)
  }
  return { keyPair, comment: fields.get(FIELD_COMMENT)?.value ?? '' }
}

/** True when `text` starts like a private key file (used to tell it from a .pub). */
export function isPrivateKeyFileText (text: string): boolean {
  return text.split(/\r?\n/, 1)[0]?.trim() === PRIVATE_KEY_FILE_MAGIC
}

/** The one line of a `.pub` file: `<base64 key> <comment>`. Pure. */
export function formatPublicKeyLine (publicKey: Uint8Array, comment = ''): string {
  const clean = oneLine(comment)
  return encodePublicKey(publicKey) + (clean === '' ? '' : ' ' + clean)
}

/** Parse a `.pub` file's text: the first line that is not blank or `#`, `<base64 key> [comment]`. */
export function parsePublicKeyFile (text: string, path: string): { publicKey: Buffer, comment: string } {
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (line === '' || line.startsWith('#')) continue
    const [keyText = '', ...rest] = line.split(/\s+/)
    try {
      return { publicKey: parsePublicKey(keyText), comment: rest.join(' ') }
    } catch (err) {
      throw invalid(path, `line ${i + 1}: ${(err as Error).message}`, err)
    }
  }
  throw invalid(path, 'holds no public key (expected a line: <base64 key> [comment])')
}

/**
 * Refuse a private key file that group or others can access, the way
 * OpenSSH does: the message shows the octal mode, the path and the exact
 * command that fixes it. Not applied on Windows, where modes mean nothing.
 */
export function checkPrivateKeyFileMode (mode: number, path: string): void {
  if (process.platform === 'win32') return
  if ((mode & PRIVATE_KEY_FORBIDDEN_MODE_BITS) === 0) return
  const octal = (mode & 0o777).toString(8).padStart(4, '0')
  throw identityError('ERR_KEY_FILE_PERMISSIONS', [
    `permissions ${octal} for private key file '${path}' are too open.`,
    'A private key must be readable by its owner alone; this one can be read by group or others, so it was not used.',
    `Fix it with: chmod 600 ${shellQuote(path)}`
  ].join('\n'))
}

/**
 * Write `keyPair` to `path` (mode 0600, atomically, parent folders created
 * 0700) and its public half to `path.pub`. An existing private key is kept
 * and ERR_KEY_FILE_EXISTS thrown unless `overwrite` is true.
 */
export async function writeKeyFile (path: string, keyPair: KeyPair, options: { comment?: string, overwrite?: boolean } = {}): Promise<WrittenKeyFiles> {
  const comment = options.comment ?? ''
  const overwrite = options.overwrite === true
  try {
    await writeFileAtomic(path, formatPrivateKeyFile(keyPair, comment), { mode: PRIVATE_KEY_FILE_MODE, overwrite })
  } catch (err) {
    if (isNoiseChatError(err, 'ERR_KEY_FILE_EXISTS')) {
      throw identityError('ERR_KEY_FILE_EXISTS', `a key already exists at '${path}'; it was not overwritten`, err)
    }
    throw err
  }
  const publicKeyPath = publicKeyPathFor(path)
  await writeFileAtomic(publicKeyPath, formatPublicKeyLine(keyPair.publicKey, comment) + '\n', { mode: PUBLIC_KEY_FILE_MODE, overwrite: true })
  return { path, publicKeyPath }
}

/**
 * Load a private key file: refused when missing (ERR_KEY_FILE_MISSING),
 * open to group or others (ERR_KEY_FILE_PERMISSIONS) or malformed
 * (ERR_KEY_FILE_INVALID). Every message names the file.
 */
export async function loadKeyFile (path: string): Promise<KeyFile> {
  let file
  try {
    file = await readSmallFile(path)
  } catch (err) {
    if (errorCode(err) === 'ENOENT') {
      throw identityError('ERR_KEY_FILE_MISSING', `no key file at '${path}'; create one with: noise-chat keygen -f ${shellQuote(path)}`, err)
    }
    throw err
  }
  checkPrivateKeyFileMode(file.stat.mode, path)
  return { path, ...parsePrivateKeyFile(file.text, path) }
}

/** The key pair of a private key file (see loadKeyFile). */
export async function loadKeyPair (path: string): Promise<KeyPair> {
  return (await loadKeyFile(path)).keyPair
}

/** Read a `.pub` file (or any file whose first key line is `<base64 key> [comment]`). */
export async function readPublicKeyFile (path: string): Promise<PublicKeyFile> {
  let file
  try {
    file = await readSmallFile(path)
  } catch (err) {
    if (errorCode(err) === 'ENOENT') throw identityError('ERR_KEY_FILE_MISSING', `no public key file at '${path}'`, err)
    throw err
  }
  return { path, ...parsePublicKeyFile(file.text, path) }
}

export interface LoadOrCreateOptions {
  /** Called once when the key had to be created, with where it was written; the CLI prints one line. */
  onCreate?: (created: WrittenKeyFiles & { keyPair: KeyPair }) => void
  /** Comment of a newly created key; default `user@host`. */
  comment?: string
}

/**
 * The user's own key: loaded from `path`, or created there on first use
 * (mode 0600, with a .pub beside it) and reported through `onCreate`. Two
 * processes starting at once end up with the same key: the loser of the
 * race loads the winner's file.
 */
export async function loadOrCreateKeyPair (path: string, options: LoadOrCreateOptions = {}): Promise<KeyPair> {
  try {
    return await loadKeyPair(path)
  } catch (err) {
    if (!isNoiseChatError(err, 'ERR_KEY_FILE_MISSING')) throw err
  }
  const keyPair = generateKeyPair()
  let written
  try {
    written = await writeKeyFile(path, keyPair, { comment: options.comment ?? defaultKeyComment() })
  } catch (err) {
    if (isNoiseChatError(err, 'ERR_KEY_FILE_EXISTS')) return loadKeyPair(path)
    throw err
  }
  options.onCreate?.({ ...written, keyPair })
  return keyPair
}

/** One line telling the user a key was created: where, and its fingerprint. */
export function createdKeyMessage (created: WrittenKeyFiles & { keyPair: KeyPair }): string {
  return `Created a new key pair in ${created.path} (public key in ${created.publicKeyPath}, fingerprint ${fingerprint(created.keyPair.publicKey)})`
}

/** The comment new keys get: `user@host`, as ssh-keygen writes. */
export function defaultKeyComment (env: NodeJS.ProcessEnv = process.env): string {
  const user = env['USER'] ?? env['LOGNAME'] ?? env['USERNAME'] ?? 'user'
  return `${user}@${os.hostname()}`
}

function decodeKeyField (field: { value: string, line: number } | undefined, name: string, path: string): Buffer {
  if (field === undefined) throw invalid(path, `has no '${name}:' line`)
  if (!BASE64_KEY.test(field.value)) {
    throw invalid(path, `line ${field.line}: '${name}' is not ${KEY_BYTES} bytes of base64`)
  }
  return Buffer.from(field.value, 'base64')
}

function invalid (path: string, what: string, cause?: unknown): Error {
  return identityError('ERR_KEY_FILE_INVALID', `key file '${path}' ${what}`, cause)
}

function oneLine (text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim()
}
