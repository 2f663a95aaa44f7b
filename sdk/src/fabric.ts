/**
 * Monitoring of one RTCPeerConnection (a "fabric").
 *
 * State changes are taken from the connection's events for precise timing, and also compared
 * once a second by the client's ticker: `close()` fires no events, and a listener added late
 * misses earlier transitions. From the ICE transitions come fabricSetup (with the delays the
 * dashboard shows), setup failure, disruptions, drops, restarts and termination.
 *
 * Stats: getStats() (the promise form only; the original's legacy callback call hangs in current
 * Chrome) is polled every min(5 s, submissionInterval) once the fabric is set up. Each poll may
 * feed a stats submission (every submissionInterval), the stats callback (every 10 s), transport
 * switch detection and the SSRC map.
 */

import { DEFAULT_SUBMISSION_INTERVAL, type AccessClaims } from './auth/jwt';
import type { Conference } from './delivery';
import { parseSsrcs, type SsrcInfo } from './sdp';
import { allStreamMetrics, RunningAverage, type StreamMetrics } from './stats/metrics';
import { ofType, selectedPair, toSnapshot, type Snapshot } from './stats/report';
import { streamQuality } from './stats/quality';
import { CompactEncoder } from './stats/compact';
import { oneWayChanges } from './stats/oneway';
import { describeCandidate, KEPT_FIELDS, pick, trimSnapshot } from './stats/trim';
import { randomConnectionId } from './env';

export type FabricState = 'initializing' | 'established' | 'disrupted' | 'failed' | 'hold' | 'terminated';

export interface FabricHost {
  now(): number;
  emit(conf: Conference, eventType: string, extra: Record<string, unknown>, fabric?: Fabric, createdAt?: number): void;
  submitStats(fabric: Fabric, reports: unknown[], createdAt: number): void;
  statsCallback(fabric: Fabric, tracks: StatsTrack[]): void;
  claims(): AccessClaims | undefined;
  /** configParams.collectIP: when false, candidate addresses are replaced by their ids. */
  collectIP: boolean;
  localUserID(): string;
  fabricEnded(fabric: Fabric): void;
}

export interface Association {
  userID: string;
  usageLabel?: string;
  associatedVideoTag?: string;
}

/** One entry of the stats callback's mediaStreamTracks (see _callbacks.md). */
export interface StatsTrack {
  /** The remote user ID as the app passed it (the same object, like the original). */
  remoteUserID: unknown;
  statsType: 'inbound-rtp' | 'outbound-rtp';
  ssrc: number;
  cname?: string;
  msid?: string;
  mediaType?: string;
  usageLabel?: string;
  associatedVideoTag?: string;
  /** kbps over the interval. */
  bitrate: number | null;
  packetRate: number | null;
  fractionLoss: number | null;
  packetLossPercentage: number | null;
  /** Seconds, as the original delivered (the getStats unit). */
  jitter: number | null;
  averageJitter: number | null;
  /** Seconds, as the original delivered (the getStats unit). */
  rtt: number | null;
  averageRTT: number | null;
  quality: string;
  audioLevel?: number | null;
  framesPerSecond?: number | null;
  frameWidth?: number | null;
  frameHeight?: number | null;
  freezeCount?: number | null;
  totalFreezesDuration?: number | null;
  concealmentRatio?: number | null;
  jitterBufferDelay?: number | null;
  qualityLimitationReason?: string | null;
}

export interface FabricAttributes {
  remoteEndpointType: string;
  fabricTransmissionDirection: string;
}

const STATE_PROPS = ['signalingState', 'iceConnectionState', 'iceGatheringState', 'connectionState'] as const;
type StateProp = (typeof STATE_PROPS)[number];
const EVENT_FOR: Record<StateProp, string> = {
  signalingState: 'signalingstatechange',
  iceConnectionState: 'iceconnectionstatechange',
  iceGatheringState: 'icegatheringstatechange',
  connectionState: 'connectionstatechange',
};
/** The three states the original reports in fabricStateChange. */
const REPORTED: Partial<Record<StateProp, true>> = { signalingState: true, iceConnectionState: true, iceGatheringState: true };

const CONNECTED = (s: string | undefined) => s === 'connected' || s === 'completed';

export const CALLBACK_INTERVAL_MS = 10000;
const POLL_MAX_MS = 5000;
const GETSTATS_TIMEOUT_MS = 5000;

