/**
 * Per-stream numbers from two consecutive getStats() snapshots.
 *
 * getStats() counters are cumulative; anything "per interval" is the difference between two
 * snapshots of the same report id divided by the difference of their timestamps. A counter that
 * goes backwards (a renegotiation reusing an id, a browser restarting a stream) does not produce
 * a negative rate: the interval values are null and the new snapshot starts a fresh series.
 * Units follow what callstats.js reports to applications: milliseconds for jitter and RTT
 * (getStats gives seconds), bits per second for bitrate here (the callback converts to kbps).
 */

import { num, str, selectedPair, type Report, type Snapshot } from './report';

export type Direction = 'inbound' | 'outbound';

export interface StreamMetrics {
  id: string;
  ssrc: number;
  direction: Direction;
  kind: string | undefined;
  /** Length of the interval the rates cover, ms; null when there is no usable previous sample. */
  intervalMs: number | null;
  /** True when a counter went backwards between the two samples. */
  reset: boolean;
  /** bits/s over the interval (payload bytes, as getStats counts them). */
  bitrate: number | null;
  /** packets/s over the interval. */
  packetRate: number | null;
  /** Lost / expected over the interval, 0..1. Outbound: the far end's RTCP fraction. */
  fractionLost: number | null;
  /** Packets lost during the interval (outbound: as the far end reports, cumulative difference). */
  packetsLost: number | null;
  /** Interarrival jitter, ms (outbound: as the far end reports it). */
  jitter: number | null;
  /** Round-trip time, ms: RTCP based for the stream, else the transport's STUN RTT. */
  rtt: number | null;
  framesPerSecond: number | null;
  frameWidth: number | null;
  frameHeight: number | null;
  /** Freezes that started during the interval, and their total duration in ms. */
  freezeCount: number | null;
  freezeDuration: number | null;
  /** Share of audio samples concealed (synthesised) during the interval, 0..1. */
  concealmentRatio: number | null;
  /** Average time a sample spent in the jitter buffer during the interval, ms. */
  jitterBufferDelay: number | null;
  audioLevel: number | null;
  qualityLimitationReason: string | null;
}

/** `cur - prev` for a cumulative counter; null when either is missing. */
export function counterDelta(prev: Report | undefined, cur: Report | undefined, field: string): number | null {
  const a = num(prev, field);
  const b = num(cur, field);
  return a === undefined || b === undefined ? null : b - a;
}

const ratio = (n: number | null, d: number | null): number | null => (n === null || d === null || d <= 0 ? null : n / d);
const ms = (seconds: number | undefined): number | null => (seconds === undefined ? null : seconds * 1000);

/** Counters whose decrease means the stream started over. */
const RESET_COUNTERS: Record<Direction, string[]> = {
  inbound: ['bytesReceived', 'packetsReceived', 'framesDecoded', 'totalSamplesReceived'],
  outbound: ['bytesSent', 'packetsSent', 'framesEncoded'],
};

export function isReset(prev: Report, cur: Report, direction: Direction): boolean {
  return RESET_COUNTERS[direction].some((f) => {
    const d = counterDelta(prev, cur, f);
    return d !== null && d < 0;
  });
}

/** The remote report paired with a local rtp report: by `remoteId`, else by `localId`, else by ssrc and kind. */
export function remoteOf(snap: Snapshot, local: Report): Report | undefined {
  const type = local.type === 'outbound-rtp' ? 'remote-inbound-rtp' : 'remote-outbound-rtp';
  const byId = str(local, 'remoteId');
  const r = byId ? snap.get(byId) : undefined;
  if (r && r.type === type) return r;
  let found: Report | undefined;
  snap.forEach((c) => {
    if (found || c.type !== type) return;
    if (c['localId'] === local.id || (c['ssrc'] === local['ssrc'] && c['kind'] === local['kind'])) found = c;
  });
  return found;
}

