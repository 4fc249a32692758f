import { EventEmitter, once } from 'node:events'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { DEMO_STEP_TIMEOUT_MS, PYTHON_COMMAND } from '../constants.js'
import { toolError } from '../errors.js'
import { SAID_BY_ALICE, SAID_BY_BOBBY, type DemoClaim } from './demo.js'
import { checkOriginalDir, startOriginalClient, startOriginalServer, type OriginalProcess } from './original-chat.js'
import { Tap, type TapConnectionRecord } from './tap.js'

/*
 * `noise-chat demo --original DIR`: the original chat room itself, run
 * unmodified on 127.0.0.1 with two of its clients talking through the tap,
 * and what the tap read. The conversation is the default demo's, so the
 * two can be set side by side (docs/SECURITY.md does).
 *
 * How the original behaves, as observed (and relied on below):
 * - a client's first send is its username alone; the server takes the
 *   first recv() of a new connection as the name, so nothing else may be
 *   sent until the server has printed "New connection. Username: NAME";
 * - the join notice goes only to members already there, and is sent
 *   before the newcomer is added to the list that messages are relayed to;
 * - it never announces a departure (on Linux): a client that exits
 *   sends a FIN, after which the server's recv() returns b'' for ever and
 *   its thread spins; the notice is sent only from the handler of an
 *   exception from recv(), and that handler first calls shutdown(), which
 *   raises ENOTCONN on a reset connection, so its thread dies before the
 *   notice (docs/SECURITY.md shows both). The departed client stays on the
 *   list: alice's next line is still sent towards bobby.
 */

/** What alice asks after bobby's client has exited; the server still sends it towards him. */
export const ASKED_AFTER_LEAVING = 'bobby, are you still there?'

export interface OriginalDemoOptions {
  /** The folder that holds the original's server.py and client.py. */
  dir: string
  /** Where the narration goes. */
  output: Writable
  /** Longest wait for one step (default DEMO_STEP_TIMEOUT_MS). */
  stepTimeoutMs?: number
  /** The Python 3 interpreter (default PYTHON_COMMAND, looked up on PATH). */
  python?: string
  /** Aborting kills the original's processes at once (the CLI aborts on SIGINT and SIGTERM): left behind, its server would run for ever. */
  signal?: AbortSignal
}

/** What the run captured, for callers that check more than the claims. */
export interface OriginalDemoResult {
  claims: DemoClaim[]
  /** The tap's report, exactly as `noise-chat tap` prints it. */
  tapReport: string
  /** Each connection the tap relayed: alice's first, then bobby's. */
  connections: readonly TapConnectionRecord[]
}

/**
 * Run the original chat room through the tap and check what the
 * eavesdropper read. Throws ERR_ORIGINAL_NOT_FOUND when `dir` lacks its
 * files and ERR_PYTHON_NOT_FOUND without python3, before anything starts;
 * a step that fails later counts as a failed claim.
 */
export async function runOriginalDemo (options: OriginalDemoOptions): Promise<OriginalDemoResult> {
  const { dir, output: out } = options
  const timeout = options.stepTimeoutMs ?? DEMO_STEP_TIMEOUT_MS
  const python = options.python ?? PYTHON_COMMAND
  await checkOriginalDir(dir)
  const { server, port } = await startOriginalServer(dir, timeout, python)
  const report = new Collector()
  const tap = new Tap({ listen: { host: '127.0.0.1', port: 0 }, to: { host: '127.0.0.1', port }, output: report, capture: true })
  const clients: OriginalProcess[] = []
  const claims: DemoClaim[] = []
  const killAll = (): void => { for (const p of [server, ...clients]) p.kill() }
  options.signal?.addEventListener('abort', killAll, { once: true })
  if (options.signal?.aborted === true) killAll()
  const check = (text: string, ok: boolean, detail?: string): void => {
    claims.push(detail === undefined ? { scene: 1, text, ok } : { scene: 1, text, ok, detail })
    out.write(`[${ok ? 'ok' : 'FAILED'}] ${text}${ok || detail === undefined ? '' : ` (${detail})`}\n`)
  }
  try {
    const tapPort = (await tap.listen()).port
    out.write('noise-chat demo --original: the original chat room, run as it is, and what an eavesdropper reads.\n\n')
    out.write(`Its server (${join(dir, 'server.py')}, run by ${python}) was asked for port 0 and,\n`)
    out.write(`through our launcher, bound 127.0.0.1:${port}. The tap listens on 127.0.0.1:${tapPort} and\n`)
    out.write('relays every byte to it; both clients connect to the tap. alice and bobby join and say\n')
    out.write('one line each; bobby closes his client; alice asks whether he is still there; then her\n')
    out.write('client and the server are closed.\n\n')
    let conversed = true
    try {
      await converse(dir, python, tapPort, server, tap, clients, timeout)
    } catch (err) {
      conversed = false
      check('the conversation ran to its end', false, (err as Error).message)
    }
    for (const c of clients) await c.stop()
    await server.stop()
    await tap.close()
    showTerminals(out, [server, ...clients])
    out.write('What the eavesdropper saw (the tap\'s report, as `noise-chat tap` prints it):\n\n')
    out.write(indent(report.text(), '  ') + '\n')
    if (conversed) checkCapture(tap.connections(), check)
    const failed = claims.filter((c) => !c.ok).length
    out.write(`\n${claims.length - failed} of ${claims.length} claims hold${failed === 0 ? '.' : `; ${failed} FAILED.`}\n`)
    return { claims, tapReport: report.text(), connections: tap.connections() }
  } finally {
    options.signal?.removeEventListener('abort', killAll)
    killAll()
    await tap.close().catch(() => {})
  }
}

