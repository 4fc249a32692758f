import { lstat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { EXIT_OK } from '../constants.js'
import { identityError, isNoiseChatError } from '../errors.js'
import { defaultKeyComment, writeKeyFile } from '../identity/key-file.js'
import { encodePublicKey, fingerprint, generateKeyPair } from '../secure/keypair.js'
import { defaultPaths } from '../identity/paths.js'
import { shellQuote } from '../identity/shell-quote.js'
import { parseOptions } from './parse-options.js'
import type { CliCommand, CliIO } from './command.js'

const USAGE = `Usage: noise-chat keygen [-f FILE] [-C COMMENT] [--force]

Create a new key pair: the identity other people's known_hosts and
authorized_keys recognise you by. The private key is written to FILE with
mode 0600 (readable by you alone), the public key to FILE.pub. Both are
written atomically: no half-written key ever exists. An existing key is
never replaced without --force.

Options:
  -f, --file FILE         where to write the private key
                          (default: $XDG_CONFIG_HOME/noise-chat/id_x25519,
                          or ~/.config/noise-chat/id_x25519)
  -C, --comment COMMENT   a note stored with the key, usually its owner
                          (default: USER@HOST). Pasted into a server's
                          authorized_keys, its first word up to '@' is the
                          name the chat reserves for this key.
      --force             replace an existing key. Everyone who trusts the
                          old key will refuse the new one until they update.

Prints where the files are, the public key (give it to server operators)
and its fingerprint (read it out to people who check it).

Examples:
  noise-chat keygen
  noise-chat keygen -C alice
  noise-chat keygen -f ./server.key -C chat-server
  noise-chat keygen -f ./server.key --force
`

async function run (args: string[], io: CliIO): Promise<number> {
  const { values } = parseOptions(args, {
    file: { type: 'string', short: 'f' },
    comment: { type: 'string', short: 'C' },
    force: { type: 'boolean' }
  }, { names: [], min: 0 })
  const path = values.file === undefined ? defaultPaths(io.env).keyFile : resolve(values.file)
  const overwrite = values.force === true
  if (!overwrite && await exists(path)) throw keyExists(path)
  const keyPair = generateKeyPair()
  let written
  try {
    written = await writeKeyFile(path, keyPair, { comment: values.comment ?? defaultKeyComment(io.env), overwrite })
  } catch (err) {
    if (isNoiseChatError(err, 'ERR_KEY_FILE_EXISTS')) throw keyExists(path)
    throw err
  }
  io.stdout.write([
    `Wrote private key: ${written.path} (mode 0600, keep it secret)`,
    `Wrote public key:  ${written.publicKeyPath}`,
    `public key:  ${encodePublicKey(keyPair.publicKey)}`,
    `fingerprint: ${fingerprint(keyPair.publicKey)}`,
    ''
  ].join('\n'))
  return EXIT_OK
}

function keyExists (path: string): Error {
  return identityError('ERR_KEY_FILE_EXISTS', [
    `a key already exists at '${path}' and was left as it is.`,
    `To see it: noise-chat fingerprint ${shellQuote(path)}`,
    'To replace it, add --force (whoever trusts the old key will refuse the new one); to make another key, give -f FILE.'
  ].join('\n'))
}

async function exists (path: string): Promise<boolean> {
  try {
    await lstat(path)
    return true
  } catch {
    return false
  }
}

/** `noise-chat keygen`: create a key pair. */
export const keygenCommand: CliCommand = {
  name: 'keygen',
  summary: 'create a key pair (private key 0600, public key in FILE.pub)',
  usage: USAGE,
  run
}
