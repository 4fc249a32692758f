import { chatError } from '../errors.js'
import { encodePublicKey, fingerprint, shortFingerprint } from '../secure/keypair.js'
import { nickKey } from './nick.js'
import { JsonStateFile } from './state-file.js'

const FORMAT_VERSION = 1

/** One banned key. */
export interface Ban {
  /** base64 public key */
  key: string
  /** The nick it had when banned: lets /unban name it. */
  nick: string | undefined
  reason: string
  /** Nick of the operator who banned it. */
  by: string
  atMs: number
  /** When the ban ends; undefined = never. */
  untilMs: number | undefined
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

/** Parse a duration like `30s`, `10m`, `2h`, `7d`, `1w`; undefined when it is not one. */
export function parseDuration (text: string): number | undefined {
  const match = /^(\d{1,6})([smhdw])$/.exec(text)
  if (match === null) return undefined
  const ms = Number(match[1]) * UNIT_MS[match[2]!]!
  return ms > 0 ? ms : undefined
}

/** A short human form of a duration in ms: `45s`, `12m`, `3h`, `2d`. */
export function formatDuration (ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m`
  if (s < 86_400) return `${Math.floor(s / 3600)}h${pad(Math.floor(s % 3600 / 60))}m`
  return `${Math.floor(s / 86_400)}d${Math.floor(s % 86_400 / 3600)}h`
}

function pad (n: number): string {
  return n < 10 ? '0' + n : String(n)
}

/**
 * Keys banned from the server, persisted (when a file is given) in its
 * state directory. A ban names a key, not a nick or an address: a new key
 * is a new identity, which the allowlist, not the ban list, keeps out.
 */
export class BanList {
  private readonly bans = new Map<string, Ban>()
  private readonly file: JsonStateFile | undefined

  constructor (file?: string, onError?: (err: unknown) => void) {
    this.file = file === undefined ? undefined : new JsonStateFile(file, onError)
  }

  /** A ban list with `file` loaded (empty if it does not exist yet). */
  static async open (file?: string, onError?: (err: unknown) => void): Promise<BanList> {
    const list = new BanList(file, onError)
    if (list.file !== undefined) list.loadFrom(await list.file.load())
    return list
  }

  /** Ban a key (replacing an earlier ban of it). */
  add (publicKey: Uint8Array, details: { nick?: string, reason: string, by: string, nowMs: number, durationMs?: number }): Ban {
    const ban: Ban = {
      key: encodePublicKey(publicKey),
      nick: details.nick,
      reason: details.reason,
      by: details.by,
      atMs: details.nowMs,
      untilMs: details.durationMs === undefined ? undefined : details.nowMs + details.durationMs
    }
    this.bans.set(ban.key, ban)
    this.persist()
    return ban
  }

  /** The ban in force on `publicKey` at `nowMs`, if any (an expired one is dropped). */
  find (publicKey: Uint8Array, nowMs: number): Ban | undefined {
    const key = encodePublicKey(publicKey)
    const ban = this.bans.get(key)
    if (ban === undefined) return undefined
    if (ban.untilMs !== undefined && ban.untilMs <= nowMs) {
      this.bans.delete(key)
      this.persist()
      return undefined
    }
    return ban
  }

  /**
   * Lift the ban matching `target`: a base64 key, a full or short
   * fingerprint, or the nick the key had when banned. Returns the lifted ban.
   */
  remove (target: string): Ban | undefined {
    const ban = [...this.bans.values()].find((b) => matches(b, target))
    if (ban === undefined) return undefined
    this.bans.delete(ban.key)
    this.persist()
    return ban
  }

  /** Every ban, oldest first. */
  list (): Ban[] {
    return [...this.bans.values()].sort((a, b) => a.atMs - b.atMs)
  }

  /** Resolves once every change so far is written. */
  async flush (): Promise<void> {
    await this.file?.flush()
  }

  /**
   * Re-read the file (the server's SIGHUP), so that bans added or lifted by
   * editing it take effect; changes not yet written are written first. A
   * file that does not parse keeps the current list and throws
   * ERR_STATE_FILE_INVALID.
   */
  async reload (): Promise<void> {
    if (this.file === undefined) return
    await this.file.flush()
    const next = new BanList()
    next.loadFrom(await this.file.load())
    this.bans.clear()
    for (const [key, ban] of next.bans) this.bans.set(key, ban)
  }

  private persist (): void {
    if (this.file === undefined) return
    const bans = this.list().map((b) => ({
      key: b.key,
      nick: b.nick ?? null,
      reason: b.reason,
      by: b.by,
      at: new Date(b.atMs).toISOString(),
      until: b.untilMs === undefined ? null : new Date(b.untilMs).toISOString()
    }))
    this.file.save({ version: FORMAT_VERSION, bans })
  }

  private loadFrom (data: unknown): void {
    if (data === undefined) return
    const path = this.file?.path ?? 'ban list'
    const doc = data as { version?: unknown, bans?: unknown }
    if (doc === null || typeof doc !== 'object' || doc.version !== FORMAT_VERSION || !Array.isArray(doc.bans)) {
      throw chatError('ERR_STATE_FILE_INVALID', `${path} is not a version ${FORMAT_VERSION} ban list`)
    }
    for (const [i, entry] of doc.bans.entries()) {
      const e = entry as Record<string, unknown>
      const atMs = typeof e.at === 'string' ? Date.parse(e.at) : NaN
      const untilMs = typeof e.until === 'string' ? Date.parse(e.until) : undefined
      if (typeof e.key !== 'string' || !/^[A-Za-z0-9+/]{43}=$/.test(e.key) || Number.isNaN(atMs) || Number.isNaN(untilMs)) {
        throw chatError('ERR_STATE_FILE_INVALID', `${path}: entry ${i + 1} needs a base64 key and valid times`)
      }
      this.bans.set(e.key, {
        key: e.key,
        nick: typeof e.nick === 'string' ? e.nick : undefined,
        reason: typeof e.reason === 'string' ? e.reason : '',
        by: typeof e.by === 'string' ? e.by : '',
        atMs,
        untilMs
      })
    }
  }
}

function matches (ban: Ban, target: string): boolean {
  if (ban.key === target) return true
  const raw = Buffer.from(ban.key, 'base64')
  if (fingerprint(raw) === target || shortFingerprint(raw) === target) return true
  return ban.nick !== undefined && nickKey(ban.nick) === nickKey(target)
}
