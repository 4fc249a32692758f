/**
 * Loaded into the real `noise-chat server` process by the bench (`node
 * --expose-gc --import THIS`): it answers the controller's memory
 * questions over the IPC channel, so heap per member can be reported
 * beside RSS. It never keeps the server alive (the channel is unref'd)
 * and touches nothing of the server itself.
 */
interface MemoryQuestion { type: 'memory', id: number, collect: boolean }

const gc = (globalThis as { gc?: () => void }).gc

if (process.send !== undefined) {
  process.on('message', (message: MemoryQuestion) => {
    if (message?.type !== 'memory') return
    if (message.collect) gc?.()
    const usage = process.memoryUsage()
    process.send?.({
      type: 'memory',
      id: message.id,
      memory: { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed, heapTotalBytes: usage.heapTotal, externalBytes: usage.external }
    })
  })
  process.channel?.unref()
}
