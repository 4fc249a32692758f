import { MAX_BOUND_NICKS, MAX_NICKS_PER_KEY, STATE_SAVE_INTERVAL_MS } from '../constants.js'
import { chatError, type ChatError } from '../errors.js'
import { encodePublicKey, shortFingerprint } from '../secure/keypair.js'
import { isGuestNick, nickKey } from './nick.js'
import { JsonStateFile } from './state-file.js'

const FORMAT_VERSION = 1

/** One nick bound to a key. */
export interface Binding {
  nick: string
  /** base64 public key */
  key: string
  lastUsedMs: number
}

/** A nick reserved for a key (from an authorized keys comment). */
export interface ReservedNick {
  nick: string
  publicKey: Uint8Array
}

/** Options of a nick registry. */
export interface NickRegistryOptions {
  /** Most nicks bound to one key; binding one more releases the key's least recently used. */
  maxPerKey?: number
  /** Most bindings kept; past it the least recently used binding not held by a member online is evicted (onEvict hears of it). */
  maxNicks?: number
  /** Told about each binding evicted to stay within maxNicks (the server logs it). */
  onEvict?: (evicted: Binding) => void
  /** Told about failed writes of the state file. */
  onError?: (err: unknown) => void
}

/**
 * Who owns which nick. A nick is bound to the first key that used it, for
 * good (persisted, when a file is given, in the server's state directory);
 * a nick reserved for a key by the authorized keys file belongs to that key
 * whatever the bindings say. Comparison ignores ASCII case. GuestN names are
 * never bound.
 */
export class NickRegistry {
  /**
   * Whether a member online holds the nick (by nickKey): such a binding is
   * never evicted. The room sets it; without a room nothing is in use.
   */
  isInUse: (nickKey: string) => boolean = () => false
  /** nickKey -> binding, least recently used first (a binding used again moves to the end), so eviction starts at the front. */
  private readonly bindings = new Map<string, Binding>()
  /** key -> the nickKeys bound to it: joins look a key's nicks up without scanning every binding. */
  private readonly byKey = new Map<string, Set<string>>()
  /** nickKey -> the nick as first written and every key listed under it. */
  private reserved = new Map<string, { nick: string, keys: Set<string> }>()
  private reservedByKey = new Map<string, string>()
  private readonly file: JsonStateFile | undefined
  private readonly maxPerKey: number
  private readonly maxNicks: number
  private readonly onEvict: ((evicted: Binding) => void) | undefined

  constructor (file?: string, options: NickRegistryOptions = {}) {
    this.onEvict = options.onEvict
    this.file = file === undefined ? undefined : new JsonStateFile(file, options.onError, STATE_SAVE_INTERVAL_MS)
    this.maxPerKey = Math.max(1, options.maxPerKey ?? MAX_NICKS_PER_KEY)
    this.maxNicks = Math.max(0, options.maxNicks ?? MAX_BOUND_NICKS)
  }

  /** A registry with the bindings of `file` loaded (an empty one if the file does not exist yet). */
  static async open (file?: string, options: NickRegistryOptions = {}): Promise<NickRegistry> {
    const registry = new NickRegistry(file, options)
    if (registry.file !== undefined) registry.loadFrom(await registry.file.load())
    return registry
  }

  /**
   * Replace the reserved nicks (on start and on every reload of the
   * authorized keys). A nick listed for several keys (alice@laptop and
   * alice@phone) is reserved for all of them: one owner, several keys.
   */
  setReserved (entries: Iterable<ReservedNick>): void {
    this.reserved = new Map()
    this.reservedByKey = new Map()
    for (const { nick, publicKey } of entries) {
      const key = encodePublicKey(publicKey)
      const reservation = this.reserved.get(nickKey(nick))
      if (reservation === undefined) this.reserved.set(nickKey(nick), { nick, keys: new Set([key]) })
      else reservation.keys.add(key)
      if (!this.reservedByKey.has(key)) this.reservedByKey.set(key, nick)
    }
  }

  /** Why `publicKey` may not use `nick`, or undefined when it may. */
  check (nick: string, publicKey: Uint8Array): ChatError | undefined {
    if (isGuestNick(nick)) return undefined
    const key = encodePublicKey(publicKey)
    const reservation = this.reserved.get(nickKey(nick))
    if (reservation !== undefined) {
      if (reservation.keys.has(key)) return undefined
      return chatError('ERR_NICK_RESERVED', `the nick ${reservation.nick} is reserved for other keys on this server; choose another nick`)
    }
    const binding = this.bindings.get(nickKey(nick))
    if (binding !== undefined && binding.key !== key) {
      const owner = shortFingerprint(Buffer.from(binding.key, 'base64'))
      return chatError('ERR_NICK_BOUND', `the nick ${binding.nick} belongs to another key (${owner}), the first to use it here; choose another nick`)
    }
    return undefined
  }