export function streamMetrics(cur: Report, curSnap: Snapshot, prev?: Report, prevSnap?: Snapshot): StreamMetrics {
  const direction: Direction = cur.type === 'outbound-rtp' ? 'outbound' : 'inbound';
  const inbound = direction === 'inbound';
  const kind = str(cur, 'kind') ?? str(cur, 'mediaType');
  const dtMs = prev ? cur.timestamp - prev.timestamp : 0;
  const reset = !!prev && isReset(prev, cur, direction);
  const usable = !!prev && dtMs > 0 && !reset;
  const p = usable ? prev : undefined;
  const perSecond = (field: string): number | null => {
    const d = counterDelta(p, cur, field);
    return d === null ? null : (d * 1000) / dtMs;
  };

  const remote = remoteOf(curSnap, cur);
  const prevRemote = p && prevSnap ? remoteOf(prevSnap, prev!) : undefined;
  const pair = selectedPair(curSnap);

  const bytesPerSec = perSecond(inbound ? 'bytesReceived' : 'bytesSent');
  const packetRate = perSecond(inbound ? 'packetsReceived' : 'packetsSent');

  let fractionLost: number | null = null;
  let packetsLost: number | null = null;
  let jitter: number | null;
  let rtt: number | null = null;
  if (inbound) {
    const lost = counterDelta(p, cur, 'packetsLost');
    const received = counterDelta(p, cur, 'packetsReceived');
    if (lost !== null && received !== null) {
      // packetsLost can shrink when late packets arrive after being counted lost.
      packetsLost = Math.max(0, lost);
      fractionLost = packetsLost + received > 0 ? packetsLost / (packetsLost + received) : 0;
    }
    jitter = ms(num(cur, 'jitter'));
    rtt = ms(num(remote, 'roundTripTime'));
  } else {
    const f = num(remote, 'fractionLost');
    fractionLost = f === undefined ? null : Math.min(1, Math.max(0, f));
    const lost = counterDelta(prevRemote, remote, 'packetsLost');
    packetsLost = lost === null ? null : Math.max(0, lost);
    jitter = ms(num(remote, 'jitter'));
    // Average of the RTCP round trips measured during the interval when there were any, else
    // the latest one.
    const n = counterDelta(prevRemote, remote, 'roundTripTimeMeasurements');
    const total = counterDelta(prevRemote, remote, 'totalRoundTripTime');
    rtt = n && n > 0 && total !== null ? (total / n) * 1000 : ms(num(remote, 'roundTripTime'));
  }
  if (rtt === null) rtt = ms(num(pair, 'currentRoundTripTime'));

  const framesField = inbound ? 'framesDecoded' : 'framesEncoded';
  const fpsFromCounters = perSecond(framesField);
  const fps = fpsFromCounters ?? num(cur, 'framesPerSecond') ?? null;

  const freezes = counterDelta(p, cur, 'freezeCount');
  const freezeSeconds = counterDelta(p, cur, 'totalFreezesDuration');

  const concealed = counterDelta(p, cur, 'concealedSamples');
  const samples = counterDelta(p, cur, 'totalSamplesReceived');
  const jbDelay = counterDelta(p, cur, 'jitterBufferDelay');
  const jbCount = counterDelta(p, cur, 'jitterBufferEmittedCount');

  let audioLevel = num(cur, 'audioLevel') ?? null;
  if (!inbound && audioLevel === null) {
    const srcId = str(cur, 'mediaSourceId');
    audioLevel = num(srcId ? curSnap.get(srcId) : undefined, 'audioLevel') ?? null;
  }

  const jbRatio = ratio(jbDelay, jbCount);
  return {
    id: cur.id,
    ssrc: num(cur, 'ssrc') ?? 0,
    direction,
    kind,
    intervalMs: usable ? dtMs : null,
    reset,
    bitrate: bytesPerSec === null ? null : bytesPerSec * 8,
    packetRate,
    fractionLost,
    packetsLost,
    jitter,
    rtt,
    framesPerSecond: kind === 'audio' ? null : fps,
    frameWidth: num(cur, 'frameWidth') ?? null,
    frameHeight: num(cur, 'frameHeight') ?? null,
    freezeCount: freezes,
    freezeDuration: freezeSeconds === null ? null : freezeSeconds * 1000,
    concealmentRatio: ratio(concealed, samples),
    jitterBufferDelay: jbRatio === null ? null : jbRatio * 1000,
    audioLevel,
    qualityLimitationReason: str(cur, 'qualityLimitationReason') ?? null,
  };
}

/** Metrics for every inbound and outbound RTP stream of `cur`, paired with `prev` by report id. */
export function allStreamMetrics(cur: Snapshot, prev?: Snapshot): StreamMetrics[] {
  const out: StreamMetrics[] = [];
  cur.forEach((r) => {
    if (r.type !== 'inbound-rtp' && r.type !== 'outbound-rtp') return;
    const before = prev ? prev.get(r.id) : undefined;
    out.push(streamMetrics(r, cur, before && before.type === r.type ? before : undefined, prev));
  });
  return out;
}

/** Running averages of jitter and RTT per stream, for the callback's averageJitter/averageRTT. */
export class RunningAverage {
  private sums = new Map<string, { n: number; sum: number }>();
  add(key: string, value: number | null): number | null {
    let s = this.sums.get(key);
    if (value !== null && isFinite(value)) {
      if (!s) this.sums.set(key, (s = { n: 0, sum: 0 }));
      s.n++;
      s.sum += value;
    }
    return s && s.n ? s.sum / s.n : null;
  }
}
