// A UDP impairment relay on 127.0.0.1: the network of one real WebRTC call, with loss, bursty
// loss, delay, jitter, a bandwidth cap and outages applied by known amounts, per direction.
//
// Why it exists: this machine has no `tc netem`, and the WebRTC network-emulation field trials
// of Debian's Chromium do nothing, yet the product must be proven on real calls whose network
// was impaired by known amounts (issue 11). So the call's packets pass through this relay, and
// the relay is the network.
//
// How it sits in the path (`startCall` in lib/impairment.mjs does this for two pages):
//
//      side A (offerer)                    relay                      side B (answerer)
//      127.0.0.1:a  ──►  sideA 127.0.0.1:X ═══ a2b ══► sideB 127.0.0.1:Y  ──►  127.0.0.1:b
//      127.0.0.1:a  ◄──  sideA             ◄══ b2a ═══ sideB              ◄──  127.0.0.1:b
//
//   * A's PeerConnection gets one remote candidate, `127.0.0.1:X` (the relay's side-A socket),
//     instead of B's real candidates.
//   * B's PeerConnection gets none of A's candidates. B's loopback host candidate `127.0.0.1:b`
//     is handed to the relay (`setTarget`), which sends everything A sent from its side-B socket
//     `127.0.0.1:Y`. B's ICE agent learns `127.0.0.1:Y` as a peer-reflexive candidate from the
//     relayed STUN checks and answers there, so every packet, both ways, crosses the relay:
//     STUN (the consent checks, hence the candidate pair's RTT), DTLS, RTP and RTCP.
//   * Only sources on `peerHost` (127.0.0.1) are accepted on the side-A socket, and only `b` on
//     the side-B socket; anything else (Chrome also tries its non-loopback host candidate) is
//     dropped and counted as `foreign`, so exactly one candidate pair can work.
//
// Per direction (`a2b`, `b2a`), packets go through these stages, in this order:
//   1. classification by first byte (RFC 7983): 0–3 STUN, 20–63 DTLS, 128–191 RTP/RTCP (RTCP
//      when the second byte is 192–223, RFC 5761); SRTP keeps the RTP header in clear, so RTP
//      packets are also counted per SSRC (the ground truth of the loss each stream suffered);
//   2. outage: `outage: 'media'` drops everything but STUN (ICE stays connected, media, RTCP
//      and DTLS stop); `outage: 'all'` drops everything (ICE consent then fails after a while);
//   3. random loss: each packet dropped with probability `loss`;
//   4. bursty loss, Gilbert–Elliott with loss 1 in the Bad state and 0 in the Good one (the
//      Gilbert model): `burst: { loss: mean loss 0–1, length: mean burst length in packets }`.
//      Bad→Good has probability r = 1/length, Good→Bad p = r·loss/(1−loss), so the stationary
//      share of Bad, i.e. the mean loss, is p/(p+r) = loss, and a burst lasts 1/r packets on
//      average (geometric);
//   5. bandwidth cap: a token bucket of `rateKbps` (depth `burstBytes`, default 2 full packets)
//      feeding a drop-tail queue of at most `queueBytes` (default 250 ms at the rate, ≥ 8 KB);
//      a packet that does not fit the queue is dropped (`queue`). This is a bottleneck link:
//      queueing delay grows to queueBytes/rate before drops begin, as on a real uplink;
//   6. delay line: each packet is released `delayMs + U(0, jitterMs)` after it leaves stage 5.
//      By default the line is FIFO (a packet is never released before the one ahead of it: its
//      release time is max(its own, its predecessor's)), as jitter from queues on one path is;
//      the mean added delay is then somewhat above delayMs + jitterMs/2. `reorder: true` lets
//      each packet keep its own release time, so packets overtake each other (netem's default).
//      The line holds at most `maxQueued` packets (default 4000); beyond that, `overflow` drops.
// The browser tests run it in a worker thread of its own (lib/relay-thread.mjs), so that the
// test's other work cannot hold packets up.
// Every setting can be changed while running (`set`), and takes effect for the next packet.
// The delay line also counts how late it released packets (`late`: timers and a busy event loop
// add to the delay asked for); with no delay and no jitter, packets are forwarded synchronously.
// Counters per direction: packets and bytes in and forwarded, drops by cause, per class, per
// SSRC. `close()` stops the timers, empties the queues and closes both sockets; nothing in the
// relay grows without bound (queues are capped, the SSRC table keeps at most 64 entries).
import dgram from 'node:dgram';

export const CLASSES = ['stun', 'dtls', 'rtp', 'rtcp', 'other'];

