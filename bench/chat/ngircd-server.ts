/**
 * The IRC server the chat is compared with: ngircd from Debian, installed
 * with apt-get when missing, run in the foreground with a configuration
 * written for the bench: 127.0.0.1 only, no DNS, ident or PAM lookups, no
 * connection limits and its flood penalty off (as ours runs with its rate
 * limit off), plus a TLS port with a certificate made by openssl.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { OutputWatch, stopProcess } from './process-output.js'
import type { RunningServer, StartOptions, TargetName } from './target.js'
import { freePort } from '../../harness/free-port.js'

/** How long ngircd may take to say it is ready (GnuTLS makes DH parameters at start). */
const START_TIMEOUT_MS = 60_000
const STOP_GRACE_MS = 10_000

/** The [Limits] and [Options] lines that matter for the load; the results quote them. */
export const NGIRCD_SETTINGS = [
  'MaxPenaltyTime = 0', 'MaxConnectionsIP = 0', 'MaxConnections = 0', 'MaxJoins = 0',
  'PingTimeout = 600', 'PongTimeout = 600', 'DNS = no', 'Ident = no', 'PAM = no'
] as const

/** Where ngircd is and its version line, installing it with apt-get if needed; throws with the reason when it cannot. */
export function ensureNgircd (log: (line: string) => void): { version: string } {
  const found = ngircdVersion()
  if (found !== undefined) return { version: found }
  if (process.getuid?.() !== 0) throw new Error('ngircd is not installed and installing it needs root: sudo apt-get install -y ngircd')
  log('ngircd is not installed: apt-get install -y ngircd ...')
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  let install = spawnSync('apt-get', ['install', '-y', 'ngircd'], { env, encoding: 'utf8' })
  if (install.status !== 0) {
    log('apt-get install failed; apt-get update, then again ...')
    spawnSync('apt-get', ['update'], { env, encoding: 'utf8' })
    install = spawnSync('apt-get', ['install', '-y', 'ngircd'], { env, encoding: 'utf8' })
  }
  const version = ngircdVersion()
  if (version === undefined) throw new Error(`could not install ngircd: ${(install.stderr ?? '').trim().split('\n').slice(-3).join(' / ')}`)
  return { version }
}

function ngircdVersion (): string | undefined {
  const r = spawnSync('ngircd', ['--version'], { encoding: 'utf8' })
  if (r.status !== 0 || typeof r.stdout !== 'string') return undefined
  return r.stdout.split('\n')[0].trim()
}

/** Start ngircd; `target` says which port the members will use (plain or TLS). */
export async function startNgircd (target: Extract<TargetName, 'ngircd' | 'ngircd-tls'>, _options: StartOptions): Promise<RunningServer> {
  const dir = mkdtempSync(join(os.tmpdir(), 'noise-chat-bench-ngircd-'))
  const stopFiles = (): void => rmSync(dir, { recursive: true, force: true })
  let certPem: string
  try {
    certPem = makeCertificate(dir)
  } catch (err) {
    stopFiles()
    throw err
  }
  const plainPort = await freePort()
  const tlsPort = await freePort()
  const conf = join(dir, 'ngircd.conf')
  writeFileSync(conf, ngircdConfig(dir, plainPort, tlsPort))
  const child = spawn('ngircd', ['-n', '-f', conf], { stdio: ['ignore', 'pipe', 'pipe'] })
  const watch = new OutputWatch(child)
  const stop = async (): Promise<void> => {
    await stopProcess(child, STOP_GRACE_MS)
    stopFiles()
  }
  try {
    await watch.waitFor(/Server "bench\.irc" .*ready/, START_TIMEOUT_MS, child)
    const tls = target === 'ngircd-tls'
    return {
      target,
      pid: child.pid!,
      endpoint: tls
        ? { protocol: 'irc-tls', host: '127.0.0.1', port: tlsPort, caPem: certPem }
        : { protocol: 'irc', host: '127.0.0.1', port: plainPort },
      output: () => watch.tail(),
      stop
    }
  } catch (err) {
    await stop()
    throw err
  }
}

/** A self-signed P-256 certificate for 127.0.0.1, made with the openssl CLI; returns its PEM. */
function makeCertificate (dir: string): string {
  const r = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'
  ], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`openssl could not make the certificate: ${r.error?.message ?? r.stderr}`)
  return readFileSync(join(dir, 'cert.pem'), 'utf8')
}

function ngircdConfig (dir: string, plainPort: number, tlsPort: number): string {
  const [penalty, perIp, total, joins, ping, pong, dns, ident, pam] = NGIRCD_SETTINGS
  return `# Written by noise-chat's bench/chat for one run; removed after it.
[Global]
  Name = bench.irc
  Info = noise-chat bench
  AdminInfo1 = bench
  AdminInfo2 = bench
  AdminEMail = bench@localhost
  Listen = 127.0.0.1
  Ports = ${plainPort}
  MotdPhrase = bench
[Limits]
  ${penalty}
  ${perIp}
  ${total}
  ${joins}
  ${ping}
  ${pong}
[Options]
  ${dns}
  ${ident}
  ${pam}
  ConnectIPv6 = no
[SSL]
  CertFile = ${join(dir, 'cert.pem')}
  KeyFile = ${join(dir, 'key.pem')}
  Ports = ${tlsPort}
`
}
