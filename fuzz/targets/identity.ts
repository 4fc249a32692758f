import { createHash } from 'node:crypto'
import { IDENTITY_CODES, isNoiseChatError } from '../../lib/errors.js'
import { parseAuthorizedKeys } from '../../lib/identity/authorized-keys.js'
import { formatPrivateKeyFile, formatPublicKeyLine, parsePrivateKeyFile, parsePublicKeyFile } from '../../lib/identity/key-file.js'
import { keyPairFromSecretKey } from '../../lib/secure/keypair.js'
import { formatKnownHostLine, parseKnownHosts } from '../../lib/identity/known-hosts.js'
import { mutate, randomInput } from '../mutate.js'
import type { Rng } from '../rng.js'
import { caseBytes, check, makeCase, type FuzzCase, type FuzzTarget } from '../target.js'

/**
 * The identity file parsers: known_hosts, authorized_keys, private key
 * files and .pub files, on mutated valid files. Each either parses or
 * throws an IdentityError with its file's code; an error about a private
 * key file never quotes the secret; and what known_hosts accepts writes
 * back (formatKnownHostLine) to lines that parse to the same entries.
 */

const key = (label: string): ReturnType<typeof keyPairFromSecretKey> => keyPairFromSecretKey(createHash('sha256').update(`noise-chat fuzz identity ${label}`).digest())
const A = key('a')
const B = key('b')
const C = key('c')
const SECRET = A.secretKey.toString('base64')

const KINDS = ['known_hosts', 'authorized_keys', 'private key', 'public key'] as const

const SEEDS: Buffer[][] = [
  [
    '# known hosts\n',
    formatKnownHostLine('chat.example.org', 7373, A.publicKey, 'added 2024-05-01') + '\n',
    formatKnownHostLine('127.0.0.1', 7777, B.publicKey) + '\n',
    formatKnownHostLine('::1', 1, C.publicKey, 'loopback') + '\r\n',
    formatKnownHostLine('fe80::1', 65535, A.publicKey) + '\n\n'
  ].join(''),
  `${A.publicKey.toString('base64')} alice@laptop\n# comment\n${B.publicKey.toString('base64')} bob\r\n\n${C.publicKey.toString('base64')}\n`,
  formatPrivateKeyFile(A, 'alice@laptop'),
  formatPublicKeyLine(B.publicKey, 'bob@desk') + '\n'
].map((text) => [Buffer.from(text)])

const TOKENS = ['\n', '\r\n', ' ', '\t', '#', ':', '[', ']', '=', '/', '+', 'secret: ', 'public: ', 'comment: ', ':0', ':65536', '[::1]:', '\u0000', '\u00e9']
  .map((t) => Buffer.from(t))
const ALL = SEEDS.map((s) => s[0]!)

function generate (rng: Rng): FuzzCase {
  const kind = rng.int(KINDS.length)
  const bytes = rng.chance(0.05)
    ? randomInput(rng, 'bytes', 300)
    : mutate(rng, ALL[kind]!, { structure: 'lines', dictionary: TOKENS, others: ALL })
  return makeCase(bytes, [], { kind })
}

function run (input: FuzzCase): string {
  const kind = KINDS[input.params['kind'] ?? 0] ?? 'known_hosts'
  const text = caseBytes(input).toString('utf8')
  try {
    parse(kind, text)
  } catch (err) {
    check(isNoiseChatError(err) && err.code in IDENTITY_CODES, () => `${kind}: an uncoded error: ${String(err)}`)
    const expected = kind === 'known_hosts' || kind === 'authorized_keys' ? 'ERR_TRUST_FILE_INVALID' : 'ERR_KEY_FILE_INVALID'
    check(err.code === expected, () => `${kind}: ${err.code}, expected ${expected}`)
    if (kind === 'private key') check(!quotesSecret(err), 'an error about a private key file quotes its secret')
    return `${kind}: ${err.code}`
  }
  return `${kind}: parsed`
}

function parse (kind: typeof KINDS[number], text: string): void {
  switch (kind) {
    case 'known_hosts': {
      const entries = parseKnownHosts(text, 'known_hosts')
      const again = parseKnownHosts(entries.map((e) => formatKnownHostLine(e.host, e.port, e.publicKey, e.comment)).join('\n'), 'rewritten')
      check(again.length === entries.length, 'known_hosts written back has another number of entries')
      again.forEach((e, i) => {
        const o = entries[i]!
        check(e.host === o.host && e.port === o.port && e.publicKey.equals(o.publicKey) && e.comment === o.comment,
          () => `known_hosts entry ${i} does not survive being written back: ${JSON.stringify([o.host, o.port, o.comment])} -> ${JSON.stringify([e.host, e.port, e.comment])}`)
      })
      return
    }
    case 'authorized_keys': {
      const entries = parseAuthorizedKeys(text, 'authorized_keys')
      const ids = new Set(entries.map((e) => e.publicKey.toString('base64')))
      check(ids.size === entries.length, 'authorized_keys accepted a key twice')
      return
    }
    case 'private key':
      parsePrivateKeyFile(text, 'id_x25519')
      return
    case 'public key':
      parsePublicKeyFile(text, 'id_x25519.pub')
  }
}

/** True when the error (or its cause) shows 12 or more characters of the secret in a row. */
function quotesSecret (err: Error): boolean {
  const said = `${err.message} ${String((err.cause as Error | undefined)?.message ?? '')}`
  for (let i = 0; i + 12 <= SECRET.length; i++) {
    if (said.includes(SECRET.slice(i, i + 12))) return true
  }
  return false
}

/** The identity file parsers. */
export const identityTarget: FuzzTarget = {
  name: 'identity-files',
  description: 'known_hosts, authorized_keys, private and public key file parsers',
  share: 40_000,
  timeoutMs: 2_000,
  generate,
  run
}