/** RFC 7983 demultiplexing by first byte, and RTP/RTCP by the second (RFC 5761). */
export function classify(buf) {
  if (buf.length === 0) return 'other';
  const b = buf[0];
  if (b <= 3) return 'stun';
  if (b >= 20 && b <= 63) return 'dtls';
  if (b >= 128 && b <= 191) {
    const pt = buf.length > 1 ? buf[1] : 0;
    return pt >= 192 && pt <= 223 ? 'rtcp' : 'rtp';
  }
  return 'other';
}

const DEFAULTS = Object.freeze({
  loss: 0,
  burst: null, // { loss, length }
  delayMs: 0,
  jitterMs: 0,
  reorder: false,
  rateKbps: null,
  burstBytes: null,
  queueBytes: null,
  outage: null, // null | 'media' | 'all'
  maxQueued: 4000,
});

const MAX_SSRCS = 64;

function emptyCounters() {
  const byClass = {};
  for (const c of CLASSES) byClass[c] = { in: 0, forwarded: 0, dropped: 0 };
  return {
    in: 0,
    forwarded: 0,
    bytesIn: 0,
    bytesForwarded: 0,
    dropped: { outage: 0, loss: 0, burst: 0, queue: 0, overflow: 0, foreign: 0, closed: 0 },
    byClass,
    // ssrc → { in, dropped, forwarded } of RTP packets (RTX has its own SSRC).
    bySsrc: new Map(),
    // How late the delay line released packets against their due time (timer and event-loop
    // lateness: what the relay added beyond what it was told), ms.
    late: { count: 0, sum: 0, max: 0, over10: 0 },
  };
}

