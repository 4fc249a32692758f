import { EventEmitter, once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { randomBytes } from 'node:crypto'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import { WEB_HOST, WEB_MAX_MESSAGE_BYTES, WEB_TOKEN_BYTES } from '../constants.js'
import type { ToolErrorCode } from '../errors.js'
import { loadAssets, type Asset } from './assets.js'
import { isOwnHost, upgradeRefusal } from './guard.js'
import type { BridgeMessage, PageMessage } from './page/wire.js'

/** Where and how the bridge serves. */
export interface WebBridgeOptions {
  /** Port on 127.0.0.1 (0: any free one). */
  port?: number
  /** The page's files (default: the built ones beside this module). */
  assetsDir?: string
  /** The URL token (default: WEB_TOKEN_BYTES random bytes, base64url). */
  token?: string
}

/** A refused request: why, and what it asked for (no token: it is never logged). */
export interface Refusal {
  code: ToolErrorCode
  host: string | undefined
  origin: string | undefined
}

/**
 * The local half of the web client: an HTTP server on 127.0.0.1 that
 * serves the page, and one WebSocket per open page carrying JSON
 * (page/wire.ts). It knows nothing of the chat: the owner sends it
 * messages to broadcast and hears what pages send.
 *
 * `ws` does the WebSocket protocol: framing, masking, fragmentation, close
 * handshake and payload limits are easy to get subtly wrong, and it is the
 * small, dependency-free implementation the Node ecosystem relies on.
 *
 * Events: 'page' (WebSocket) when a page connected (send it a snapshot);
 * 'message' (PageMessage) from any page; 'refused' (Refusal).
 */
export class WebBridge extends EventEmitter {
  readonly token: string
  private readonly server: Server
  private readonly sockets = new WebSocketServer({ noServer: true, maxPayload: WEB_MAX_MESSAGE_BYTES })
  private readonly options: WebBridgeOptions
  private assets = new Map<string, Asset>()
  private port = 0

  constructor (options: WebBridgeOptions = {}) {
    super()
    this.options = options
    this.token = options.token ?? randomBytes(WEB_TOKEN_BYTES).toString('base64url')
    this.server = createServer((req, res) => this.serve(req, res))
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head))
  }

  /** Load the page's files and listen; resolves once listening. */
  async listen (): Promise<void> {
    this.assets = await loadAssets(this.options.assetsDir)
    this.server.listen(this.options.port ?? 0, WEB_HOST)
    await once(this.server, 'listening')
    this.port = (this.server.address() as AddressInfo).port
  }

  /** The page's address, token included (after '#': browsers never send it to a server). */
  get url (): string {
    return `http://${WEB_HOST}:${this.port}/#${this.token}`
  }

  /** Send to one page, or to every open page. */
  send (message: BridgeMessage, to?: WebSocket): void {
    const text = JSON.stringify(message)
    if (to !== undefined) return to.send(text)
    for (const page of this.sockets.clients) page.send(text)
  }

  /** Close every page (with `reason`, shown by the page) and stop listening. */
  async close (reason = 'the noise-chat process ended'): Promise<void> {
    for (const page of this.sockets.clients) page.close(1000, reason.slice(0, 120))
    this.server.close()
    this.server.closeAllConnections()
    const pages = [...this.sockets.clients].map((page) => once(page, 'close'))
    await Promise.race([Promise.all(pages), new Promise((resolve) => setTimeout(resolve, 1000).unref())])
    for (const page of this.sockets.clients) page.terminate()
  }

  private serve (req: IncomingMessage, res: ServerResponse): void {
    if (!isOwnHost(req.headers.host, this.port)) return this.refuseHttp(req, res, 'ERR_WEB_HOST')
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    const asset = this.assets.get(path)
    if ((req.method !== 'GET' && req.method !== 'HEAD') || asset === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n')
      return
    }
    res.writeHead(200, { ...securityHeaders(req.headers.host!), 'content-type': asset.type, 'content-length': asset.body.byteLength })
    res.end(req.method === 'HEAD' ? undefined : asset.body)
  }

  private refuseHttp (req: IncomingMessage, res: ServerResponse, code: ToolErrorCode): void {
    this.emit('refused', { code, host: req.headers.host, origin: req.headers.origin } satisfies Refusal)
    res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end(`refused (${code})\n`)
  }

  private upgrade (req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const code = upgradeRefusal({ host: req.headers.host, origin: req.headers.origin, url: req.url }, { port: this.port, token: this.token })
    if (code !== undefined) {
      this.emit('refused', { code, host: req.headers.host, origin: req.headers.origin } satisfies Refusal)
      socket.end(`HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\nrefused (${code})\n`)
      return
    }
    this.sockets.handleUpgrade(req, socket, head, (page) => {
      page.on('message', (data: RawData, isBinary: boolean) => this.receive(data, isBinary))
      page.on('error', () => page.terminate())
      this.emit('page', page)
    })
  }

  /** A page's message: JSON of one of the PageMessage forms; anything else is ignored. */
  private receive (data: RawData, isBinary: boolean): void {
    if (isBinary) return
    let message: unknown
    try {
      message = JSON.parse(String(data))
    } catch {
      return
    }
    if (isPageMessage(message)) this.emit('message', message)
  }
}

function isPageMessage (value: unknown): value is PageMessage {
  const m = value as Record<string, unknown> | null
  if (typeof m !== 'object' || m === null) return false
  if (m['type'] === 'send') return typeof m['text'] === 'string'
  if (m['type'] === 'answer') return typeof m['fingerprint'] === 'string' && typeof m['trust'] === 'boolean'
  return false
}

/**
 * The page may run only its own script and style, talk only to this
 * bridge's WebSocket, and be framed by nobody; no inline script, no
 * eval, nothing fetched from elsewhere. `host` was checked to be the
 * bridge's own.
 */
function securityHeaders (host: string): Record<string, string> {
  return {
    'content-security-policy': [
      "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'",
      `connect-src ws://${host}`, "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin'
  }
}
