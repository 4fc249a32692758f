import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UsageError } from '../errors.js'

type OptionsConfig = NonNullable<ParseArgsConfig['options']>

/** Parsed options and positionals, typed from the option table. */
export type Parsed<O extends OptionsConfig> = ReturnType<typeof parseArgs<{ options: O, allowPositionals: true, strict: true }>>

/**
 * node:util's parseArgs in strict mode, with its errors turned into usage
 * errors that quote the bad argument, and a check on the number of
 * positionals (`names` says what they are, for the message).
 */
export function parseOptions<O extends OptionsConfig> (args: string[], options: O, positionals: { names: string[], min: number }): Parsed<O> {
  let parsed: Parsed<O>
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true }) as Parsed<O>
  } catch (err) {
    throw new UsageError(cleanParseArgsMessage(err))
  }
  const count = parsed.positionals.length
  if (count < positionals.min) {
    throw new UsageError(`missing ${positionals.names.slice(count, positionals.min).join(' and ')}`)
  }
  if (count > positionals.names.length) {
    throw new UsageError(`unexpected argument '${parsed.positionals[positionals.names.length]!}'`)
  }
  return parsed
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

function cleanParseArgsMessage (err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  // parseArgs suggests "To specify a positional argument starting with a '-'..." which does not apply here.
  return message.split('. To specify')[0]!.replace(/\.$/, '')
}