/** A min-heap of { due, seq, buf } ordered by due time, then arrival. */
class DueHeap {
  constructor() { this.a = []; }
  get size() { return this.a.length; }
  peek() { return this.a[0]; }
  less(i, j) { const x = this.a[i]; const y = this.a[j]; return x.due < y.due || (x.due === y.due && x.seq < y.seq); }
  push(item) {
    const a = this.a;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop() {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(l, m)) m = l;
        if (r < a.length && this.less(r, m)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
  clear() { this.a = []; }
}

/** One direction of the relay: the impairment pipeline and its counters. */
class Direction {
  constructor(name, send, random) {
    this.name = name;
    this.send = send; // (buf) => void, the real send on the outgoing socket
    this.random = random;
    this.cfg = { ...DEFAULTS };
    this.c = emptyCounters();
    this.geBad = false;
    // stage 5: token bucket + drop-tail queue
    this.tokens = 0;
    this.tokensAt = 0;
    this.rateQueue = [];
    this.rateQueueHead = 0;
    this.rateQueueBytes = 0;
    this.rateTimer = null;
    // stage 6: delay line
    this.line = new DueHeap();
    this.lineSeq = 0;
    this.lastDue = 0;
    this.lineTimer = null;
    this.lineTimerDue = Infinity;
    this.closed = false;
  }

  set(patch) {
    const next = { ...this.cfg, ...patch };
    if (next.burst && !(next.burst.loss > 0)) next.burst = null;
    for (const k of ['loss', 'delayMs', 'jitterMs']) {
      if (!(Number.isFinite(next[k]) && next[k] >= 0)) throw new Error(`relay ${this.name}: ${k} must be a number ≥ 0, got ${next[k]}`);
    }
    if (next.loss > 1) throw new Error(`relay ${this.name}: loss is a probability 0–1, got ${next.loss}`);
    if (next.burst && !(next.burst.loss < 1 && next.burst.length >= 1)) throw new Error(`relay ${this.name}: burst needs loss < 1 and length ≥ 1`);
    if (![null, 'media', 'all'].includes(next.outage)) throw new Error(`relay ${this.name}: outage is null, 'media' or 'all'`);
    if (next.rateKbps != null && !(next.rateKbps > 0)) throw new Error(`relay ${this.name}: rateKbps must be > 0 or null`);
    const rateChanged = next.rateKbps !== this.cfg.rateKbps;
    this.cfg = next;
    if (rateChanged) {
      this.tokens = this.depth();
      this.tokensAt = performance.now();
      // Lifting the cap releases what was queued.
      if (next.rateKbps == null) this.drainRate(true);
      else this.drainRate(false);
    }
  }

  depth() { return this.cfg.burstBytes ?? 2 * 1500; }
  queueLimit() {
    if (this.cfg.queueBytes != null) return this.cfg.queueBytes;
    return Math.max(8192, Math.round((this.cfg.rateKbps * 1000 / 8) * 0.25));
  }

  ssrcEntry(buf) {
    if (buf.length < 12) return null;
    const ssrc = buf.readUInt32BE(8);
    let e = this.c.bySsrc.get(ssrc);
    if (!e) {
      if (this.c.bySsrc.size >= MAX_SSRCS) return null;
      e = { payloadType: buf[1] & 0x7f, in: 0, dropped: 0, forwarded: 0 };
      this.c.bySsrc.set(ssrc, e);
    }
    return e;
  }

  drop(cause, cls, ssrc) {
    this.c.dropped[cause] += 1;
    this.c.byClass[cls].dropped += 1;
    if (ssrc) ssrc.dropped += 1;
  }

  /** Stages 1–4, then on to the rate limiter. */
  input(buf) {
    if (this.closed) return;
    const cls = classify(buf);
    const ssrc = cls === 'rtp' ? this.ssrcEntry(buf) : null;
    this.c.in += 1;
    this.c.bytesIn += buf.length;
    this.c.byClass[cls].in += 1;
    if (ssrc) ssrc.in += 1;
    const { cfg } = this;
    if (cfg.outage === 'all' || (cfg.outage === 'media' && cls !== 'stun')) return this.drop('outage', cls, ssrc);
    if (cfg.loss > 0 && this.random() < cfg.loss) return this.drop('loss', cls, ssrc);
    if (cfg.burst) {
      const r = 1 / cfg.burst.length;
      const p = (r * cfg.burst.loss) / (1 - cfg.burst.loss);
      // Transition first, then the packet meets the state it is in.
      this.geBad = this.geBad ? this.random() >= r : this.random() < p;
      if (this.geBad) return this.drop('burst', cls, ssrc);
    }
    const item = { buf, cls, ssrc };
    if (cfg.rateKbps == null) return this.delay(item);
    if (this.rateQueueBytes + buf.length > this.queueLimit()) return this.drop('queue', cls, ssrc);
    this.rateQueue.push(item);
    this.rateQueueBytes += buf.length;
    this.drainRate(false);
  }

  /** Stage 5: sends queued packets as tokens allow; `all` releases everything (cap lifted). */
  drainRate(all) {
    if (this.rateTimer) { clearTimeout(this.rateTimer); this.rateTimer = null; }
    const q = this.rateQueue;
    const bytesPerMs = this.cfg.rateKbps ? this.cfg.rateKbps / 8 : Infinity;
    const now = performance.now();
    if (!all) {
      this.tokens = Math.min(this.depth(), this.tokens + (now - this.tokensAt) * bytesPerMs);
      this.tokensAt = now;
    }
    while (this.rateQueueHead < q.length) {
      const item = q[this.rateQueueHead];
      if (!all) {
        if (this.tokens < item.buf.length) break;
        this.tokens -= item.buf.length;
      }
      q[this.rateQueueHead++] = undefined;
      this.rateQueueBytes -= item.buf.length;
      this.delay(item);
    }
    if (this.rateQueueHead === q.length) {
      this.rateQueue = [];
      this.rateQueueHead = 0;
    } else if (this.rateQueueHead > 1024) {
      this.rateQueue = q.slice(this.rateQueueHead);
      this.rateQueueHead = 0;
    }
    if (!all && this.rateQueueHead < this.rateQueue.length && !this.closed) {
      const need = this.rateQueue[this.rateQueueHead].buf.length - this.tokens;
      this.rateTimer = setTimeout(() => this.drainRate(false), Math.max(1, Math.ceil(need / bytesPerMs)));
    }
  }

  /** Stage 6: the delay line. */
  delay(item) {
    const { delayMs, jitterMs, reorder, maxQueued } = this.cfg;
    if (delayMs === 0 && jitterMs === 0 && this.line.size === 0) return this.out(item);
    if (this.line.size >= maxQueued) return this.drop('overflow', item.cls, item.ssrc);
    const now = performance.now();
    let due = now + delayMs + (jitterMs > 0 ? this.random() * jitterMs : 0);
    if (!reorder) due = Math.max(due, this.lastDue);
    this.lastDue = due;
    item.due = due;
    item.seq = this.lineSeq++;
    this.line.push(item);
    this.armLine();
  }

  armLine() {
    if (this.closed || this.line.size === 0) return;
    const due = this.line.peek().due;
    if (this.lineTimer && due >= this.lineTimerDue) return;
    if (this.lineTimer) clearTimeout(this.lineTimer);
    this.lineTimerDue = due;
    this.lineTimer = setTimeout(() => this.releaseLine(), Math.max(0, due - performance.now()));
  }

  releaseLine() {
    this.lineTimer = null;
    this.lineTimerDue = Infinity;
    // Timers fire up to ~1 ms late; release everything due within half a millisecond.
    const now = performance.now() + 0.5;
    const late = this.c.late;
    while (this.line.size && this.line.peek().due <= now) {
      const item = this.line.pop();
      const l = Math.max(0, now - 0.5 - item.due);
      late.count += 1;
      late.sum += l;
      if (l > late.max) late.max = l;
      if (l > 10) late.over10 += 1;
      this.out(item);
    }
    this.armLine();
  }

  out(item) {
    if (this.closed) return this.drop('closed', item.cls, item.ssrc);
    this.c.forwarded += 1;
    this.c.bytesForwarded += item.buf.length;
    this.c.byClass[item.cls].forwarded += 1;
    if (item.ssrc) item.ssrc.forwarded += 1;
    this.send(item.buf);
  }

  foreign() {
    this.c.dropped.foreign += 1;
  }

  counters() {
    const c = this.c;
    const bySsrc = {};
    for (const [ssrc, e] of c.bySsrc) bySsrc[ssrc] = { ...e };
    return {
      in: c.in,
      forwarded: c.forwarded,
      bytesIn: c.bytesIn,
      bytesForwarded: c.bytesForwarded,
      dropped: { ...c.dropped },
      byClass: Object.fromEntries(Object.entries(c.byClass).map(([k, v]) => [k, { ...v }])),
      bySsrc,
      late: { count: c.late.count, meanMs: c.late.count ? c.late.sum / c.late.count : 0, maxMs: c.late.max, over10ms: c.late.over10 },
      queued: (this.rateQueue.length - this.rateQueueHead) + this.line.size,
      config: { ...this.cfg },
    };
  }

  close() {
    this.closed = true;
    if (this.rateTimer) clearTimeout(this.rateTimer);
    if (this.lineTimer) clearTimeout(this.lineTimer);
    this.rateTimer = null;
    this.lineTimer = null;
    this.rateQueue = [];
    this.rateQueueHead = 0;
    this.rateQueueBytes = 0;
    this.line.clear();
  }
}

/** A seeded PRNG (mulberry32), so a run's drops can be reproduced; Math.random when no seed. */
export function prng(seed) {
  if (seed == null) return Math.random;
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const bind = (host) => new Promise((resolve, reject) => {
  const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  s.once('error', reject);
  s.bind(0, host, () => { s.off('error', reject); resolve(s); });
});

/**
 * Starts a relay. `a2b`/`b2a` (or `both`) are initial settings; `seed` makes the random drops
 * reproducible. Returns { host, portA, portB, setTarget, set, counters, close }.
 */
export async function startRelay({ host = '127.0.0.1', peerHost = host, seed, a2b = {}, b2a = {}, both = {} } = {}) {
  const sideA = await bind(host);
  const sideB = await bind(host);
  const random = prng(seed);
  let target = null; // B's address: { address, port }
  let peerA = null; // A's address, learnt from what it sends
  const errors = [];
  const dirs = {
    a2b: new Direction('a2b', (buf) => target && sideB.send(buf, target.port, target.address), random),
    b2a: new Direction('b2a', (buf) => peerA && sideA.send(buf, peerA.port, peerA.address), random),
  };
  dirs.a2b.set({ ...both, ...a2b });
  dirs.b2a.set({ ...both, ...b2a });
  sideA.on('message', (buf, rinfo) => {
    if (rinfo.address !== peerHost || !target) return dirs.a2b.foreign();
    peerA = { address: rinfo.address, port: rinfo.port };
    dirs.a2b.input(buf);
  });
  sideB.on('message', (buf, rinfo) => {
    if (!target || rinfo.address !== target.address || rinfo.port !== target.port) return dirs.b2a.foreign();
    dirs.b2a.input(buf);
  });
  // A send to a port that went away (a page closed) comes back as ECONNREFUSED on some
  // kernels; it must not end the relay.
  for (const s of [sideA, sideB]) s.on('error', (err) => { if (errors.length < 20) errors.push(String(err)); });
  const started = performance.now();
  let closed = false;
  return {
    host,
    portA: sideA.address().port,
    portB: sideB.address().port,
    /** Where B listens (its loopback host candidate). */
    setTarget(address, port) { target = { address, port }; },
    /** Changes one direction ('a2b', 'b2a') or 'both'; a partial object, merged. */
    set(which, patch) {
      for (const d of which === 'both' ? ['a2b', 'b2a'] : [which]) {
        if (!dirs[d]) throw new Error(`relay: no direction ${d}`);
        dirs[d].set(patch);
      }
    },
    counters() {
      return { uptimeMs: Math.round(performance.now() - started), peerA, target, errors: [...errors], a2b: dirs.a2b.counters(), b2a: dirs.b2a.counters() };
    },
    async close() {
      if (closed) return;
      closed = true;
      dirs.a2b.close();
      dirs.b2a.close();
      await Promise.all([sideA, sideB].map((s) => new Promise((r) => s.close(r))));
    },
  };
}

/** Drop share among RTP packets of one direction's counters (what the receiver's streams lost). */
export function rtpLossShare(dir) {
  const rtp = dir.byClass.rtp;
  return rtp.in ? rtp.dropped / rtp.in : null;
}
