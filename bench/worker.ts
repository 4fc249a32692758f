/**
 * Entry point of the bench's child processes: the parent forks this file
 * twice per measurement and sends each a 'start' message naming its role.
 * Any failure is sent to the parent as an 'error' message before exiting.
 */
import { Channel } from './channel.js'
import { findImpl } from './impls/index.js'
import type { FromWorker, ToWorker } from './messages.js'
import { runServer } from './server.js'
import { runClient } from './client.js'

/** The worker's link to the parent. */
export type ParentChannel = Channel<ToWorker, FromWorker>

const parent: ParentChannel = new Channel<ToWorker, FromWorker>(process, 'parent')

function report (err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err))
  const message: FromWorker = { type: 'error', message: e.message, stack: e.stack ?? e.message }
  // Exit once the message has left (or at once if the parent is gone).
  if (process.send === undefined || !process.connected) process.exit(1)
  process.send(message, () => process.exit(1))
}

process.on('uncaughtException', report)
process.on('unhandledRejection', report)
process.on('disconnect', () => process.exit(0)) // the parent went away

async function main (): Promise<void> {
  const start = await parent.next('start')
  const impl = findImpl(start.impl)
  if (impl === undefined) throw new Error(`implementation '${start.impl}' is not available`)
  impl.prepare(start.ctx)
  if (start.role === 'server') await runServer(impl, start.figure, start.workload, parent)
  else await runClient(impl, start.figure, start.workload, start.port ?? 0, parent)
  // Exit only when told: a --cpu-prof profile is written on a normal exit.
  await parent.next('exit')
  process.exit(0)
}

main().catch(report)