  /** True when `nick` is reserved for `publicKey`: such nicks are shown as verified. */
  isReservedFor (nick: string, publicKey: Uint8Array): boolean {
    return this.reserved.get(nickKey(nick))?.keys.has(encodePublicKey(publicKey)) === true
  }

  /** The nick a returning key gets without asking: its reserved nick, else the one it used last. */
  preferredNick (publicKey: Uint8Array): string | undefined {
    const key = encodePublicKey(publicKey)
    const reserved = this.reservedByKey.get(key)
    if (reserved !== undefined) return reserved
    let best: Binding | undefined
    for (const binding of this.bindingsOf(key)) {
      if (best === undefined || binding.lastUsedMs > best.lastUsedMs) best = binding
    }
    return best?.nick
  }

  /** Record that `publicKey` uses `nick` now (the caller checked it first). */
  bind (nick: string, publicKey: Uint8Array, nowMs: number): void {
    if (isGuestNick(nick)) return
    const key = encodePublicKey(publicKey)
    const existing = this.bindings.get(nickKey(nick))
    if (existing === undefined) {
      this.releaseOldestBeyond(key, this.maxPerKey - 1)
      // Past the cap, the oldest unused binding makes room: otherwise a crowd of throwaway keys could fill it for good.
      if (this.bindings.size >= this.maxNicks && !this.evictOldestUnused()) return
    }
    if (existing !== undefined && existing.key !== key) this.unbind(nickKey(nick))
    this.setBinding({ nick, key, lastUsedMs: nowMs })
    this.persist()
  }

  /** Number of bound nicks. */
  get size (): number {
    return this.bindings.size
  }

  /** Resolves once every binding made so far is written. */
  async flush (): Promise<void> {
    await this.file?.flush()
  }

  private bindingsOf (key: string): Binding[] {
    return [...(this.byKey.get(key) ?? [])].map((k) => this.bindings.get(k)!)
  }

  private setBinding (binding: Binding): void {
    const k = nickKey(binding.nick)
    this.bindings.delete(k) // re-inserted at the end: the map stays in order of last use
    this.bindings.set(k, binding)
    let own = this.byKey.get(binding.key)
    if (own === undefined) this.byKey.set(binding.key, own = new Set())
    own.add(k)
  }

  private unbind (k: string): void {
    const binding = this.bindings.get(k)
    if (binding === undefined) return
    this.bindings.delete(k)
    const own = this.byKey.get(binding.key)
    own?.delete(k)
    if (own?.size === 0) this.byKey.delete(binding.key)
  }

  /** Evict the least recently used binding that no member online holds; false when every binding is in use. */
  private evictOldestUnused (): boolean {
    for (const [k, binding] of this.bindings) {
      if (this.isInUse(k)) continue
      this.unbind(k)
      this.onEvict?.(binding)
      return true
    }
    return false
  }

  private releaseOldestBeyond (key: string, keep: number): void {
    const own = this.bindingsOf(key).sort((a, b) => a.lastUsedMs - b.lastUsedMs)
    while (own.length > keep) this.unbind(nickKey(own.shift()!.nick))
  }

  private persist (): void {
    if (this.file === undefined) return
    // Built when the file is written, at most once a second however many joins come in between.
    this.file.save(() => ({
      version: FORMAT_VERSION,
      nicks: [...this.bindings.values()].map((b) => ({ nick: b.nick, key: b.key, lastUsed: new Date(b.lastUsedMs).toISOString() }))
    }))
  }

  private loadFrom (data: unknown): void {
    if (data === undefined) return
    const path = this.file?.path ?? 'nick registry'
    const doc = data as { version?: unknown, nicks?: unknown }
    if (doc === null || typeof doc !== 'object' || doc.version !== FORMAT_VERSION || !Array.isArray(doc.nicks)) {
      throw chatError('ERR_STATE_FILE_INVALID', `${path} is not a version ${FORMAT_VERSION} nick registry`)
    }
    const loaded: Binding[] = []
    for (const [i, entry] of doc.nicks.entries()) {
      const e = entry as { nick?: unknown, key?: unknown, lastUsed?: unknown }
      const lastUsedMs = typeof e.lastUsed === 'string' ? Date.parse(e.lastUsed) : NaN
      if (typeof e.nick !== 'string' || typeof e.key !== 'string' || !/^[A-Za-z0-9+/]{43}=$/.test(e.key) || Number.isNaN(lastUsedMs)) {
        throw chatError('ERR_STATE_FILE_INVALID', `${path}: entry ${i + 1} needs a nick, a base64 key and a lastUsed time`)
      }
      loaded.push({ nick: e.nick, key: e.key, lastUsedMs })
    }
    for (const binding of loaded.sort((a, b) => a.lastUsedMs - b.lastUsedMs)) this.setBinding(binding)
  }
}
