import type { Redis } from 'ioredis'
import { encodePublicKey } from '../secure/keypair.js'
import { BanList, type Ban } from './bans.js'
import { isGuestNick, nickKey } from './nick.js'
import { NickRegistry } from './nick-registry.js'

/** What the shared registry and ban list tell the other servers (through the room's stream). */
export type SharedStateEvent =
  | { type: 'ban', ban: Ban }
  | { type: 'unban', key: string }

/**
 * The nick registry of a room shared through Redis: each server keeps the
 * bindings in memory (the room asks synchronously) and writes each new one
 * to one Redis hash, which a server starting later loads. Servers already
 * running learn a binding from the join or nick change that made it (see
 * RedisRoomNode), so every server's copy follows the room's one order.
 */
export class SharedNickRegistry extends NickRegistry {
  private readonly redis: Redis
  private readonly hashKey: string

  constructor (redis: Redis, hashKey: string) {
    super()
    this.redis = redis
    this.hashKey = hashKey
  }

  /** Load every binding of the hash (oldest first, so each key keeps its latest nicks). */
  async load (): Promise<void> {
    const entries = Object.values(await this.redis.hgetall(this.hashKey))
    const bindings = entries.flatMap((text) => parseJson<{ nick: string, key: string, lastUsedMs: number }>(text) ?? [])
    bindings.sort((a, b) => a.lastUsedMs - b.lastUsedMs)
    for (const b of bindings) super.bind(b.nick, Buffer.from(b.key, 'base64'), b.lastUsedMs)
  }

  override bind (nick: string, publicKey: Uint8Array, nowMs: number): void {
    super.bind(nick, publicKey, nowMs)
    if (isGuestNick(nick)) return
    const value = JSON.stringify({ nick, key: encodePublicKey(publicKey), lastUsedMs: nowMs })
    this.redis.hset(this.hashKey, nickKey(nick), value).catch(() => {})
  }

  /** A binding another server made (it wrote the hash already). */
  mirror (nick: string, publicKey: Uint8Array, nowMs: number): void {
    super.bind(nick, publicKey, nowMs)
  }
}

/**
 * The ban list of a room shared through Redis: kept in memory on each
 * server (the handshake asks synchronously), written to one Redis hash for
 * servers starting later, and every change told to the running servers
 * through `announce` (the room's stream), so a ban on one holds on all.
 */
export class SharedBanList extends BanList {
  private readonly redis: Redis
  private readonly hashKey: string
  /** Set by the room node: tells the other servers. */
  announce: (event: SharedStateEvent) => void = () => {}

  constructor (redis: Redis, hashKey: string) {
    super()
    this.redis = redis
    this.hashKey = hashKey
  }

  /** Load every ban of the hash. */
  async load (): Promise<void> {
    for (const text of Object.values(await this.redis.hgetall(this.hashKey))) {
      const ban = parseJson<Ban>(text)
      if (ban !== undefined) this.mirrorAdd(ban)
    }
  }

  override add (publicKey: Uint8Array, details: Parameters<BanList['add']>[1]): Ban {
    const ban = super.add(publicKey, details)
    this.redis.hset(this.hashKey, ban.key, JSON.stringify(ban)).catch(() => {})
    this.announce({ type: 'ban', ban })
    return ban
  }

  override remove (target: string): Ban | undefined {
    const lifted = super.remove(target)
    if (lifted === undefined) return undefined
    this.redis.hdel(this.hashKey, lifted.key).catch(() => {})
    this.announce({ type: 'unban', key: lifted.key })
    return lifted
  }

  /** A ban another server made. */
  mirrorAdd (ban: Ban): void {
    super.add(Buffer.from(ban.key, 'base64'), {
      nick: ban.nick ?? undefined,
      reason: ban.reason,
      by: ban.by,
      nowMs: ban.atMs,
      durationMs: ban.untilMs === undefined || ban.untilMs === null ? undefined : ban.untilMs - ban.atMs
    })
  }

  /** A ban another server lifted. */
  mirrorRemove (key: string): void {
    super.remove(key)
  }
}

/** JSON from Redis, or undefined when someone else wrote garbage there. */
export function parseJson<T> (text: string): T | undefined {
  try {
    return JSON.parse(text) as T
  } catch {
    return undefined
  }
}
