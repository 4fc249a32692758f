import test from 'brittle'
import { formatHostPort, parseListen, parseTarget } from '../lib/net/host-port.js'

test('a target needs host and port; IPv6 goes in brackets', (t) => {
  t.alike(parseTarget('127.0.0.1:7000'), { host: '127.0.0.1', port: 7000 })
  t.alike(parseTarget('localhost:1'), { host: 'localhost', port: 1 })
  t.alike(parseTarget('[::1]:65535'), { host: '::1', port: 65535 })
})

test('a bad target is a usage error that quotes it', (t) => {
  for (const bad of ['7000', '127.0.0.1', '127.0.0.1:', 'host:70000', 'host:0', '::1:7000', ':7000', 'h:7x']) {
    try {
      parseTarget(bad)
      t.fail(`accepted '${bad}'`)
    } catch (err) {
      const e = err as Error & { code?: string }
      t.is(e.code, 'ERR_USAGE', bad)
      t.ok(e.message.includes(`'${bad}'`), `quotes '${bad}'`)
    }
  }
})

test('a listen address may omit the host, and port 0 asks for any port', (t) => {
  t.alike(parseListen('7000', '127.0.0.1'), { host: '127.0.0.1', port: 7000 })
  t.alike(parseListen('0.0.0.0:0', '127.0.0.1'), { host: '0.0.0.0', port: 0 })
  t.alike(parseListen('[::1]:9', '127.0.0.1'), { host: '::1', port: 9 })
  t.exception(() => parseListen('abc', '127.0.0.1'), /valid port/)
})

test('formatHostPort brackets IPv6 hosts', (t) => {
  t.is(formatHostPort({ host: '::1', port: 5 }), '[::1]:5')
  t.is(formatHostPort({ host: '127.0.0.1', port: 5 }), '127.0.0.1:5')
})
