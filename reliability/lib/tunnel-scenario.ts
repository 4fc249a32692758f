/**
 * A DoS scenario against the tunnel server: the same frame as the chat
 * server's (scenario.ts), with a legitimate tunnel round trip as the
 * measure: before, again and again during the attack, and after.
 */
import type { AttackSpec } from '../attacker.js'
import type { ProbeResult } from './probe.js'
import { duringAttacks, figures, lateGrowth, RssSampler, type ScenarioFigures } from './scenario.js'
import { tunnelRoundTrip, type TunnelRig } from './tunnel-rig.js'

export interface TunnelScenarioOptions {
  name: string
  rig: TunnelRig
  attacks: AttackSpec[]
  /** After the attackers are ready, wait this long before measuring. */
  rampMs?: number
  /** Measure round trips for at most this long during the attack; then stop the attackers. */
  measureMs: number
  /** After the attack, wait this long before the "after" round trips. */
  settleMs?: number
  /** Pause between two round trips during the attack. */
  gapMs?: number
}

/** Run one tunnel scenario end to end. */
export async function runTunnelScenario (options: TunnelScenarioOptions): Promise<ScenarioFigures> {
  const { rig } = options
  const before = await roundTrips(rig, 3)
  const rssBefore = rig.rssKiB()
  const sampler = new RssSampler(rig)
  const { measured: during, attacker } = await duringAttacks(options.attacks, options, async (attacking) => {
    const results: ProbeResult[] = []
    while (attacking()) {
      results.push(await tunnelRoundTrip(rig.clientPort))
      if (attacking()) await sleep(options.gapMs ?? 100)
    }
    return results
  })
  const duringMax = sampler.maxKiB
  const rssLateGrowthKiB = lateGrowth(sampler.samples)
  await sleep(options.settleMs ?? 2000)
  sampler.stop()
  const after = await roundTrips(rig, 3)
  return {
    name: options.name,
    before,
    during: figures(during, undefined),
    after,
    rssKiB: { before: rssBefore, duringMax, after: rig.rssKiB() },
    rssLateGrowthKiB,
    attacker: attacker.length === 1 ? attacker[0] : attacker,
    serverLog: rig.refusals(),
    serverAlive: rig.alive
  }
}

async function roundTrips (rig: TunnelRig, count: number): Promise<ReturnType<typeof figures>> {
  const samples: ProbeResult[] = []
  for (let i = 0; i < count; i++) samples.push(await tunnelRoundTrip(rig.clientPort))
  return figures(samples, undefined)
}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