/** The conversation, each step waiting for its effect to show. */
async function converse (dir: string, python: string, tapPort: number, server: OriginalProcess, tap: Tap, clients: OriginalProcess[], timeout: number): Promise<void> {
  // Connections whose client closed its side (a FIN, which the tap passes on as one).
  const ended = new Set<number>()
  tap.on('half-close', (id: number, direction: string) => { if (direction === 'client-to-server') ended.add(id) })
  const alice = startOriginalClient(dir, tapPort, 'alice', python)
  clients.push(alice)
  // The server reads the username with one recv(): until it has, anything more would run into the name.
  await server.waitStdout('New connection. Username: alice', timeout)
  const bobby = startOriginalClient(dir, tapPort, 'bobby', python)
  clients.push(bobby)
  await alice.waitStdout('New person joined the room. Username: bobby', timeout)
  // The server sends the join notice before it lists bobby, and lists him just before it starts his
  // thread (main, alice's, bobby's): until then alice's line would not be relayed to him.
  await server.waitThreads(3, timeout)
  alice.type(SAID_BY_ALICE)
  await bobby.waitStdout(`alice - ${SAID_BY_ALICE}`, timeout)
  bobby.type(SAID_BY_BOBBY)
  await alice.waitStdout(`bobby - ${SAID_BY_BOBBY}`, timeout)

  await bobby.stop()
  await until(() => ended.has(2), [tap], 'bobby\'s close to reach the tap', timeout)
  alice.type(ASKED_AFTER_LEAVING)
  await until(() => sentTowards(tap, 2, ASKED_AFTER_LEAVING), [tap], 'the server to send alice\'s question towards bobby', timeout)
}

/** The claims, checked on every byte the tap relayed. */
function checkCapture (connections: readonly TapConnectionRecord[], check: (text: string, ok: boolean, detail?: string) => void): void {
  const [alice, bobby] = connections
  if (alice === undefined || bobby === undefined) {
    check('the tap relayed both clients', false, `it saw ${connections.length} connection(s)`)
    return
  }
  const up = (r: TapConnectionRecord): string => Buffer.concat(r.chunks['client-to-server']).toString('utf8')
  const down = (r: TapConnectionRecord): string => Buffer.concat(r.chunks['server-to-client']).toString('utf8')
  const all = [alice, bobby].map((r) => up(r) + down(r)).join('')
  check('the eavesdropper read each username: each connection\'s first bytes are the name alone',
    up(alice).startsWith('alicealice - ') && up(bobby).startsWith('bobbybobby - '))
  check('the eavesdropper read every message, each with its sender\'s name ("alice - ...")',
    all.includes(`alice - ${SAID_BY_ALICE}`) && all.includes(`bobby - ${SAID_BY_BOBBY}`))
  check('the eavesdropper read the join notice ("New person joined the room. Username: bobby")',
    down(alice).includes('New person joined the room. Username: bobby'))
  check('the eavesdropper saw bobby leave (his FIN), and that the server never told alice: it still sent her question to him',
    !down(alice).includes('left the room') && down(bobby).endsWith(`alice - ${ASKED_AFTER_LEAVING}`))
  // What alice's client sent is exactly her name and her lines, back to back: nothing frames them.
  const sentByAlice = up(alice)
  const framed = sentByAlice === ['alice', `alice - ${SAID_BY_ALICE}`, `alice - ${ASKED_AFTER_LEAVING}`].join('')
  check('no framing: alice\'s bytes are her name, then "alice - TEXT" per line, with no length and no newline', framed,
    `she sent ${JSON.stringify(sentByAlice)}`)
}

function showTerminals (out: Writable, processes: OriginalProcess[]): void {
  out.write('What each terminal printed (what was typed at its prompts is not echoed through a pipe):\n\n')
  for (const p of processes) {
    out.write(`  ${p.name}:\n`)
    out.write(indent(p.stdout().replace(/\n+$/, ''), '    ') + '\n\n')
    if (p.stderr().trim() !== '') out.write(`  ${p.name}, on stderr:\n` + indent(p.stderr().replace(/\n+$/, ''), '    ') + '\n\n')
  }
}

/** Whether the tap relayed `text` from the server on `connection` (from 1). */
function sentTowards (tap: Tap, connection: number, text: string): boolean {
  const record = tap.connections()[connection - 1]
  return record !== undefined && Buffer.concat(record.chunks['server-to-client']).includes(text)
}

/** Wait until `check` holds, re-checking whenever one of `sources` reports something. */
async function until (check: () => boolean, sources: EventEmitter[], what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    const left = deadline - Date.now()
    if (left <= 0) throw toolError('ERR_DEMO_CLAIM_FAILED', `timed out waiting for ${what}`)
    const controller = new AbortController()
    const events = sources.flatMap((s) => ['change', 'chunk', 'half-close', 'close'].map((name) => once(s, name, { signal: controller.signal })))
    await Promise.race([...events, new Promise((resolve) => setTimeout(resolve, left).unref())]).catch(() => {})
    controller.abort()
  }
}

/** A Writable that keeps what it is given (the tap's report). */
class Collector extends Writable {
  private readonly parts: string[] = []
  override _write (chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.parts.push(chunk.toString('utf8'))
    callback()
  }

  text (): string { return this.parts.join('') }
}

function indent (text: string, prefix: string): string {
  return text.split('\n').map((line) => line === '' ? line : prefix + line).join('\n')
}
