// A stand-in for the callstats server behind `fetch`, and a stand-in RTCPeerConnection, so the
// client's whole flow runs in node under mocked timers. The server side is deliberately small:
// it answers what our Rust server answers and records every request for the assertions.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { repoRoot } from './helpers.mjs';

const b64url = (s) => Buffer.from(s).toString('base64url');

export function accessToken(claims) {
  return `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(JSON.stringify(claims))}.c2ln`;
}

export class FakeServer {
  constructor({ appID = 1, submissionInterval = 15000, collectSDP = false, ingestedEvents, expiresIn = 3600, now = () => Date.now(), compact = true } = {}) {
    Object.assign(this, { appID, submissionInterval, collectSDP, ingestedEvents, expiresIn, now, compact });
    /** The compact extension's held bases: connectionID -> seq -> resolved streams. */
    this.bases = new Map();
    this.requests = [];
    this.down = false;
    /** path regexp -> queue of one-shot replies {status, body} or 'network' */
    this.overrides = [];
    this.config = { default: { peerConnection: { iceTransportPolicy: 'all' } }, recommended: { media: { video: true } } };
    this.nextUc = 1000000000000000001n;
    this.fetch = this.fetch.bind(this);
  }

  /** The next request whose path matches `re` gets `reply` instead ('network' = connection refused). */
  once(re, reply) {
    this.overrides.push({ re, reply });
  }

  of(pred) {
    return this.requests.filter(typeof pred === 'function' ? pred : (r) => r.eventType === pred);
  }

  async fetch(url, init = {}) {
    const u = new URL(url);
    const method = init.method || 'GET';
    const headers = Object.fromEntries(Object.entries(init.headers || {}).map(([k, v]) => [k.toLowerCase(), v]));
    let body;
    let form;
    // Like the real server, take gzip-encoded bodies.
    if (init.body && typeof init.body !== 'string' && headers['content-encoding'] === 'gzip') {
      init = { ...init, body: gunzipSync(Buffer.from(init.body)).toString('utf8') };
    }
    if (typeof init.body === 'string') {
      if ((headers['content-type'] || '').includes('json')) body = JSON.parse(init.body);
      else form = Object.fromEntries(new URLSearchParams(init.body));
    }
    // The batch extension: each item is handled as the request it stands for (and recorded so),
    // and the answer lists their outcomes; a refused token or the network fails them all.
    if (u.pathname.endsWith('/batch') && body && Array.isArray(body.items) && !this.down) {
      const base = url.slice(0, url.length - '/batch'.length);
      const single = { ...headers };
      delete single['content-encoding'];
      const results = [];
      for (const item of body.items) {
        const res = await this.fetch(`${base}/${item.route}`, { method: 'POST', headers: single, body: JSON.stringify(item.body), keepalive: init.keepalive });
        const text = await res.text();
        if (res.status === 401) return new Response(text, { status: 401 });
        let parsed;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        results.push(res.ok && parsed && parsed.status === 'success' ? { status: 'success' } : { status: 'error', msg: (parsed && parsed.msg) || `HTTP ${res.status}` });
      }
      return new Response(JSON.stringify({ status: 'success', results }), { status: 200, headers: { 'content-type': 'application/json' } });
    }
    const rec = { method, path: u.pathname, url, headers, body, form, keepalive: !!init.keepalive, at: this.now(), eventType: body && body.eventType };
    this.requests.push(rec);
    const i = this.overrides.findIndex((o) => o.re.test(u.pathname));
    if (i >= 0) {
      const { reply } = this.overrides.splice(i, 1)[0];
      rec.reply = reply;
      if (reply === 'network') throw new TypeError('fetch failed');
      return new Response(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body), { status: reply.status });
    }
    if (this.down) {
      rec.reply = 'network';
      throw new TypeError('fetch failed');
    }
    const json = (status, b) => new Response(JSON.stringify(b), { status, headers: { 'content-type': 'application/json' } });
    const p = u.pathname;
    if (p === '/authenticate') {
      const claims = {
        appID: this.appID,
        userID: encodeURIComponent(form.client_id.slice(0, form.client_id.lastIndexOf('@'))),
        submissionInterval: this.submissionInterval,
        collectSDP: this.collectSDP,
        expiry: new Date(this.now() + this.expiresIn * 1000).toISOString(),
      };
      if (this.ingestedEvents) claims.ingestedEvents = this.ingestedEvents;
      return json(200, { access_token: accessToken(claims), token_type: 'bearer', expires_in: this.expiresIn });
    }
    if (p === '/clockSync') return json(200, { now: this.now() + 5000 });
    if (!headers.authorization || !headers.authorization.startsWith('Bearer ')) return json(401, { status: 'error', msg: 'missing access token' });
    if (p.endsWith('/configurations')) return json(200, this.config);
    const m = /^\/v1\/apps\/(\d+)\/conferences\/([^/]+)(?:\/([^/]+)\/(.+))?$/.exec(p);
    if (m && !m[3]) return json(200, { status: 'success', ucID: String(this.nextUc++) });
    if (m && m[4] === 'stats/compact') {
      if (!this.compact) return json(404, { status: 'error', msg: 'no such route: stats/compact' });
      // Like the server: resolve against the held base, refuse an unknown one with 409.
      const held = this.bases.get(body.connectionID) || new Map();
      this.bases.set(body.connectionID, held);
      const base = body.base === undefined ? undefined : held.get(body.base);
      if (body.base !== undefined && !base) return json(409, { status: 'error', msg: `keyframe required: submission ${body.base} is not known` });
      rec.eventType = 'stats';
      rec.streams = resolveCompact(body, base);
      held.set(body.seq, rec.streams);
      return json(200, { status: 'success', msg: 'accepted' });
    }
    if (m) return json(200, { status: 'success', msg: 'accepted' });
    return json(404, { status: 'error', msg: 'no such endpoint' });
  }
}

