/**
 * The compact stats body (the server's `…/{ucID}/stats/compact` extension; format in
 * crates/callstats-protocol/src/compact.rs). Per stream only what the server's analytics read,
 * extracted exactly as the server extracts it from a report list (normalise.rs), then
 * delta-encoded against the last submission of the fabric the server acknowledged.
 *
 * A delta is only ever built against an acknowledged base, so a lost request costs nothing; a
 * keyframe is sent first, after a refusal, and whenever a value disappears, a stream changes
 * identity or a counter is not an exact integer increase (a delta cannot say so).
 */

import { num, str, type Report } from './report';

/** One stream, absolute: the members of `CompactStream` on the server. */
export interface CompactStream {
  i: number;
  ssrc?: number;
  k?: 'a' | 'v';
  d?: 'i' | 'o';
  t?: number;
  c?: string;
  fec?: boolean;
  b?: number;
  p?: number;
  l?: number;
  f?: number;
  fc?: number;
  cs?: number;
  sc?: number;
  pd?: number;
  ts?: number;
  be?: number;
  fl?: number;
  j?: number;
  r?: number;
  w?: number;
  h?: number;
  fd?: number;
  bd?: number;
  q?: string;
}

const COUNTERS = ['b', 'p', 'l', 'f', 'fc', 'cs', 'sc', 'pd', 'ts', 'be'] as const;
const VALUES = ['t', 'c', 'fec', 'fl', 'j', 'r', 'w', 'h', 'fd', 'bd', 'q'] as const;

type Key = keyof CompactStream;

function set(s: CompactStream, k: Key, v: unknown): void {
  if (v !== undefined) (s as unknown as Record<string, unknown>)[k] = v;
}

/**
 * The streams of a report list, without stream numbers (`i` is 0): inbound/outbound RTP with
 * their codec and the far end's remote report matched by `localId`. The RTT comes from the first
 * source present: the selected pair; `remote-inbound-rtp` (the stream's own, else any of the same
 * kind, else any); `remote-outbound-rtp` (likewise). Mirrors `normalise::extract` on the server,
 * which the equivalence test holds.
 */
export function compactStreams(list: Report[]): CompactStream[] {
  const byId = new Map<string, Report>();
  for (const r of list) if (typeof r.id === 'string') byId.set(r.id, r);
  let pair: Report | undefined;
  for (const t of list) {
    const id = t.type === 'transport' ? str(t, 'selectedCandidatePairId') : undefined;
    if (id !== undefined) {
      pair = byId.get(id);
      break;
    }
  }
  if (!pair) pair = list.find((p) => p.type === 'candidate-pair' && p['nominated'] === true && p['state'] === 'succeeded');
  const transportRtt = num(pair, 'currentRoundTripTime');
  const remoteOf = (id: string, type: string) => list.find((r) => r.type === type && r['localId'] === id);
  const anyRtt = (type: string, kind: string): number | undefined => {
    let other: number | undefined;
    for (const r of list) {
      const rtt = r.type === type ? num(r, 'roundTripTime') : undefined;
      if (rtt === undefined) continue;
      if ((str(r, 'kind') ?? str(r, 'mediaType')) === kind) return rtt;
      if (other === undefined) other = rtt;
    }
    return other;
  };
  const out: CompactStream[] = [];
  for (const r of list) {
    const inbound = r.type === 'inbound-rtp';
    if (!inbound && r.type !== 'outbound-rtp') continue;
    const kind = str(r, 'kind') ?? str(r, 'mediaType');
    const ssrc = num(r, 'ssrc');
    if ((kind !== 'audio' && kind !== 'video') || ssrc === undefined) continue;
    const codecId = str(r, 'codecId');
    const codec = codecId !== undefined ? byId.get(codecId) : undefined;
    const mime = str(codec, 'mimeType') ?? str(r, 'mimeType');
    const fmtp = str(codec, 'sdpFmtpLine') ?? str(r, 'sdpFmtpLine');
    const s: CompactStream = { i: 0, ssrc, k: kind === 'audio' ? 'a' : 'v', d: inbound ? 'i' : 'o', t: num(r, 'timestamp') ?? 0 };
    set(s, 'c', mime !== undefined ? mime.slice(mime.lastIndexOf('/') + 1) : undefined);
    s.fec = fmtp !== undefined && fmtp.indexOf('useinbandfec=1') >= 0;
    set(s, 'w', num(r, 'frameWidth'));
    set(s, 'h', num(r, 'frameHeight'));
    const id = typeof r.id === 'string' ? r.id : '';
    if (inbound) {
      set(s, 'b', num(r, 'bytesReceived'));
      set(s, 'p', num(r, 'packetsReceived'));
      set(s, 'l', num(r, 'packetsLost'));
      set(s, 'j', num(r, 'jitter'));
      set(s, 'f', num(r, 'framesDecoded'));
      set(s, 'fc', num(r, 'freezeCount'));
      set(s, 'fd', num(r, 'totalFreezesDuration'));
      set(s, 'cs', num(r, 'concealedSamples'));
      set(s, 'sc', num(r, 'silentConcealedSamples'));
      set(s, 'pd', num(r, 'packetsDiscarded'));
      set(s, 'ts', num(r, 'totalSamplesReceived'));
      set(s, 'bd', num(r, 'jitterBufferDelay'));
      set(s, 'be', num(r, 'jitterBufferEmittedCount'));
      set(
        s,
        'r',
        transportRtt ??
          anyRtt('remote-inbound-rtp', kind) ??
          num(remoteOf(id, 'remote-outbound-rtp'), 'roundTripTime') ??
          anyRtt('remote-outbound-rtp', kind),
      );
    } else {
      set(s, 'b', num(r, 'bytesSent'));
      set(s, 'p', num(r, 'packetsSent'));
      set(s, 'f', num(r, 'framesEncoded'));
      set(s, 'q', str(r, 'qualityLimitationReason'));
      const remote = remoteOf(id, 'remote-inbound-rtp');
      set(s, 'l', num(remote, 'packetsLost'));
      set(s, 'fl', num(remote, 'fractionLost'));
      set(s, 'j', num(remote, 'jitter'));
      set(
        s,
        'r',
        transportRtt ?? num(remote, 'roundTripTime') ?? anyRtt('remote-inbound-rtp', kind) ?? anyRtt('remote-outbound-rtp', kind),
      );
    }
    out.push(s);
  }
  return out;
}

