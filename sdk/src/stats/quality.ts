/**
 * The `quality` label of each stream in the stats callback: 'excellent', 'fair', 'bad' or
 * 'unknown'.
 *
 * The public documentation only says "interval quality as per boundary conditions". The
 * boundaries below are the constants of the callstats-js 3.73.16 bundle (`throughputThreshold`,
 * `fractionalLossThreshold`, `rttThreshold`, `eModelThreshold`,
 * `currOverPrevFrameRateThreshold`), applied the way it applies them: each available metric is
 * rated 5 (at or past `green`), 3 (between) or 1 (at or past `red`), the ratings are averaged and
 * floored, and 5 reads 'excellent', 2 to 4 'fair', 1 'bad'; with nothing to rate, 'unknown'.
 * Like the original, a metric is rated only when it is positive (an idle stream is 'unknown',
 * not 'bad').
 *
 * Two deliberate differences: the original fed RTT to these thresholds in seconds while the
 * values are milliseconds (so its delay ratings were always 'excellent'); here RTT is in ms. And
 * the original defines loss thresholds for video without ever applying them; here they apply.
 */

import type { StreamMetrics } from './metrics';

export type QualityLabel = 'excellent' | 'fair' | 'bad' | 'unknown';

interface Band {
  green: number;
  red: number;
}

export const THRESHOLDS = {
  /** Interval bitrate, kbps; higher is better. */
  bitrateKbps: { video: { green: 1024, red: 256 }, audio: { green: 30, red: 8 } },
  /** Interval fraction lost, 0..1; lower is better. */
  fractionLost: { video: { green: 0.1, red: 0.5 }, audio: { green: 0.15, red: 0.3 } },
  /** Round-trip time, ms, for video; lower is better. */
  rttMs: { video: { green: 400, red: 1000 } },
  /** Audio delay estimate (RTT plus 40 ms of coding and buffering), ms; lower is better. */
  audioDelayMs: { audio: { green: 240, red: 400 } },
  /** Frame rate now over frame rate in the previous interval; higher is better. */
  frameRateRatio: { video: { green: 0.8, red: 0.3 } },
} as const;

/** Fixed part of the audio delay estimate, ms (the original's `+ 40`). */
export const AUDIO_DELAY_ALLOWANCE_MS = 40;

export const higherIsBetter = (v: number, b: Band): number => (v >= b.green ? 5 : v > b.red ? 3 : 1);
export const lowerIsBetter = (v: number, b: Band): number => (v > b.red ? 1 : v >= b.green ? 3 : 5);

export function combine(ratings: number[]): QualityLabel {
  if (!ratings.length) return 'unknown';
  const mean = Math.floor(ratings.reduce((a, b) => a + b, 0) / ratings.length);
  return mean >= 5 ? 'excellent' : mean >= 2 ? 'fair' : 'bad';
}

const positive = (v: number | null | undefined): v is number => typeof v === 'number' && v > 0;

/** `previousFps` is the stream's frame rate in the interval before (for the frame-rate ratio). */
export function streamQuality(m: StreamMetrics, previousFps?: number | null): QualityLabel {
  const ratings: number[] = [];
  const video = m.kind === 'video';
  const kbps = m.bitrate === null ? null : m.bitrate / 1000;
  if (positive(kbps)) ratings.push(higherIsBetter(kbps, video ? THRESHOLDS.bitrateKbps.video : THRESHOLDS.bitrateKbps.audio));
  if (positive(m.fractionLost)) {
    ratings.push(lowerIsBetter(m.fractionLost, video ? THRESHOLDS.fractionLost.video : THRESHOLDS.fractionLost.audio));
  }
  if (positive(m.rtt)) {
    ratings.push(
      video
        ? lowerIsBetter(m.rtt, THRESHOLDS.rttMs.video)
        : lowerIsBetter(m.rtt + AUDIO_DELAY_ALLOWANCE_MS, THRESHOLDS.audioDelayMs.audio),
    );
  }
  if (video && positive(m.framesPerSecond) && positive(previousFps)) {
    ratings.push(higherIsBetter(m.framesPerSecond / Math.max(previousFps, 1), THRESHOLDS.frameRateRatio.video));
  }
  return combine(ratings);
}
