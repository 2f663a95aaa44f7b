/**
 * Server-synchronised time for event timestamps.
 *
 * The server orders a conference's events from several browsers by their timestamps, so each
 * browser's clock is corrected by an offset measured against `GET clockSync`. Of a few round
 * trips the one with the shortest RTT wins: its midpoint assumption (server time = halfway
 * through the trip) has the smallest possible error, whereas the original's mean lets one slow
 * trip skew every timestamp.
 */

export interface ClockSample {
  /** Local time the request was sent, ms. */
  sent: number;
  /** Local time the reply arrived, ms. */
  received: number;
  /** Server time in the reply, ms. */
  server: number;
}

/** Offset to add to local time, from the sample with the smallest round trip; null without samples. */
export function clockOffset(samples: ClockSample[]): number | null {
  let best: ClockSample | undefined;
  for (const s of samples) {
    if (!(s.received >= s.sent) || !isFinite(s.server)) continue;
    if (!best || s.received - s.sent < best.received - best.sent) best = s;
  }
  return best ? best.server + (best.received - best.sent) / 2 - best.received : null;
}
