/**
 * Retry spacing for everything that talks to the server.
 *
 * The original retried authentication every ~110 ms forever on a 5xx and never retried events at
 * all. Here every retry waits an exponentially growing, jittered delay: jitter spreads the
 * reconnect of many browsers after an outage, and the cap keeps a page that outlives a long
 * outage probing about once a minute rather than going silent or hammering.
 */

export interface BackoffPolicy {
  /** First delay, ms. */
  base: number;
  /** Largest delay, ms. */
  max: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { base: 1000, max: 60000 };

/**
 * Delay before retry number `attempt` (0 for the first retry). The ceiling doubles per attempt
 * up to `max`; the delay is drawn from the upper half of the ceiling so it never collapses to
 * zero (which full jitter allows) and never drops below `base`.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const n = Math.max(0, Math.min(30, Math.floor(attempt) || 0));
  const ceiling = Math.min(policy.max, policy.base * Math.pow(2, n));
  const r = Math.min(1, Math.max(0, random()));
  return Math.max(policy.base, Math.round(ceiling / 2 + (ceiling / 2) * r));
}
