/** CPU time a process has used, from /proc (Linux); NaN elsewhere or once it is gone. */
import { readFileSync } from 'node:fs'

/** Clock ticks per second of /proc/PID/stat: 100 on every Linux we run on. */
const TICKS_PER_SECOND = 100

/** User + system CPU seconds of `pid`. */
export function cpuSeconds (pid: number | undefined): number {
  if (pid === undefined) return NaN
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  } catch {
    return NaN
  }
}
