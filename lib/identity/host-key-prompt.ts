import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import { identityError } from '../errors.js'
import { fingerprint, parsePublicKey } from '../secure/keypair.js'
import { SERVER_FINGERPRINT_HINT } from './host-key-verifier.js'
import type { AskHostKey, HostKeyQuestion } from './host-key-verifier.js'

/**
 * An `ask` function for a person at a terminal: shows the unknown server's
 * fingerprint on `output` and reads lines from `input`. `yes` (or `y`), or
 * the same fingerprint (or public key) pasted, trusts the key; `no`, an
 * empty line or the end of input declines it; a fingerprint or key that is
 * not the server's throws ERR_HOST_KEY_MISMATCH showing both; anything
 * else asks again. It stops reading after the answer's line, so on a
 * terminal (where lines arrive one at a time) the caller can hand `input`
 * to the chat afterwards and lose nothing typed later.
 *
 * There is no time limit: by the time it is asked, the connection that
 * showed the key is closed (see openWithHostKeyPolicy).
 */
export function askOnTerminal (io: { input: Readable, output: Writable }): AskHostKey {
  return (question) => new Promise<boolean>((resolve, reject) => {
    const rl = createInterface({ input: io.input, terminal: false })
    let answered = false
    const settle = (finish: () => void): void => {
      answered = true
      rl.close()
      finish()
    }
    rl.on('line', (line) => {
      const answer = readAnswer(line, question)
      if (answer === 'again') return void io.output.write("Please type 'yes', 'no' or the fingerprint: ")
      if (answer instanceof Error) return settle(() => reject(answer))
      settle(() => resolve(answer))
    })
    rl.once('close', () => {
      if (!answered) resolve(false)
    })
    io.output.write(hostKeyPromptText(question))
  })
}

/** The question askOnTerminal shows. Pure. */
export function hostKeyPromptText (q: HostKeyQuestion): string {
  return [
    `The server ${q.address} is not in your known hosts.`,
    `Its key fingerprint is ${q.fingerprint}.`,
    'Trust it only if that is the fingerprint its operator gave you.',
    SERVER_FINGERPRINT_HINT,
    'Take your time: the connection was closed and is opened again after a yes.',
    `Trust this key and record it in ${q.knownHostsFile}? (yes/no/[fingerprint]) `
  ].join('\n')
}

/** What one answer line means: yes, no, a mismatch, or not an answer. Pure. */
export function readAnswer (line: string, q: HostKeyQuestion): boolean | Error | 'again' {
  const a = line.trim()
  if (/^y(es)?$/i.test(a)) return true
  if (a === '' || /^no?$/i.test(a)) return false
  const typed = typedFingerprint(a)
  if (typed === undefined) return 'again'
  if (typed === q.fingerprint) return true
  return identityError('ERR_HOST_KEY_MISMATCH', [
    `the fingerprint you typed does not match the key of ${q.address}; nothing was recorded.`,
    `  you typed:        ${a}`,
    `  the server's key: ${q.fingerprint}`,
    'Check it again with the server\'s operator; if they differ, someone may be intercepting this connection.'
  ].join('\n'))
}

/** The fingerprint an answer names: a SHA256: fingerprint as typed, or a public key's; undefined for other text. */
function typedFingerprint (answer: string): string | undefined {
  if (answer.startsWith('SHA256:')) return answer
  if (!/^[A-Za-z0-9+/]{43}=$/.test(answer)) return undefined
  try {
    return fingerprint(parsePublicKey(answer))
  } catch {
    return undefined
  }
}
