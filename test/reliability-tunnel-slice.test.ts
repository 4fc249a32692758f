import test from 'brittle'
import { attackerAddresses, manyLoopbackAddresses } from '../reliability/lib/loopback.js'
import { startAttack } from '../reliability/lib/scenario.js'
import { sandbox } from '../reliability/lib/server-process.js'
import { TunnelRig, tunnelRoundTrip } from '../reliability/lib/tunnel-rig.js'

/*
 * A slice of `npm run attack`'s tunnel scenarios (docs/RELIABILITY.md):
 * the real tunnel server and client processes, a crowd of stalled and
 * garbage handshakes from other loopback addresses, and legitimate round
 * trips through the tunnel while it runs. Only behaviours decide.
 */

test('a tunnel round trip succeeds every time while other addresses hold stalled and garbage handshakes', async (t) => {
  const box = sandbox('nc-tunnel-slice-')
  const rig = await TunnelRig.start(box)
  t.teardown(async () => { await rig.stop(); box.remove() })
  t.ok((await tunnelRoundTrip(rig.clientPort)).served, 'a round trip before the attack')
  const many = await manyLoopbackAddresses()
  const sources = await attackerAddresses(6)
  const attacks = [
    startAttack({ attack: 'hold', mode: 'silent', port: rig.port, sources, connections: 150, durationMs: 5000, reopenDelayMs: 200, maxAttempts: 3000, openPerSecond: 300 }),
    startAttack({ attack: 'hold', mode: 'garbage', port: rig.port, sources, connections: 40, durationMs: 5000, reopenDelayMs: 100, maxAttempts: 3000, openPerSecond: 100 })
  ]
  t.teardown(() => { for (const a of attacks) if (a.child.exitCode === null) a.child.kill('SIGKILL') })
  await Promise.all(attacks.map((a) => a.ready))
  await new Promise((resolve) => setTimeout(resolve, 600))
  if (many) {
    for (let i = 0; i < 3; i++) {
      const trip = await tunnelRoundTrip(rig.clientPort)
      t.ok(trip.served, `round trip ${i + 1} during the attack (${trip.failure ?? 'echoed'})`)
    }
  }
  const held = await attacks[0]!.result as { closedWithin1s: number }
  await attacks[1]!.result
  t.ok(held.closedWithin1s > 0, 'connections past the per-address share were closed at once')
  t.ok((await tunnelRoundTrip(rig.clientPort)).served, 'a round trip after the attack')
  await rig.stop()
  t.ok(rig.refusals()['refused ERR_TOO_MANY_HANDSHAKES']! > 0, 'the tunnel server logged ERR_TOO_MANY_HANDSHAKES')
  t.ok(/more like this in the last 10 s/.test(rig.serverStderr), 'with the flood of refusals counted, not written one by one')
})
