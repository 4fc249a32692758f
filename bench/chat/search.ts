/**
 * The search for the highest rate a server sustains: double from a start
 * rate while steps pass (halve while they fail, if the first one does),
 * then bisect (geometrically) between the best pass and the lowest fail
 * until they are within `precision` of each other or the steps run out.
 * Pure: the caller runs each step and records its verdict.
 */

/** Bounds of one search. */
export interface SearchPlan {
  /** First rate tried, msg/s. */
  startRate: number
  /** Never below this: if it fails, the answer is "none". */
  minRate: number
  /** Never above this: if it passes, the answer is "at least this". */
  maxRate: number
  /** Most steps in all. */
  maxSteps: number
  /** Stop bisecting when lowest fail / best pass <= 1 + precision. */
  precision: number
}

/** Picks the next rate from the verdicts so far. */
export class RateSearch {
  readonly plan: SearchPlan
  private bestPass = 0
  private lowestFail = Infinity
  private lowestFailGeneratorBound = false
  private steps = 0
  private readonly tried = new Set<number>()

  constructor (plan: SearchPlan) {
    this.plan = plan
  }

  /**
   * Record the verdict of a step at `rate`. A failure with
   * `generatorBound` still bounds the search (nothing above it can be
   * measured), but is not the server's limit: `ceilingGeneratorBound` says so.
   */
  record (rate: number, passed: boolean, generatorBound = false): void {
    this.steps++
    this.tried.add(rate)
    if (passed) this.bestPass = Math.max(this.bestPass, rate)
    else if (rate < this.lowestFail) {
      this.lowestFail = rate
      this.lowestFailGeneratorBound = generatorBound
    } else if (rate === this.lowestFail) this.lowestFailGeneratorBound ||= generatorBound
  }

  /** The lowest failing rate failed with the generator saturated: the server's limit is not known. */
  get ceilingGeneratorBound (): boolean {
    return this.lowestFail !== Infinity && this.lowestFailGeneratorBound
  }

  /** The highest rate that passed (0 when none did). */
  get best (): number {
    return this.bestPass
  }

  /** The lowest rate that failed (Infinity when none did). */
  get ceiling (): number {
    return this.lowestFail
  }

  /** The next rate to try, or undefined when the search is over. */
  next (): number | undefined {
    if (this.steps >= this.plan.maxSteps) return undefined
    const { startRate, minRate, maxRate, precision } = this.plan
    let candidate: number
    if (this.steps === 0) candidate = startRate
    else if (this.bestPass === 0) candidate = this.lowestFail / 2
    else if (this.lowestFail === Infinity) candidate = Math.min(maxRate, this.bestPass * 2)
    else if (this.lowestFail / this.bestPass <= 1 + precision) return undefined
    else candidate = Math.sqrt(this.bestPass * this.lowestFail)
    const rate = niceRate(candidate)
    if (rate < minRate || rate > maxRate || this.tried.has(rate)) return undefined
    if (rate <= this.bestPass || rate >= this.lowestFail) return undefined
    return rate
  }
}

/** Round to two significant digits (11314 -> 11000, 707 -> 710), at least 1. */
export function niceRate (rate: number): number {
  if (!(rate > 1)) return 1
  const scale = 10 ** Math.max(0, Math.floor(Math.log10(rate)) - 1)
  return Math.round(rate / scale) * scale
}