function getStats(pc: RTCPeerConnection): Promise<Snapshot> {
  return new Promise((resolve) => {
    // A getStats() that never settles (seen with some shims) must not stall the poll forever.
    const t = setTimeout(() => resolve(new Map()), GETSTATS_TIMEOUT_MS);
    const done = (r: unknown) => {
      clearTimeout(t);
      resolve(toSnapshot(r));
    };
    try {
      Promise.resolve(pc.getStats()).then(done, () => done(undefined));
    } catch {
      done(undefined);
    }
  });
}

const seconds = (ms: number | null): number | null => (ms === null ? null : ms / 1000);

export class Fabric {
  readonly connectionID = randomConnectionId();
  /** Kinds the app silenced on its side (audioMute, videoPause): not one-way media. */
  readonly muted = { audio: false, video: false };
  /** Ongoing one-way media episodes: kind -> the silent stream's SSRC. */
  private readonly oneWay = new Map<string, string>();
  /** Numbers and delta-encodes this fabric's stats submissions (the compact extension). */
  readonly compact = new CompactEncoder();
  readonly addedAt: number;
  state: FabricState = 'initializing';
  terminated = false;
  hold = false;
  setupDone = false;
  readonly associations = new Map<string, Association>();

  private states: Partial<Record<StateProp, string>> = {};
  private listeners: [string, (ev: Event) => void][] = [];
  private gatheringAt?: number;
  private gatheringDelay?: number;
  private checkingAt?: number;
  private disruptedAt?: number;
  private failedReported = false;

  private pollDueAt = 0;
  private polling = false;
  private lastSubmitAt = -Infinity;
  private lastCallbackAt = 0;
  private callbackSnap?: Snapshot;
  private lastSnap?: Snapshot;
  private selectedPairId?: string;
  private ssrcKey = '';
  private sdp: { local?: string; remote?: string } = {};
  private prevFps = new Map<string, number | null>();
  private averages = { jitter: new RunningAverage(), rtt: new RunningAverage() };

  constructor(
    private readonly host: FabricHost,
    readonly pc: RTCPeerConnection,
    public remoteID: string,
    /** The remote user ID as the app passed it, handed back in the stats callback. */
    public remoteUser: unknown,
    readonly usage: string,
    public conf: Conference,
    readonly attributes: FabricAttributes,
    readonly pcCallback?: (status: string, message: string) => void,
  ) {
    this.addedAt = host.now();
  }

  start(): void {
    for (const p of STATE_PROPS) this.states[p] = this.read(p);
    if (this.states.iceGatheringState === 'gathering') this.gatheringAt = this.addedAt;
    if (this.states.iceConnectionState === 'checking') this.checkingAt = this.addedAt;
    const pc = this.pc as unknown as EventTarget;
    if (typeof pc.addEventListener === 'function') {
      for (const p of STATE_PROPS) {
        const fn = () => this.guard(() => this.checkStates());
        pc.addEventListener(EVENT_FOR[p], fn);
        this.listeners.push([EVENT_FOR[p], fn]);
      }
    }
    if (typeof pc.addEventListener === 'function') {
      const onTrack = (ev: Event) => this.guard(() => this.trackStarted(ev as RTCTrackEvent));
      pc.addEventListener('track', onTrack);
      this.listeners.push(['track', onTrack]);
    }
    // Added after the connection was already up (the app called addNewFabric late).
    if (CONNECTED(this.states.iceConnectionState)) this.setup();
    if (this.states.signalingState === 'closed' || this.states.connectionState === 'closed') this.terminate();
  }