const COUNTERS = ['b', 'p', 'l', 'f', 'fc', 'cs', 'sc', 'pd', 'ts', 'be'];

/** The absolute streams of a compact body (crates/callstats-protocol/src/compact.rs). */
export function resolveCompact(body, base) {
  return body.s.map((s) => {
    const p = base && base.find((x) => x.i === s.i);
    const r = { ...(p || {}), ...s, t: s.t ?? body.t };
    if (p) for (const k of COUNTERS) if (p[k] !== undefined && s[k] !== undefined) r[k] = p[k] + s[k];
    return r;
  });
}

/** Problems the server would have with a compact stats body, or []. */
export function compactComplaints(body) {
  const out = [];
  for (const f of ['localID', 'connectionID']) if (typeof body[f] !== 'string') out.push(f);
  for (const f of ['timestamp', 'seq', 't']) if (typeof body[f] !== 'number') out.push(f);
  if (body.base !== undefined && !(body.base < body.seq)) out.push('base');
  if (!Array.isArray(body.s)) return [...out, 's'];
  const known = new Set(['i', 'ssrc', 'k', 'd', 't', 'c', 'fec', ...COUNTERS, 'fl', 'j', 'r', 'w', 'h', 'fd', 'bd', 'q']);
  for (const st of body.s) for (const k of Object.keys(st)) if (!known.has(k)) out.push(`s[i=${st.i}].${k}`);
  return out;
}

/** The server's catalogue: eventType -> required fields, parsed from the Rust source. */
export function serverCatalogue() {
  const src = readFileSync(join(repoRoot, 'crates', 'callstats-protocol', 'src', 'catalogue.rs'), 'utf8');
  const out = {};
  for (const m of src.matchAll(/kind!\("(\w+)"((?:,\s*"\w+":\s*\w+)*)\)/g)) {
    out[m[1]] = [...m[2].matchAll(/"(\w+)":\s*(\w+)/g)].map((f) => [f[1], f[2]]);
  }
  return out;
}

const TYPE_CHECK = {
  String: (v) => typeof v === 'string',
  Number: (v) => typeof v === 'number',
  Array: Array.isArray,
  Object: (v) => !!v && typeof v === 'object' && !Array.isArray(v),
  ArrayOrObject: (v) => !!v && typeof v === 'object',
  StringOrNumber: (v) => typeof v === 'string' || typeof v === 'number',
  Any: (v) => v !== null && v !== undefined,
};

/** Problems the server would have with a body, or [] (common fields plus the kind's own). */
export function serverComplaints(body, catalogue) {
  const out = [];
  if (typeof body.localID !== 'string') out.push('localID');
  if (typeof body.deviceID !== 'string') out.push('deviceID');
  if (typeof body.timestamp !== 'number') out.push('timestamp');
  const spec = catalogue[body.eventType];
  if (!spec) return [...out, `unknown eventType ${body.eventType}`];
  for (const [f, t] of spec) if (!TYPE_CHECK[t](body[f])) out.push(`${f} (${t})`);
  return out;
}

/** An RTCPeerConnection look-alike whose states the test drives and whose getStats it scripts. */
export class FakePc extends EventTarget {
  constructor(statsSource) {
    super();
    this.signalingState = 'stable';
    this.iceConnectionState = 'new';
    this.iceGatheringState = 'new';
    this.connectionState = 'new';
    this.localDescription = null;
    this.remoteDescription = null;
    this.statsSource = statsSource;
    this.getStatsCalls = 0;
  }
  getConfiguration() {
    return { iceServers: [{ urls: ['stun:stun.example.org:3478'], username: 'u', credential: 'secret' }] };
  }
  async getStats() {
    this.getStatsCalls++;
    return this.statsSource ? this.statsSource() : new Map();
  }
  set(prop, value, event = true) {
    this[prop] = value;
    const names = { signalingState: 'signalingstatechange', iceConnectionState: 'iceconnectionstatechange', iceGatheringState: 'icegatheringstatechange', connectionState: 'connectionstatechange' };
    if (event) this.dispatchEvent(new Event(names[prop]));
  }
  /** The usual path to connected. */
  connect() {
    this.set('signalingState', 'have-local-offer');
    this.set('iceGatheringState', 'gathering');
    this.set('signalingState', 'stable');
    this.set('iceConnectionState', 'checking');
    this.set('iceGatheringState', 'complete');
    this.set('iceConnectionState', 'connected');
    this.set('connectionState', 'connected');
  }
  /** close() fires no events, as in browsers. */
  close() {
    this.signalingState = 'closed';
    this.iceConnectionState = 'closed';
    this.connectionState = 'closed';
  }
}

