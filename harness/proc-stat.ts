/**
 * A process's CPU time and resident memory, from /proc (Linux): what a
 * server under test used, whatever it is written in. NaN where /proc is
 * missing or the process is gone, so a report shows a gap, not a crash.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** Clock ticks per second of /proc/PID/stat's times (USER_HZ), asked once of the system; 100 where it cannot say. */
export const TICKS_PER_SECOND = ticksPerSecond()

/** User + system CPU seconds `pid` has used so far; NaN when unknown. */
export function cpuSeconds (pid: number | undefined): number {
  if (pid === undefined) return NaN
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(rest[11]) + Number(rest[12])) / TICKS_PER_SECOND
  } catch {
    return NaN
  }
}

/** Resident set size of `pid` in KiB (VmRSS); NaN when unknown. */
export function rssKiB (pid: number | undefined): number {
  if (pid === undefined) return NaN
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match === null ? NaN : Number(match[1])
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
