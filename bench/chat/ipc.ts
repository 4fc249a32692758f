/**
 * The messages between the controller and its worker processes. Each
 * request carries an id; the worker answers it once, with the same id.
 */
import type { TallyReport } from './tally.js'
import type { Endpoint } from './target.js'

/** Connect these members (global indices) and join each to the room. */
export interface ConnectRequest { type: 'connect', id: number, endpoint: Endpoint, members: number[], concurrency: number }
/**
 * Run step `step`: the senders share `rate` msg/s in all (schedule.ts),
 * from `startAtUs` (monotonic clock) for `durationMs`; this worker sends
 * for those it holds. `senderMembers[sid]` is the member index of sender
 * sid (all senders, so receivers know whose echo is whose). Answered when
 * sending is done.
 */
export interface StepRequest { type: 'step', id: number, step: number, senderMembers: number[], rate: number, durationMs: number, startAtUs: number }
/** How far along: deliveries of this step, join lines, live members. */
export interface ProgressRequest { type: 'progress', id: number }
/** Everything counted in this step. */
export interface ReportRequest { type: 'report', id: number }
/** Leave cleanly, then exit. */
export interface CloseRequest { type: 'close', id: number }

export type WorkerRequest = ConnectRequest | StepRequest | ProgressRequest | ReportRequest | CloseRequest

export interface ConnectReply { type: 'connect', id: number, joined: number, failed: number, errors: string[] }
export interface StepReply {
  type: 'step'
  id: number
  /** Messages sent by each sender id (0 for senders held elsewhere). */
  sent: number[]
  /** Microseconds from the start to the last message sent. */
  sendingUs: number
  /** Largest delay between when a message was due and when it was written, microseconds. */
  maxLagUs: number
}
export interface ProgressReply { type: 'progress', id: number, received: number, seen: number, joins: number, live: number }
export interface ReportReply {
  type: 'report'
  id: number
  tally: TallyReport
  live: number
  /** Why members were disconnected (the first few). */
  disconnects: string[]
  disconnected: number
  /** Lines telling a member it did something wrong (the first few), and how many. */
  problems: string[]
  problemCount: number
  /** CPU microseconds this worker used since the last report. */
  cpuUs: number
  /** This worker's event-loop delay since the last report: 99th percentile and largest, ms. */
  loopDelayP99Ms: number
  loopDelayMaxMs: number
}
export interface CloseReply { type: 'close', id: number }
/** A request failed inside the worker. */
export interface ErrorReply { type: 'error', id: number, message: string }

export type WorkerReply = ConnectReply | StepReply | ProgressReply | ReportReply | CloseReply | ErrorReply
