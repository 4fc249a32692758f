/**
 * The servers the bench drives, as the workers see them: how to reach one
 * and which wire it speaks. Plain data, so it crosses the IPC channel.
 */

/** Every server the bench knows, in report order. */
export const TARGET_NAMES = ['ours', 'ngircd', 'ngircd-tls'] as const
export type TargetName = typeof TARGET_NAMES[number]

/** How a member talks to a server. */
export type Protocol = 'ours' | 'irc' | 'irc-tls'

/** Where a running server listens and how to trust it. */
export interface Endpoint {
  protocol: Protocol
  host: string
  port: number
  /** Ours: the server's public key (base64), pinned by every member. */
  serverKey?: string
  /** IRC over TLS: the server's certificate (PEM), the only one trusted. */
  caPem?: string
}

/** A server process the bench started. */
export interface RunningServer {
  target: TargetName
  pid: number
  endpoint: Endpoint
  /** The last lines it printed, for failure reports. */
  output (): string
  /** Stop it (SIGTERM, then SIGKILL after a bound) and remove its files. */
  stop (): Promise<void>
  /** Ours only: the server's own memory figures (after a full garbage collection when `collect`). */
  memory?: (collect: boolean) => Promise<ServerMemory | undefined>
}

/** What a Node server reports of its memory. */
export interface ServerMemory {
  rssBytes: number
  heapUsedBytes: number
  heapTotalBytes: number
  /** Buffers and other memory outside the V8 heap that V8 knows of. */
  externalBytes: number
}

/** What a server is started with. */
export interface StartOptions {
  /** Members the scenario will hold (the server must admit them all). */
  members: number
  /** Run it under `node --cpu-prof`, writing the profile here (ours only). */
  cpuProfileDir?: string
}

/** Labels for tables. */
export const TARGET_LABELS: Record<TargetName, string> = {
  ours: 'noise-chat',
  ngircd: 'ngircd plain',
  'ngircd-tls': 'ngircd TLS'
}

/** The wire each server is driven over. */
export const TARGET_PROTOCOLS: Record<TargetName, Protocol> = {
  ours: 'ours',
  ngircd: 'irc',
  'ngircd-tls': 'irc-tls'
}
