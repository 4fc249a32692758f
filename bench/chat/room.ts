/**
 * One room under test: a fresh server process (ours or ngircd), the
 * worker fleet, and every member joined, with what joining cost the
 * server (wall time, CPU seconds) and its memory before and after.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { Fleet } from './fleet.js'
import { startNgircd } from './ngircd-server.js'
import { startOursServer } from './ours-server.js'
import { readCpuSeconds, readRssBytes } from '../../harness/proc-stat.js'
import type { RunningServer, StartOptions, TargetName } from './target.js'

/** How a room is set up. */
export interface RoomSetup {
  target: TargetName
  members: number
  workers: number
  /** Members each worker connects at once. */
  concurrency: number
  /** Longest the whole join may take. */
  joinTimeoutMs: number
  /** Ours only: run the server under --cpu-prof into this directory. */
  cpuProfileDir?: string
}

/** What joining every member cost. */
export interface JoinFigures {
  members: number
  joined: number
  /** Every member received every join announcement it should (N(N+1)/2 in all). */
  complete: boolean
  wallS: number
  serverCpuS: number
  rssBeforeBytes: number
  rssAfterBytes: number
  /** Ours only: V8 heap used after a full GC before anyone joined (null for other servers). */
  heapBeforeBytes: number | null
  errors: string[]
}

/** How often the join's progress is polled. */
const POLL_MS = 100
/** A join whose announcements stop arriving for this long has stalled. */
const JOIN_STALL_MS = 30_000

/** Join announcements the members receive in all when N join one after another: each hears itself and everyone after. */
export function expectedJoinLines (members: number): number {
  return members * (members + 1) / 2
}

/** Rooms open now: what an interrupted run must stop before it exits. */
export const openRooms = new Set<BenchRoom>()

/** A running server with its members. */
export class BenchRoom {
  readonly setup: RoomSetup
  readonly server: RunningServer
  readonly fleet: Fleet

  private constructor (setup: RoomSetup, server: RunningServer, fleet: Fleet) {
    this.setup = setup
    this.server = server
    this.fleet = fleet
  }

  /** Start the server and the workers, join every member; the room and what joining cost. */
  static async open (setup: RoomSetup): Promise<{ room: BenchRoom, join: JoinFigures }> {
    const options: StartOptions = { members: setup.members, ...(setup.cpuProfileDir === undefined ? {} : { cpuProfileDir: setup.cpuProfileDir }) }
    const server = setup.target === 'ours' ? await startOursServer(options) : await startNgircd(setup.target, options)
    const fleet = Fleet.start(Math.min(setup.workers, setup.members))
    const room = new BenchRoom(setup, server, fleet)
    openRooms.add(room)
    try {
      return { room, join: await room.joinAll() }
    } catch (err) {
      await room.close()
      throw err
    }
  }

  /** Stop the workers (members leave cleanly), then the server. */
  async close (): Promise<void> {
    await this.fleet.stop().catch(() => {})
    await this.server.stop()
    openRooms.delete(this)
  }

  private async joinAll (): Promise<JoinFigures> {
    const { members } = this.setup
    const pid = this.server.pid
    const heapBeforeBytes = (await this.server.memory?.(true))?.heapUsedBytes ?? null
    const rssBeforeBytes = readRssBytes(pid)
    const cpu0 = readCpuSeconds(pid)
    const t0 = performance.now()
    const deadline = t0 + this.setup.joinTimeoutMs
    const connected = await this.fleet.connect(this.server.endpoint, members, this.setup.concurrency)
    const want = expectedJoinLines(members)
    let joins = 0
    let lastChange = performance.now()
    // Members that failed never hear the rest: do not wait for what cannot come.
    while (connected.failed === 0 && performance.now() < deadline && performance.now() - lastChange < JOIN_STALL_MS) {
      const now = (await this.fleet.progress()).joins
      if (now !== joins) lastChange = performance.now()
      joins = now
      if (joins >= want) break
      await sleep(POLL_MS)
    }
    const wallS = (performance.now() - t0) / 1000
    const serverCpuS = readCpuSeconds(pid) - cpu0
    const errors = [...connected.errors]
    if (joins !== want) errors.push(`join announcements received: ${joins} of ${want}`)
    return {
      members, joined: connected.joined, complete: connected.failed === 0 && joins === want,
      wallS, serverCpuS, rssBeforeBytes, rssAfterBytes: readRssBytes(pid), heapBeforeBytes, errors
    }
  }
}