/** Synthetic getStats(): one audio and one video stream each way, counters growing with `clock()`. */
export function syntheticStats(clock, { lossEvery = 0 } = {}) {
  const t0 = clock();
  return () => {
    const t = clock();
    const s = (t - t0) / 1000;
    const reports = [
      { id: 'T01', type: 'transport', timestamp: t, bytesSent: 1000 * s, bytesReceived: 1000 * s, selectedCandidatePairId: 'CP1', dtlsState: 'connected', iceState: 'connected', dtlsCipher: 'x', localCertificateId: 'drop-me' },
      { id: 'CP1', type: 'candidate-pair', timestamp: t, transportId: 'T01', localCandidateId: 'L1', remoteCandidateId: 'R1', state: 'succeeded', nominated: true, currentRoundTripTime: 0.02, bytesSent: 1, priority: 5 },
      { id: 'CP2', type: 'candidate-pair', timestamp: t, transportId: 'T01', localCandidateId: 'L2', remoteCandidateId: 'R1', state: 'failed' },
      { id: 'L1', type: 'local-candidate', timestamp: t, address: '10.0.0.1', port: 5000, protocol: 'udp', candidateType: 'host', networkType: 'ethernet' },
      { id: 'L2', type: 'local-candidate', timestamp: t, address: '10.0.0.2', port: 5001, protocol: 'udp', candidateType: 'host' },
      { id: 'R1', type: 'remote-candidate', timestamp: t, address: '10.0.0.3', port: 6000, protocol: 'udp', candidateType: 'host' },
      { id: 'CA', type: 'codec', timestamp: t, mimeType: 'audio/opus', clockRate: 48000, payloadType: 111 },
      { id: 'CV', type: 'codec', timestamp: t, mimeType: 'video/VP8', clockRate: 90000, payloadType: 96 },
      { id: 'CX', type: 'codec', timestamp: t, mimeType: 'video/H264', clockRate: 90000, payloadType: 102 },
      { id: 'OA', type: 'outbound-rtp', timestamp: t, kind: 'audio', ssrc: 111, codecId: 'CA', bytesSent: 4000 * s, packetsSent: 50 * s, remoteId: 'RIA', mediaSourceId: 'SA' },
      { id: 'OV', type: 'outbound-rtp', timestamp: t, kind: 'video', ssrc: 222, codecId: 'CV', bytesSent: 125000 * s, packetsSent: 120 * s, framesEncoded: 30 * s, frameWidth: 640, frameHeight: 360, qualityLimitationReason: 'none', remoteId: 'RIV' },
      { id: 'RIA', type: 'remote-inbound-rtp', timestamp: t, kind: 'audio', ssrc: 111, localId: 'OA', fractionLost: 0, roundTripTime: 0.03, jitter: 0.002, packetsLost: 0 },
      { id: 'RIV', type: 'remote-inbound-rtp', timestamp: t, kind: 'video', ssrc: 222, localId: 'OV', fractionLost: 0, roundTripTime: 0.03, jitter: 0.004, packetsLost: 0 },
      { id: 'IA', type: 'inbound-rtp', timestamp: t, kind: 'audio', ssrc: 333, codecId: 'CA', bytesReceived: 4000 * s, packetsReceived: 50 * s, packetsLost: lossEvery ? Math.floor((50 * s) / lossEvery) : 0, jitter: 0.003, audioLevel: 0.1, totalSamplesReceived: 48000 * s, concealedSamples: 480 * s },
      { id: 'IV', type: 'inbound-rtp', timestamp: t, kind: 'video', ssrc: 444, codecId: 'CV', bytesReceived: 125000 * s, packetsReceived: 120 * s, packetsLost: 0, jitter: 0.005, framesDecoded: 30 * s, frameWidth: 640, frameHeight: 360, freezeCount: 0, totalFreezesDuration: 0 },
      { id: 'SA', type: 'media-source', timestamp: t, kind: 'audio', audioLevel: 0.2 },
      { id: 'cert', type: 'certificate', timestamp: t, fingerprint: 'x' },
    ];
    return new Map(reports.map((r) => [r.id, r]));
  };
}
