import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UsageError } from '../errors.js'

type OptionsConfig = NonNullable<ParseArgsConfig['options']>

/** Parsed options and positionals, typed from the option table. */
export type Parsed<O extends OptionsConfig> = ReturnType<typeof parseArgs<{ options: O, allowPositionals: true, strict: true }>>

type Token = NonNullable<ReturnType<typeof parseArgs<{ options: OptionsConfig, tokens: true, strict: false }>>['tokens']>[number]

/**
 * node:util's parseArgs, with our own one-line usage errors: node's strict
 * mode words its errors for programmers ("Option '--port <value>' argument
 * missing", three lines about '--history=-XYZ'), so it runs leniently and
 * every token is checked here, each message naming the option and the fix.
 * A value that starts with '-' is taken as a value (`--history -5` then
 * fails on the number, as it should), unless it is one of our options
 * (`--nick --strict` is a forgotten value). `names` says what the
 * positionals are, for the message about their number.
 */
export function parseOptions<O extends OptionsConfig> (args: string[], options: O, positionals: { names: string[], min: number }): Parsed<O> {
  const parsed = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true })
  for (const token of parsed.tokens) checkToken(token, options)
  const count = parsed.positionals.length
  if (count < positionals.min) {
    throw new UsageError(`missing ${positionals.names.slice(count, positionals.min).join(' and ')}`)
  }
  if (count > positionals.names.length) {
    throw new UsageError(`unexpected argument '${parsed.positionals[positionals.names.length]!}'`)
  }
  return { values: parsed.values, positionals: parsed.positionals } as unknown as Parsed<O>
}

function checkToken (token: Token, options: OptionsConfig): void {
  if (token.kind !== 'option') return
  const spec = options[token.name]
  if (spec === undefined) throw new UsageError(`unknown option '${token.rawName}'${suggestion(token.name, options)}`)
  const example = spec.short === undefined ? `--${token.name}` : `-${spec.short} or --${token.name}`
  if (spec.type === 'boolean') {
    if (token.value !== undefined) throw new UsageError(`${token.rawName} takes no value (give '${token.rawName}' alone, not '${token.rawName}=${token.value}')`)
    return
  }
  if (token.value === undefined) throw new UsageError(`${token.rawName} needs a value: give it as ${example} VALUE`)
  if (!token.inlineValue && isOurOption(token.value, options)) {
    throw new UsageError(`${token.rawName} needs a value, but it is followed by the option ${token.value} (to give that text as the value, write ${token.rawName}=${token.value})`)
  }
}

/** True when `arg` names one of the options (`--name`, `--name=x`, `-s`). */
function isOurOption (arg: string, options: OptionsConfig): boolean {
  if (arg.startsWith('--')) return options[arg.slice(2).split('=')[0]!] !== undefined
  if (arg.length === 2 && arg.startsWith('-')) return Object.values(options).some((o) => o.short === arg[1])
  return false
}

/** "; did you mean --server-key?" for a near miss (a prefix either way), else the list of options. */
function suggestion (name: string, options: OptionsConfig): string {
  const names = Object.keys(options)
  const near = names.filter((n) => n.length > 1 && name.length > 1 && (n.startsWith(name) || name.startsWith(n)))
  if (near.length === 1) return `; did you mean --${near[0]!}?`
  return names.length === 0 ? '; this command takes no options' : ''
}

/** A whole number option within [min, max], or the default when absent. */
export function integerOption (value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${name} '${value}' must be a whole number from ${min} to ${max}`)
  }
  return Number(value)
}

/** A duration option in seconds (decimals allowed), returned in ms. */
export function secondsOption (value: string | undefined, name: string, fallbackMs: number): number {
  if (value === undefined) return fallbackMs
  if (!/^\d+(\.\d+)?$/.test(value)) {
    throw new UsageError(`--${name} '${value}' must be a number of seconds, like 10 or 2.5`)
  }
  return Math.round(Number(value) * 1000)
}
