import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import type { AskHostKey, HostKeyQuestion } from './host-key-verifier.js'

/**
 * An `ask` function for a person at a terminal: shows the unknown server's
 * fingerprint on `output` and reads one line from `input`. `yes` (or `y`),
 * or the same fingerprint pasted, trusts the key; anything else, or the end
 * of input, declines it. It stops reading after the answer's line, so on
 * a terminal (where lines arrive one at a time) the caller can hand `input`
 * to the chat afterwards and lose nothing typed later.
 */
export function askOnTerminal (io: { input: Readable, output: Writable }): AskHostKey {
  return (question) => new Promise<boolean>((resolve) => {
    const rl = createInterface({ input: io.input, terminal: false })
    let answered = false
    rl.once('line', (line) => {
      answered = true
      rl.close()
      resolve(isYes(line, question))
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
    "Trust it only if that is the fingerprint its operator gave you (on the server: noise-chat fingerprint).",
    `Trust this key and record it in ${q.knownHostsFile}? (yes/no/[fingerprint]) `
  ].join('\n')
}

function isYes (answer: string, q: HostKeyQuestion): boolean {
  const a = answer.trim()
  return /^y(es)?$/i.test(a) || a === q.fingerprint
}
