import { spawn } from 'node:child_process'
import type { CliIO } from './command.js'

/**
 * Open `url` in the user's browser: $BROWSER if set (as many tools honour
 * it), else the platform's opener. It only starts the opener and says
 * on stderr if that failed; it never waits for the browser.
 */
export function openUrl (url: string, io: CliIO): void {
  const [command, ...args] = opener(io.env)
  const child = spawn(command!, [...args, url], { detached: true, stdio: 'ignore' })
  child.on('error', (err) => io.stderr.write(`noise-chat connect: could not start ${command} to open the page (${err.message}); open the URL above yourself\n`))
  child.unref()
}

function opener (env: NodeJS.ProcessEnv): string[] {
  const browser = env['BROWSER']
  if (browser !== undefined && browser !== '') return [browser]
  if (process.platform === 'darwin') return ['open']
  if (process.platform === 'win32') return ['cmd', '/c', 'start', '""']
  return ['xdg-open']
}
