/**
 * One-way media (oneWayMediaStart/Stop on `events/fabric/disruptions`, PROTOCOL.md §8.3): per
 * media kind, packets flow in one direction while a stream of the other direction carries none
 * over a poll interval. A direction the app said is silent on purpose (audioMute, videoPause)
 * does not count. Pure: it compares two getStats samples.
 */

import { num, ofType, str, type Report, type Snapshot } from './report';

export interface OneWayEvent {
  eventType: 'oneWayMediaStart' | 'oneWayMediaStop';
  mediaType: 'audio' | 'video';
  disruptionType: 'oneWayMedia';
  /** The silent stream's SSRC, as a string like the original's. */
  ssrc: string;
}

function flow(cur: Report[], prev: Snapshot, field: string): { moving: boolean; silent: Report | undefined } {
  let moving = false;
  let silent: Report | undefined;
  for (const r of cur) {
    const before = num(prev.get(r.id), field);
    const now = num(r, field);
    if (before === undefined || now === undefined) continue;
    if (now > before) moving = true;
    else if (!silent) silent = r;
  }
  return { moving, silent };
}

/**
 * The transitions between two samples. `active` maps a kind to the SSRC of its ongoing
 * one-way episode and is updated; `muted` says which kinds the app silenced on its side.
 */
export function oneWayChanges(
  prev: Snapshot,
  cur: Snapshot,
  active: Map<string, string>,
  muted: { audio: boolean; video: boolean },
): OneWayEvent[] {
  const out: OneWayEvent[] = [];
  for (const kind of ['audio', 'video'] as const) {
    const ofKind = (type: string) => ofType(cur, type).filter((r) => (str(r, 'kind') ?? str(r, 'mediaType')) === kind);
    const inbound = flow(ofKind('inbound-rtp'), prev, 'packetsReceived');
    const outbound = flow(ofKind('outbound-rtp'), prev, 'packetsSent');
    let silent: Report | undefined;
    if (outbound.moving && !inbound.moving && inbound.silent) silent = inbound.silent;
    else if (inbound.moving && !outbound.moving && outbound.silent && !muted[kind]) silent = outbound.silent;
    const ongoing = active.get(kind);
    if (silent && ongoing === undefined) {
      const ssrc = String(num(silent, 'ssrc') ?? 0);
      active.set(kind, ssrc);
      out.push({ eventType: 'oneWayMediaStart', mediaType: kind, disruptionType: 'oneWayMedia', ssrc });
    } else if (!silent && ongoing !== undefined && (inbound.moving || outbound.moving)) {
      active.delete(kind);
      out.push({ eventType: 'oneWayMediaStop', mediaType: kind, disruptionType: 'oneWayMedia', ssrc: ongoing });
    }
  }
  return out;
}
