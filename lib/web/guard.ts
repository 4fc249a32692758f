import { timingSafeEqual } from 'node:crypto'
import type { ToolErrorCode } from '../errors.js'

/*
 * Who may use the bridge. It listens on 127.0.0.1, but that is not enough:
 * any web page the user visits can make the browser send requests there.
 * - Host must name the bridge itself (127.0.0.1:PORT or localhost:PORT):
 *   a page of evil.example whose name was re-pointed at 127.0.0.1 (DNS
 *   rebinding) sends `Host: evil.example`.
 * - Origin must be the bridge's own: browsers always send it on a
 *   WebSocket and no page can forge it, so a foreign page is refused even
 *   if it learnt the token.
 * - The token (in the URL the CLI printed, after '#', so it never appears
 *   in a request line, a log or a Referer) must come with the WebSocket:
 *   other users and programs on the machine can reach 127.0.0.1 too.
 */

/** The request headers and URL the checks look at. */
export interface RequestFacts {
  host: string | undefined
  origin: string | undefined
  /** The request target, path and query (`/ws?token=...`). */
  url: string | undefined
}

/** The bridge's port and token. */
export interface BridgeIdentity {
  port: number
  token: string
}

/** True when `host` (the Host header) names the bridge: 127.0.0.1:PORT or localhost:PORT. */
export function isOwnHost (host: string | undefined, port: number): boolean {
  if (host === undefined) return false
  const h = host.toLowerCase()
  return h === `127.0.0.1:${port}` || h === `localhost:${port}`
}

/** True when `origin` is a page of the bridge itself. */
export function isOwnOrigin (origin: string | undefined, port: number): boolean {
  if (origin === undefined) return false
  const o = origin.toLowerCase()
  return o === `http://127.0.0.1:${port}` || o === `http://localhost:${port}`
}

/** True when `given` is the token, compared in constant time. */
export function isToken (given: string | null | undefined, token: string): boolean {
  if (typeof given !== 'string') return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.byteLength === b.byteLength && timingSafeEqual(a, b)
}

/** Why a WebSocket upgrade is refused, or undefined when it may proceed. Pure. */
export function upgradeRefusal (req: RequestFacts, bridge: BridgeIdentity): ToolErrorCode | undefined {
  if (!isOwnHost(req.host, bridge.port)) return 'ERR_WEB_HOST'
  if (!isOwnOrigin(req.origin, bridge.port)) return 'ERR_WEB_ORIGIN'
  const url = new URL(req.url ?? '/', 'http://127.0.0.1')
  if (url.pathname !== '/ws' || !isToken(url.searchParams.get('token'), bridge.token)) return 'ERR_WEB_TOKEN'
  return undefined
}