  /**
   * mediaPlaybackStart when a remote track arrives, as the original sends it: the SSRC from the
   * remote SDP section of the track's transceiver (`"0"` when it cannot be matched).
   */
  private trackStarted(ev: RTCTrackEvent): void {
    const track = ev && ev.track;
    if (!track) return;
    const mid = ev.transceiver ? ev.transceiver.mid : null;
    let ssrc = '0';
    this.ssrcInfo('inbound').forEach((info, s) => {
      if (ssrc !== '0') return;
      if ((mid !== null && info.mid === mid) || (info.msid !== undefined && info.msid.split(' ')[1] === track.id)) ssrc = s;
    });
    const highResTs = typeof performance !== 'undefined' ? performance.now() : 0;
    this.emit('mediaPlaybackStart', { ssrc, highResTs, kind: track.kind });
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (typeof console !== 'undefined') console.warn('callstats: fabric monitoring error', e);
    }
  }

  private read(p: StateProp): string | undefined {
    try {
      const v = (this.pc as unknown as Record<string, unknown>)[p];
      return typeof v === 'string' ? v : undefined;
    } catch {
      return undefined;
    }
  }

  private emit(eventType: string, extra: Record<string, unknown> = {}, createdAt?: number): void {
    this.host.emit(this.conf, eventType, extra, this, createdAt);
  }

  private notify(status: string, message: string): void {
    if (!this.pcCallback) return;
    try {
      this.pcCallback(status, message);
    } catch {
      // The app's callback is its own business.
    }
  }

  checkStates(): void {
    if (this.terminated) return;
    for (const p of STATE_PROPS) {
      const cur = this.read(p);
      const prev = this.states[p];
      if (cur === prev || cur === undefined) continue;
      this.states[p] = cur;
      this.onChange(p, prev, cur);
      if (this.terminated) return;
    }
  }

  private onChange(p: StateProp, prev: string | undefined, cur: string): void {
    const now = this.host.now();
    if (REPORTED[p]) this.emit('fabricStateChange', { changedState: p, prevState: prev ?? '', newState: cur });
    if (p === 'iceGatheringState') {
      if (cur === 'gathering') this.gatheringAt = now;
      else if (cur === 'complete' && this.gatheringAt !== undefined) this.gatheringDelay = now - this.gatheringAt;
    } else if (p === 'iceConnectionState') {
      this.onIce(prev, cur, now);
    }
    // Chrome can leave iceConnectionState at 'disconnected' while the connection as a whole has
    // failed (observed with Chromium 148 when the peer vanishes during setup), so a failed
    // connectionState counts as an ICE failure too.
    if (p === 'connectionState' && cur === 'failed') {
      const ice = this.states.iceConnectionState;
      this.onFailed(ice, ice ?? cur, now);
    }
    if ((p === 'signalingState' || p === 'connectionState') && cur === 'closed') this.terminate();
  }

  private pairInfo(snap: Snapshot | undefined, id?: string): Record<string, unknown> | undefined {
    const pair = snap && (id ? snap.get(id) : selectedPair(snap));
    if (!pair || !snap) return undefined;
    const info: Record<string, unknown> = pick(pair, KEPT_FIELDS['candidate-pair']!);
    const local = describeCandidate(snap.get(String(pair['localCandidateId'])), this.host.collectIP);
    const remote = describeCandidate(snap.get(String(pair['remoteCandidateId'])), this.host.collectIP);
    if (local) info['localCandidate'] = local;
    if (remote) info['remoteCandidate'] = remote;
    return info;
  }

  private onIce(prev: string | undefined, cur: string, now: number): void {
    const ice = { prevIceConnectionState: prev ?? '', currIceConnectionState: cur };
    if (cur === 'checking') {
      if (prev && prev !== 'new') this.emit('iceRestarted', ice);
      this.checkingAt = now;
      this.failedReported = false;
    } else if (CONNECTED(cur)) {
      if (!this.setupDone) {
        this.setup();
      } else if (this.disruptedAt !== undefined) {
        this.emit('iceDisruptionEnd', { ...ice, delay: now - this.disruptedAt, currIceCandidatePair: this.pairInfo(this.lastSnap) });
        this.disruptedAt = undefined;
      }
      if (this.state === 'disrupted' || this.state === 'failed') this.state = this.hold ? 'hold' : 'established';
    } else if (cur === 'disconnected' && this.setupDone) {
      this.disruptedAt = now;
      this.state = 'disrupted';
      this.emit('iceDisruptionStart', { ...ice, currIceCandidatePair: this.pairInfo(this.lastSnap) });
      this.notify('appConnectivityError', 'ICE connection disrupted');
    } else if (cur === 'failed') {
      this.onFailed(prev, cur, now);
    }
  }

  /** The connection failed: before setup that is a setup failure, after it a drop. Once. */
  private onFailed(prev: string | undefined, cur: string, now: number): void {
    const ice = { prevIceConnectionState: prev ?? '', currIceConnectionState: cur };
    if (!this.failedReported) {
      this.failedReported = true;
      const since = this.disruptedAt ?? this.checkingAt ?? this.addedAt;
      this.emit('iceFailed', { ...ice, delay: now - since });
      if (!this.setupDone) {
        this.emit('fabricSetupFailed', {
          reason: 'IceConnectionFailure',
          function: 'iceConnectionFailure',
          delay: now - this.addedAt,
          fabricState: this.state,
          iceConnectionState: cur,
        });
      } else {
        this.emit('fabricDropped', { ...ice, delay: now - since, currIceCandidatePair: this.pairInfo(this.lastSnap) });
      }
      this.state = 'failed';
      this.notify('appConnectivityError', 'ICE connection failed');
    }
  }

  private pollInterval(): number {
    const c = this.host.claims();
    return Math.min(POLL_MAX_MS, c ? c.submissionInterval : POLL_MAX_MS);
  }

  private setup(): void {
    this.setupDone = true;
    if (this.state === 'initializing') this.state = this.hold ? 'hold' : 'established';
    const now = this.host.now();
    const connectivityDelay = now - (this.checkingAt ?? this.addedAt);
    this.polling = true;
    void getStats(this.pc).then((snap) =>
      this.guard(() => {
        this.polling = false;
        if (this.terminated) return;
        const pair = selectedPair(snap);
        const collectIP = this.host.collectIP;
        let iceServers: string[] = [];
        try {
          const cfg = typeof this.pc.getConfiguration === 'function' ? this.pc.getConfiguration() : undefined;
          // URLs only: usernames and credentials stay in the page.
          iceServers = ((cfg && cfg.iceServers) || []).flatMap((s) => {
            const urls = s.urls ?? (s as { url?: string }).url;
            return (Array.isArray(urls) ? urls : [urls]).filter((u): u is string => typeof u === 'string');
          });
        } catch {
          iceServers = [];
        }
        this.emit(
          'fabricSetup',
          {
            delay: now - this.addedAt,
            iceGatheringDelay: this.gatheringDelay ?? 0,
            iceConnectivityDelay: connectivityDelay,
            localIceCandidates: ofType(snap, 'local-candidate').map((c) => describeCandidate(c, collectIP)),
            remoteIceCandidates: ofType(snap, 'remote-candidate').map((c) => describeCandidate(c, collectIP)),
            iceCandidatePairs: ofType(snap, 'candidate-pair').map((p) => pick(p, KEPT_FIELDS['candidate-pair']!)),
            selectedCandidatePairID: pair ? pair.id : null,
            fabricTransmissionDirection: this.attributes.fabricTransmissionDirection,
            remoteEndpointType: this.attributes.remoteEndpointType,
            fabricUsage: this.usage,
            iceServers,
            sdpSemantics: 'unified-plan',
          },
          now,
        );
        this.selectedPairId = pair ? pair.id : undefined;
        this.notify('success', 'fabric set up');
        this.onPoll(snap);
      }),
    );
  }

  setHold(hold: boolean): void {
    this.hold = hold;
    if (hold) this.state = 'hold';
    else if (this.state === 'hold') this.state = this.setupDone ? 'established' : 'initializing';
    this.pollDueAt = 0;
  }

  associate(ssrc: string, a: Association): void {
    this.associations.set(ssrc, a);
    // Re-announce the SSRC map with the new owner at the next poll.
    this.ssrcKey = '';
    if (a.associatedVideoTag) this.watchVideo(ssrc, a.associatedVideoTag);
  }

  /** Video elements already watched, by element id. */
  private readonly watched = new Set<string>();

  /**
   * The original watched the video element named in associateMstWithUserID: `canplay` gives
   * mediaPlaybackStart, `suspend` mediaPlaybackSuspended, both with the associated SSRC.
   */
  private watchVideo(ssrc: string, tag: string): void {
    const doc = (globalThis as { document?: Document }).document;
    const el = doc && typeof doc.getElementById === 'function' ? doc.getElementById(tag) : null;
    if (!el || typeof el.addEventListener !== 'function' || this.watched.has(tag)) return;
    this.watched.add(tag);
    const highResTs = () => (typeof performance !== 'undefined' ? performance.now() : 0);
    const onPlay = () => this.guard(() => !this.terminated && this.emit('mediaPlaybackStart', { ssrc, highResTs: highResTs(), kind: 'video' }));
    const onSuspend = () => this.guard(() => !this.terminated && this.emit('mediaPlaybackSuspended', { ssrc, highResTs: highResTs() }));
    el.addEventListener('canplay', onPlay);
    el.addEventListener('suspend', onSuspend);
    this.elementListeners.push([el, 'canplay', onPlay], [el, 'suspend', onSuspend]);
  }

  private elementListeners: [EventTarget, string, () => void][] = [];

  tick(now: number): void {
    this.checkStates();
    if (this.terminated || !this.setupDone || this.hold || this.polling || now < this.pollDueAt) return;
    this.polling = true;
    void getStats(this.pc).then((snap) =>
      this.guard(() => {
        this.polling = false;
        if (!this.terminated) this.onPoll(snap);
      }),
    );
  }

  private onPoll(snap: Snapshot): void {
    const now = this.host.now();
    this.pollDueAt = now + this.pollInterval() - 250;
    if (!snap.size) return;
    const pair = selectedPair(snap);
    if (pair && this.selectedPairId && pair.id !== this.selectedPairId) {
      const prevPair = this.pairInfo(this.lastSnap, this.selectedPairId);
      const currPair = this.pairInfo(snap, pair.id);
      const local = snap.get(String(pair['localCandidateId']));
      const extra: Record<string, unknown> = { prevIceCandidatePair: prevPair ?? { id: this.selectedPairId }, currIceCandidatePair: currPair };
      if (local && local['candidateType'] === 'relay') extra['relayType'] = local['relayProtocol'] ?? local['protocol'];
      this.emit('fabricTransportSwitch', extra);
    }
    if (pair) this.selectedPairId = pair.id;
    if (this.lastSnap) {
      for (const e of oneWayChanges(this.lastSnap, snap, this.oneWay, this.muted)) {
        this.emit(e.eventType, { mediaType: e.mediaType, disruptionType: e.disruptionType, ssrc: e.ssrc });
      }
    }
    this.announceSsrcs(snap, now);
    this.checkSdp();
    const claims = this.host.claims();
    // Before the first token (server unreachable so far) samples are still taken, at the usual
    // period, and wait in the queue.
    const interval = claims ? claims.submissionInterval : DEFAULT_SUBMISSION_INTERVAL;
    if (now - this.lastSubmitAt >= interval - this.pollInterval() / 2) {
      this.lastSubmitAt = now;
      this.host.submitStats(this, trimSnapshot(snap, { collectIP: this.host.collectIP }), now);
    }
    if (!this.callbackSnap) {
      // First callback one poll (about 5 s) after setup, then every 10 s.
      this.callbackSnap = snap;
      this.lastCallbackAt = now - CALLBACK_INTERVAL_MS / 2;
    } else if (now - this.lastCallbackAt >= CALLBACK_INTERVAL_MS - 500) {
      this.host.statsCallback(this, this.tracks(snap, this.callbackSnap));
      this.callbackSnap = snap;
      this.lastCallbackAt = now;
    }
    this.lastSnap = snap;
  }

  private ssrcInfo(direction: 'inbound' | 'outbound'): Map<string, SsrcInfo> {
    try {
      const d = direction === 'outbound' ? this.pc.localDescription : this.pc.remoteDescription;
      return parseSsrcs(d && d.sdp);
    } catch {
      return new Map();
    }
  }

  private owner(ssrc: string, direction: 'inbound' | 'outbound'): string {
    const a = this.associations.get(ssrc);
    if (a) return a.userID;
    return direction === 'outbound' ? this.host.localUserID() : this.remoteID;
  }

  private announceSsrcs(snap: Snapshot, now: number): void {
    const rtp = [...ofType(snap, 'outbound-rtp'), ...ofType(snap, 'inbound-rtp')];
    const key = rtp.map((r) => `${r.type}:${r['ssrc']}`).sort().join(',');
    if (!rtp.length || key === this.ssrcKey) return;
    this.ssrcKey = key;
    const sdp = { inbound: this.ssrcInfo('inbound'), outbound: this.ssrcInfo('outbound') };
    const ssrcData = rtp.map((r) => {
      const direction = r.type === 'outbound-rtp' ? 'outbound' : 'inbound';
      const ssrc = String(r['ssrc']);
      const info = sdp[direction].get(ssrc) || {};
      const a = this.associations.get(ssrc);
      const entry: Record<string, unknown> = {
        ssrc,
        streamType: direction,
        reportType: direction === 'outbound' ? 'local' : 'remote',
        mediaType: r['kind'] ?? info.mediaType,
        userID: this.owner(ssrc, direction),
        localUserID: this.host.localUserID(),
        remoteUserID: this.remoteID,
        localStartTime: now,
      };
      const optional: Record<string, unknown> = {
        cname: info.cname,
        msid: info.msid,
        mid: r['mid'] ?? info.mid,
        trackIdentifier: r['trackIdentifier'],
        usageLabel: a && a.usageLabel,
        associatedVideoTag: a && a.associatedVideoTag,
      };
      for (const k in optional) if (optional[k] !== undefined) entry[k] = optional[k];
      return entry;
    });
    this.emit('ssrcMap', { ssrcData });
  }

  /** Sends changed SDPs (the unchanged side as ''), only when the token asks for SDPs. */
  checkSdp(force?: { local?: unknown; remote?: unknown }): void {
    const c = this.host.claims();
    if (!c || !c.collectSDP) return;
    const text = (d: unknown): string | undefined =>
      typeof d === 'string' ? d : d && typeof (d as RTCSessionDescription).sdp === 'string' ? (d as RTCSessionDescription).sdp : undefined;
    let local: string | undefined;
    let remote: string | undefined;
    try {
      local = force ? text(force.local) : text(this.pc.localDescription);
      remote = force ? text(force.remote) : text(this.pc.remoteDescription);
    } catch {
      return;
    }
    const localChanged = local !== undefined && local !== this.sdp.local;
    const remoteChanged = remote !== undefined && remote !== this.sdp.remote;
    if (!localChanged && !remoteChanged) return;
    if (localChanged) this.sdp.local = local;
    if (remoteChanged) this.sdp.remote = remote;
    this.emit('sdpSubmissionEvent', { localSDP: localChanged ? local : '', remoteSDP: remoteChanged ? remote : '' });
  }

  private tracks(cur: Snapshot, prev: Snapshot): StatsTrack[] {
    const sdp = { inbound: this.ssrcInfo('inbound'), outbound: this.ssrcInfo('outbound') };
    return allStreamMetrics(cur, prev).map((m: StreamMetrics) => {
      const ssrc = String(m.ssrc);
      const info = sdp[m.direction].get(ssrc) || {};
      const a = this.associations.get(ssrc);
      const quality = streamQuality(m, this.prevFps.get(m.id));
      this.prevFps.set(m.id, m.framesPerSecond);
      const track: StatsTrack = {
        remoteUserID: this.remoteUser,
        statsType: m.direction === 'inbound' ? 'inbound-rtp' : 'outbound-rtp',
        ssrc: m.ssrc,
        mediaType: m.kind,
        bitrate: m.bitrate === null ? null : m.bitrate / 1000,
        packetRate: m.packetRate,
        fractionLoss: m.fractionLost,
        packetLossPercentage: m.fractionLost === null ? null : m.fractionLost * 100,
        // The metrics are in ms (the quality labels read them so); the app gets seconds.
        jitter: seconds(m.jitter),
        averageJitter: seconds(this.averages.jitter.add(ssrc + m.direction, m.jitter)),
        rtt: seconds(m.rtt),
        averageRTT: seconds(this.averages.rtt.add(ssrc + m.direction, m.rtt)),
        quality,
      };
      if (info.cname) track.cname = info.cname;
      if (info.msid) track.msid = info.msid;
      if (a && a.usageLabel !== undefined) track.usageLabel = a.usageLabel;
      if (a && a.associatedVideoTag !== undefined) track.associatedVideoTag = a.associatedVideoTag;
      if (m.kind === 'audio') {
        track.audioLevel = m.audioLevel;
        if (m.direction === 'inbound') {
          track.concealmentRatio = m.concealmentRatio;
          track.jitterBufferDelay = m.jitterBufferDelay;
        }
      } else {
        track.framesPerSecond = m.framesPerSecond;
        track.frameWidth = m.frameWidth;
        track.frameHeight = m.frameHeight;
        if (m.direction === 'inbound') {
          track.freezeCount = m.freezeCount;
          track.totalFreezesDuration = m.freezeDuration;
          track.jitterBufferDelay = m.jitterBufferDelay;
        } else {
          track.qualityLimitationReason = m.qualityLimitationReason;
        }
      }
      return track;
    });
  }

  /** Stops monitoring; `silent` when the caller delivers fabricTerminated itself (page unload). */
  terminate(silent = false): void {
    if (this.terminated) return;
    this.terminated = true;
    this.state = 'terminated';
    const pc = this.pc as unknown as EventTarget;
    for (const [type, fn] of this.listeners) {
      try {
        pc.removeEventListener(type, fn);
      } catch {
        // Nothing to undo.
      }
    }
    this.listeners = [];
    for (const [el, type, fn] of this.elementListeners) el.removeEventListener(type, fn);
    this.elementListeners = [];
    if (!silent) this.emit('fabricTerminated');
    this.host.fabricEnded(this);
  }
}
