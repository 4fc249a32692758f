import { mkdir, open } from 'node:fs/promises'
import { dirname } from 'node:path'
import { CONFIG_DIR_MODE, TRUST_FILE_MODE } from '../constants.js'
import { identityError } from '../errors.js'
import { checkTrustFileMode, errorCode, readSmallFile, writeFileAtomic } from './files.js'
import { formatHostPort, normalizeHost, parseHostPort } from '../net/host-port.js'
import { encodePublicKey, parsePublicKey, samePublicKey } from '../secure/keypair.js'

/*
 * known_hosts: the initiator's record of the servers it trusts. One entry a
 * line:
 *
 *   HOST:PORT KEY [COMMENT]
 *
 * HOST is a name or an address, IPv6 in brackets ([::1]:7777); KEY is the
 * base64 of the server's 32-byte public key; COMMENT is free text. Lines
 * starting with '#' and blank lines are ignored. A line that does not parse
 * makes the whole file invalid (ERR_TRUST_FILE_INVALID, with file and line):
 * a trust file we cannot read entirely is not one we can trust partly.
 * A host may have several lines (a key being rotated); any of them matches.
 */

/** One line of known_hosts. */
export interface KnownHost {
  host: string
  port: number
  publicKey: Buffer
  comment: string
  /** 1-based line number in the file it came from. */
  line: number
}

/** What known_hosts says about a host and the key it presented. */
export type KnownHostMatch =
  | { status: 'known', entry: KnownHost }
  | { status: 'unknown' }
  | { status: 'changed', entries: KnownHost[] }

/** A line that `forgetKnownHost` removed. */
export interface ForgottenLine {
  line: number
  text: string
}

/** Parse known_hosts text. `file` names it in errors. Pure. */
export function parseKnownHosts (text: string, file: string): KnownHost[] {
  const entries: KnownHost[] = []
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (line === '' || line.startsWith('#')) continue
    entries.push(parseLine(line, file, i + 1))
  }
  return entries
}

/**
 * Check that `host` and `port` make an entry that parses back as the same
 * host and port (a name, an IPv4 or an IPv6 address; a port 1..65535);
 * throws ERR_HOST_INVALID otherwise. A host with a space or a newline in it
 * would otherwise write a line that makes the whole file invalid. Pure.
 */
export function checkKnownHost (host: string, port: number): void {
  const reason = hostProblem(host, port)
  if (reason !== undefined) throw identityError('ERR_HOST_INVALID', `${JSON.stringify(host)} port ${String(port)} cannot be a known hosts entry: ${reason}`)
}

function hostProblem (host: string, port: number): string | undefined {
  if (!Number.isInteger(port) || port < 1 || port > 65535) return 'the port is not a number from 1 to 65535'
  let parsed
  try {
    parsed = parseHostPort(formatHostPort(host, port))
  } catch (err) {
    return (err as Error).message
  }
  if (parsed.host !== normalizeHost(host) || parsed.port !== port) return 'it does not read back as the same host'
  return undefined
}

/** One known_hosts line (no newline); throws ERR_HOST_INVALID for a host that cannot be one (see checkKnownHost). Pure. */
export function formatKnownHostLine (host: string, port: number, publicKey: Uint8Array, comment = ''): string {
  checkKnownHost(host, port)
  const clean = comment.replace(/\s+/g, ' ').trim()
  return `${formatHostPort(host, port)} ${encodePublicKey(publicKey)}` + (clean === '' ? '' : ' ' + clean)
}

/**
 * Look `host:port` up: known (some entry has this key), unknown (no entry
 * for the host) or changed (entries exist, none with this key). Pure.
 */
export function matchKnownHost (entries: KnownHost[], host: string, port: number, publicKey: Uint8Array): KnownHostMatch {
  const h = normalizeHost(host)
  const forHost = entries.filter((e) => e.host === h && e.port === port)
  if (forHost.length === 0) return { status: 'unknown' }
  const entry = forHost.find((e) => samePublicKey(e.publicKey, publicKey))
  return entry === undefined ? { status: 'changed', entries: forHost } : { status: 'known', entry }
}