/** The stream as a delta against `prev`, or undefined when a delta cannot express it. */
function delta(cur: CompactStream, prev: CompactStream, t: number): CompactStream | undefined {
  if (cur.ssrc !== prev.ssrc || cur.k !== prev.k || cur.d !== prev.d) return undefined;
  const out: CompactStream = { i: cur.i };
  for (const k of COUNTERS) {
    const c = cur[k];
    const p = prev[k];
    if (c === undefined && p !== undefined) return undefined;
    if (c === undefined) continue;
    if (p === undefined) {
      out[k] = c;
      continue;
    }
    const d = c - p;
    if (!Number.isInteger(c) || !Number.isInteger(p) || p + d !== c) return undefined;
    if (d !== 0) out[k] = d;
  }
  for (const k of VALUES) {
    const c = cur[k];
    if (c === undefined && prev[k] !== undefined && k !== 't') return undefined;
    if (k === 't' ? c !== t : c !== prev[k]) set(out, k, c);
  }
  return out;
}

/** A compact body without the envelope and `timestamp` (added when sent). */
export interface CompactFrame {
  seq: number;
  base?: number;
  t: number;
  s: CompactStream[];
}

/**
 * Per fabric: numbers streams, remembers what the server acknowledged, and encodes each
 * submission as a keyframe or a delta against that.
 */
export class CompactEncoder {
  private numbers = new Map<string, number>();
  private seq = 0;
  private acked: { seq: number; streams: CompactStream[] } | undefined;

  /** Numbers the streams of one submission (stable per SSRC, kind and direction). */
  number(streams: CompactStream[]): { seq: number; streams: CompactStream[] } {
    for (const s of streams) {
      const key = `${s.ssrc}:${s.k}:${s.d}`;
      let i = this.numbers.get(key);
      if (i === undefined) {
        i = this.numbers.size;
        this.numbers.set(key, i);
      }
      s.i = i;
    }
    return { seq: ++this.seq, streams };
  }

  /** The frame to send for a numbered submission, against the latest acknowledged one. */
  encode(sub: { seq: number; streams: CompactStream[] }): CompactFrame {
    const t = sub.streams.length ? sub.streams[0]!.t ?? 0 : 0;
    const full = (): CompactFrame => ({ seq: sub.seq, t, s: sub.streams.map((s) => (s.t === t ? { ...s, t: undefined } : { ...s })) });
    const base = this.acked;
    if (!base || base.seq >= sub.seq) return full();
    const s: CompactStream[] = [];
    for (const cur of sub.streams) {
      const prev = base.streams.find((p) => p.i === cur.i);
      if (!prev) {
        s.push(cur.t === t ? { ...cur, t: undefined } : { ...cur });
        continue;
      }
      const d = delta(cur, prev, t);
      if (!d) return full();
      s.push(d);
    }
    return { seq: sub.seq, base: base.seq, t, s };
  }

  /** The server stored this submission: later ones may be deltas against it. */
  acknowledged(sub: { seq: number; streams: CompactStream[] }): void {
    if (!this.acked || sub.seq > this.acked.seq) this.acked = sub;
  }

  /** The server does not hold the base (restart, another node): keyframes until acknowledged. */
  forgetBase(): void {
    this.acked = undefined;
  }
}
