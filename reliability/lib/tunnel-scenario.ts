/**
 * A DoS scenario against the tunnel server: the same frame as the chat
 * server's (scenario.ts), with a legitimate tunnel round trip as the
 * measure: before, again and again during the attack, and after.
 */
import type { AttackSpec } from '../attacker.js'
import type { ProbeResult } from './probe.js'
import { figures, lateGrowth, RssSampler, startAttack, type RunningAttack, type ScenarioFigures } from './scenario.js'
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
  const attacks: RunningAttack[] = []
  for (const spec of options.attacks) {
    const attack = startAttack(spec)
    attacks.push(attack)
    await attack.ready
  }
  await sleep(options.rampMs ?? 500)
  let attacking = true
  const allDone = Promise.allSettled(attacks.map((a) => a.result)).then(() => { attacking = false })
  const window = sleep(options.measureMs).then(() => { attacking = false })
  const during: ProbeResult[] = []
  while (attacking) {
    during.push(await tunnelRoundTrip(rig.clientPort))
    if (attacking) await sleep(options.gapMs ?? 100)
  }
  void window
  for (const a of attacks) a.stop()
  await allDone
  const attacker = await Promise.all(attacks.map((a) => a.result.catch((err: Error) => ({ error: err.message }))))
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
