import { randomBytes } from 'node:crypto'
import { constants as fsConstants } from 'node:fs'
import type { Stats } from 'node:fs'
import { link, lstat, mkdir, open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { CONFIG_DIR_MODE, MAX_TRUST_FILE_BYTES, TRUST_FILE_FORBIDDEN_MODE_BITS } from '../constants.js'
import { identityError } from '../errors.js'
import type { IdentityErrorCode } from '../errors.js'
import { shellQuote } from './shell-quote.js'

/**
 * The two file operations every identity file needs: reading a small text
 * file with its metadata taken from the same open descriptor (so the mode
 * we check is the mode of the bytes we read), and writing a file so that
 * nobody ever sees it half-written.
 */

/** A file's text and the stat of the very descriptor it was read from. */
export interface SmallFile {
  text: string
  stat: Stats
}

/**
 * Read a key or trust file. Refuses (with `invalidCode`) what is not a
 * regular file and anything over MAX_TRUST_FILE_BYTES (a wrong path must
 * not eat memory); opened non-blocking so a FIFO given by mistake cannot
 * hang us. Errors from the file system (ENOENT, EACCES) are passed through
 * as they are, so callers can tell "missing" from "unreadable".
 */
export async function readSmallFile (path: string, invalidCode: IdentityErrorCode = 'ERR_KEY_FILE_INVALID'): Promise<SmallFile> {
  const fh = await open(path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0))
  try {
    const stat = await fh.stat()
    if (!stat.isFile()) {
      throw identityError(invalidCode, `${path} is not a regular file`)
    }
    if (stat.size > MAX_TRUST_FILE_BYTES) {
      throw identityError(invalidCode, `${path} is ${stat.size} bytes, too large for a key or trust file (limit ${MAX_TRUST_FILE_BYTES})`)
    }
    const text = await fh.readFile({ encoding: 'utf8' })
    return { text, stat }
  } finally {
    await fh.close()
  }
}

/**
 * Refuse a trust file (authorized keys, admins, known hosts) that someone
 * else could change: writable by group or others, or owned by a user other
 * than us or root. Whoever can write it decides whose keys are accepted.
 * Throws ERR_TRUST_FILE_PERMISSIONS with the command that fixes it.
 */
export function checkTrustFileMode (stat: Pick<Stats, 'mode' | 'uid'>, path: string): void {
  if (process.platform === 'win32') return
  if ((stat.mode & TRUST_FILE_FORBIDDEN_MODE_BITS) !== 0) {
    const octal = (stat.mode & 0o777).toString(8).padStart(4, '0')
    throw identityError('ERR_TRUST_FILE_PERMISSIONS', [
      `permissions ${octal} for trust file '${path}' are too open.`,
      'A trust file says whose keys are accepted, so only its owner may write it; this one can be written by group or others, so it was not used.',
      `Fix it with: chmod go-w ${shellQuote(path)}`
    ].join('\n'))
  }
  const me = process.getuid?.()
  if (me !== undefined && stat.uid !== me && stat.uid !== 0) {
    throw identityError('ERR_TRUST_FILE_PERMISSIONS', [
      `trust file '${path}' is owned by user ${stat.uid}, not by you (${me}) or root.`,
      'A trust file says whose keys are accepted, so another user must not own it; it was not used.',
      `Fix it with: chown ${me} ${shellQuote(path)}`
    ].join('\n'))
  }
}

export interface WriteFileAtomicOptions {
  /** The file's exact mode, applied before it gets its name (umask cannot widen or narrow it). */
  mode: number
  /** Replace an existing file. When false, an existing file is kept and ERR_KEY_FILE_EXISTS is thrown. */
  overwrite: boolean
}

/**
 * Write `data` to `path` atomically: into a temporary file in the same
 * folder, created with `mode` (so secret bytes are never readable by
 * others, not even for a moment), flushed to disk, then given its name in
 * one step. Without `overwrite` the name is given with link(2), which fails
 * if the name exists, so two processes racing to create a key cannot both
 * win. Missing parent folders are created with mode 0700.
 */
export async function writeFileAtomic (path: string, data: string | Uint8Array, options: WriteFileAtomicOptions): Promise<void> {
  const dir = dirname(path)
  await mkdir(dir, { recursive: true, mode: CONFIG_DIR_MODE })
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  // A refusal names the file asked for, not our temporary one beside it.
  const fh = await open(temp, 'wx', options.mode).catch((err: unknown) => { throw cannotCreate(path, err) })
  try {
    try {
      await fh.chmod(options.mode)
      await fh.writeFile(data)
      await fh.sync()
    } finally {
      await fh.close()
    }
    if (options.overwrite) await rename(temp, path)
    else await linkNoClobber(temp, path)
  } finally {
    await unlink(temp).catch(() => {})
  }
}

async function linkNoClobber (temp: string, path: string): Promise<void> {
  try {
    await link(temp, path)
  } catch (err) {
    if (errorCode(err) === 'EEXIST') throw existsError(path)
    // Some file systems cannot hard-link: check, then rename (a small race, but never a partial file).
    if (await exists(path)) throw existsError(path)
    await rename(temp, path)
  }
}

async function exists (path: string): Promise<boolean> {
  try {
    await lstat(path)
    return true
  } catch {
    return false
  }
}

function cannotCreate (path: string, err: unknown): Error {
  const reason = (err instanceof Error ? err.message : String(err)).replace(/^[A-Z0-9_]+: /, '').replace(/, open '[^']*'$/, '')
  return Object.assign(new Error(`cannot create ${path}: ${reason}`, { cause: err }), { code: errorCode(err) })
}

function existsError (path: string): Error {
  return identityError('ERR_KEY_FILE_EXISTS', `${path} already exists; it was left as it is`)
}

/** The `code` of a Node system error, or '' when there is none. */
export function errorCode (err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : ''
}
