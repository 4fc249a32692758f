import { join } from 'node:path'
import { DEFAULT_SERVER_KEY_FILE, EXIT_OK } from '../constants.js'
import { UsageError, identityError } from '../errors.js'
import { errorCode, readSmallFile } from '../identity/files.js'
import { checkPrivateKeyFileMode, isPrivateKeyFileText, parsePrivateKeyFile, parsePublicKeyFile } from '../identity/key-file.js'
import { encodePublicKey, fingerprint, parsePublicKey } from '../secure/keypair.js'
import { defaultPaths } from '../identity/paths.js'
import { parseOptions } from './parse-options.js'
import type { CliCommand, CliIO } from './command.js'

const USAGE = `Usage: noise-chat fingerprint [FILE | KEY | --server]

Print the fingerprint and the public key of:
  - a private key file (as written by keygen; refused if others can read it),
  - a public key file (FILE.pub, or any file whose first line is KEY [COMMENT]),
  - a public key given as base64 on the command line.
Without an argument: your own key ($XDG_CONFIG_HOME/noise-chat/id_x25519).
With --server: this machine's server key, the one 'noise-chat server',
'listen' and 'tunnel --listen' use without --key
($XDG_CONFIG_HOME/noise-chat/server_x25519): run it on the server to read
out the fingerprint its users must compare.

The fingerprint is SHA256: followed by the unpadded base64 of the SHA-256
of the key's 32 bytes, as OpenSSH writes them; anyone can recompute it
(this prints the same SHA256:... string; KEY is the base64 public key):
  echo "SHA256:\$(echo KEY | base64 -d | openssl dgst -sha256 -binary | base64 | tr -d =)"
Compare fingerprints over a channel you trust (in person, by phone) before
trusting a key. Give the public key line to a server's operator for their
authorized_keys.

Output:
  fingerprint: SHA256:...
  public key:  <base64>
  comment:     <the key's comment, when it has one>

Examples:
  noise-chat fingerprint
  noise-chat fingerprint --server
  noise-chat fingerprint ./server.key
  noise-chat fingerprint ~/.config/noise-chat/id_x25519.pub
  noise-chat fingerprint 9w3lUq1Tbn0bCk6Vh3JYwXjK6vT7pZ0qL1uUq6z4bkE=
`

async function run (args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseOptions(args, { server: { type: 'boolean' } }, { names: ['FILE or KEY'], min: 0 })
  const given = positionals[0]
  if (given !== undefined && values.server === true) throw new UsageError('give either --server or a FILE or KEY, not both')
  const key = values.server === true
    ? await fromFile(join(defaultPaths(io.env).dir, DEFAULT_SERVER_KEY_FILE), 'server')
    : given === undefined ? await fromFile(defaultPaths(io.env).keyFile, 'own') : await fromArgument(given)
  const lines = [
    `fingerprint: ${fingerprint(key.publicKey)}`,
    `public key:  ${encodePublicKey(key.publicKey)}`
  ]
  if (key.comment !== '') lines.push(`comment:     ${key.comment}`)
  io.stdout.write(lines.join('\n') + '\n')
  return EXIT_OK
}

interface Shown { publicKey: Buffer, comment: string }

async function fromArgument (given: string): Promise<Shown> {
  if (/^[A-Za-z0-9+/]{43}=$/.test(given.trim())) return { publicKey: parsePublicKey(given), comment: '' }
  if (given.startsWith('SHA256:')) throw new UsageError(`'${given}' is already a fingerprint; give a key file or a base64 public key`)
  return fromFile(given, 'given')
}

async function fromFile (path: string, which: 'own' | 'server' | 'given'): Promise<Shown> {
  let file
  try {
    file = await readSmallFile(path)
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err
    if (which === 'own') throw identityError('ERR_KEY_FILE_MISSING', `you have no key yet (nothing at '${path}'); create one with: noise-chat keygen`, err)
    if (which === 'server') throw identityError('ERR_KEY_FILE_MISSING', `this machine has no server key yet (nothing at '${path}'); 'noise-chat server' creates it on its first start. For a server started with --key FILE, run: noise-chat fingerprint FILE`, err)
    throw new UsageError(`'${path}' is neither an existing file nor a public key (44 characters of base64)`)
  }
  if (isPrivateKeyFileText(file.text)) {
    checkPrivateKeyFileMode(file.stat.mode, path)
    const { keyPair, comment } = parsePrivateKeyFile(file.text, path)
    return { publicKey: keyPair.publicKey, comment }
  }
  return parsePublicKeyFile(file.text, path)
}

/** `noise-chat fingerprint`: show a key's fingerprint. */
export const fingerprintCommand: CliCommand = {
  name: 'fingerprint',
  summary: 'print the fingerprint and public key of a key file or key',
  usage: USAGE,
  run
}
