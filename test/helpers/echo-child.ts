// A child process that speaks the secure stream on its stdin/stdout as the
// responder and echoes back what it reads, upper-cased. Its static public
// key is printed on stderr as the first line so the parent can pin it.
import { Duplex } from 'node:stream'
import { SecureStream } from '../../lib/secure/secure-stream.js'
import { acceptAnyKey } from '../../lib/secure/options.js'
import { generateKeyPair } from '../../lib/secure/keypair.js'

const keyPair = generateKeyPair()
process.stderr.write(keyPair.publicKey.toString('base64') + '\n')
const raw = Duplex.from({ readable: process.stdin, writable: process.stdout })
const stream = new SecureStream(false, raw, { keyPair, verify: acceptAnyKey })
stream.on('data', (data: unknown) => { stream.write(Buffer.from((data as Buffer).toString('utf8').toUpperCase())) })
stream.on('end', () => stream.end())
stream.on('error', (err: Error & { code?: string }) => {
  process.stderr.write(`child error ${err.code}\n`)
  process.exitCode = 1
})
