/**
 * A process's CPU time and resident memory, from /proc (Linux): what a
 * server under test used, whatever it is written in. Two policies over one
 * reader: `cpuSeconds`/`rssKiB` give NaN where /proc is missing or the
 * process is gone, so a report shows a gap, not a crash; `readCpuSeconds`/
 * `readRssBytes` throw, for a benchmark whose figure must not be a gap.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** Clock ticks per second of /proc/PID/stat's times (USER_HZ), asked once of the system; 100 where it cannot say. */
export const TICKS_PER_SECOND = ticksPerSecond()

/** User + system CPU seconds `pid` has used so far; throws when /proc cannot say. */
export function readCpuSeconds (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(rest[11]) + Number(rest[12])) / TICKS_PER_SECOND
}

/** Resident set size of `pid` in bytes (VmRSS); throws when /proc cannot say. */
export function readRssBytes (pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (match === null) throw new Error(`no VmRSS for process ${pid}`)
  return Number(match[1]) * 1024
}

/** User + system CPU seconds `pid` has used so far; NaN when unknown. */
export function cpuSeconds (pid: number | undefined): number {
  if (pid === undefined) return NaN
  try {
    return readCpuSeconds(pid)
  } catch {
    return NaN
  }
}

/** Resident set size of `pid` in KiB (VmRSS); NaN when unknown. */
export function rssKiB (pid: number | undefined): number {
  if (pid === undefined) return NaN
  try {
    return readRssBytes(pid) / 1024
  } catch {
    return NaN
  }
}

function ticksPerSecond (): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
    return n > 0 ? n : 100
  } catch {
    return 100
  }
}