/** Read and parse a known_hosts file; a missing file holds no hosts. */
export async function readKnownHosts (file: string): Promise<KnownHost[]> {
  let current
  try {
    current = await readSmallFile(file, 'ERR_TRUST_FILE_INVALID')
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return []
    throw err
  }
  checkTrustFileMode(current.stat, file)
  return parseKnownHosts(current.text, file)
}

/**
 * Append one entry (a host that cannot be one is ERR_HOST_INVALID, and
 * nothing is written). The file (and its folder, 0700) is created when
 * missing, with mode 0600. The line is written with a single write to a
 * file opened for appending, so concurrent clients recording hosts at the
 * same time do not interleave or overwrite each other's lines.
 */
export async function addKnownHost (file: string, host: string, port: number, publicKey: Uint8Array, comment = ''): Promise<void> {
  checkKnownHost(host, port) // before the file or its folder is created
  await mkdir(dirname(file), { recursive: true, mode: CONFIG_DIR_MODE })
  const fh = await open(file, 'a+', TRUST_FILE_MODE)
  try {
    const { size } = await fh.stat()
    let prefix = ''
    if (size > 0) {
      const last = Buffer.alloc(1)
      await fh.read(last, 0, 1, size - 1)
      if (last[0] !== 0x0a) prefix = '\n' // a hand-edited file may lack its final newline
    }
    await fh.write(Buffer.from(prefix + formatKnownHostLine(host, port, publicKey, comment) + '\n'))
  } finally {
    await fh.close()
  }
}

/**
 * Remove every entry for `host` (on `port` only, when given; on any port
 * otherwise), like `ssh-keygen -R`. Comments and other lines are kept as
 * they are, even lines that do not parse. The file is rewritten atomically
 * with its mode unchanged. Returns the removed lines; none when the file
 * or the host is missing.
 */
export async function forgetKnownHost (file: string, host: string, port?: number): Promise<ForgottenLine[]> {
  let current
  try {
    current = await readSmallFile(file, 'ERR_TRUST_FILE_INVALID')
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return []
    throw err
  }
  checkTrustFileMode(current.stat, file)
  const h = normalizeHost(host)
  const kept: string[] = []
  const removed: ForgottenLine[] = []
  const lines = current.text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const target = hostOfLine(lines[i]!)
    if (target !== undefined && target.host === h && (port === undefined || target.port === port)) {
      removed.push({ line: i + 1, text: lines[i]!.trim() })
    } else {
      kept.push(lines[i]!)
    }
  }
  if (removed.length > 0) {
    await writeFileAtomic(file, kept.join('\n'), { mode: current.stat.mode & 0o777, overwrite: true })
  }
  return removed
}

function parseLine (line: string, file: string, lineNo: number): KnownHost {
  const [address = '', keyText, ...comment] = line.split(/\s+/)
  const where = `${file}:${lineNo}`
  let target
  try {
    target = parseHostPort(address)
  } catch (err) {
    throw invalid(where, (err as Error).message, err)
  }
  if (target.port === undefined) throw invalid(where, `'${address}' has no port; known hosts entries are HOST:PORT KEY [COMMENT]`)
  if (keyText === undefined) throw invalid(where, `'${address}' has no key; known hosts entries are HOST:PORT KEY [COMMENT]`)
  let publicKey
  try {
    publicKey = parsePublicKey(keyText)
  } catch (err) {
    throw invalid(where, (err as Error).message, err)
  }
  return { host: target.host, port: target.port, publicKey, comment: comment.join(' '), line: lineNo }
}

function hostOfLine (line: string): { host: string, port: number | undefined } | undefined {
  const trimmed = line.trim()
  if (trimmed === '' || trimmed.startsWith('#')) return undefined
  try {
    return parseHostPort(trimmed.split(/\s+/)[0]!)
  } catch {
    return undefined
  }
}

function invalid (where: string, why: string, cause?: unknown): Error {
  return identityError('ERR_TRUST_FILE_INVALID', `${where}: ${why}`, cause)
}
