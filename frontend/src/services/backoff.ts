/**
 * Reconnect delays: exponential growth from `baseMs`, capped at `maxMs`, with
 * "equal jitter" (half fixed, half random) so that every page reconnecting
 * after a host restart does not arrive in the same millisecond, while each
 * still waits at least half the nominal delay. Attempts never run out: the
 * original gave up after five tries (~31 s) and left the page dead.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  factor: number;
}

export const defaultBackoff: BackoffOptions = { baseMs: 250, maxMs: 30_000, factor: 2 };

/** The nominal (jitter-free) delay before attempt `attempt` (1-based). */
export function nominalDelay(attempt: number, options: BackoffOptions = defaultBackoff): number {
  const exponent = Math.max(0, attempt - 1);
  // Past ~60 doublings the number is Infinity anyway; the cap applies long before.
  return Math.min(options.maxMs, options.baseMs * Math.pow(options.factor, Math.min(exponent, 60)));
}

/** The delay to wait before attempt `attempt`; `random` in [0, 1). */
export function jitteredDelay(attempt: number, random: () => number = Math.random, options: BackoffOptions = defaultBackoff): number {
  const nominal = nominalDelay(attempt, options);
  return Math.round(nominal / 2 + random() * (nominal / 2));
}

/** Counts consecutive failures; `reset()` once a connection proved healthy. */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly options: BackoffOptions = defaultBackoff,
    private readonly random: () => number = Math.random,
  ) {}

  get attempt(): number {
    return this.failures;
  }

  /** Records a failure and returns how long to wait before trying again. */
  next(): number {
    this.failures += 1;
    return jitteredDelay(this.failures, this.random, this.options);
  }

  reset(): void {
    this.failures = 0;
  }
}
