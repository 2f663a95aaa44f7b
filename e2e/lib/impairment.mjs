// Real two-party calls through the impairment relay (lib/relay.mjs), monitored by our SDK, and
// what came out of them: the relay's own counters (what was applied), the browsers' getStats
// (what the receivers counted) and the product's JSON API (what it reported).
//
// A call is two pages (pages/impairment.html), user A (offerer) and user B (answerer), each in
// its own browser context with one PeerConnection and its own callstats instance, in one
// conference. The test does the signalling and puts the relay in the path (see the top of
// lib/relay.mjs): A is given the relay's side-A address as its only remote candidate, B is
// given none of A's candidates and learns the relay's side-B address as peer-reflexive from the
// relayed checks. Chromium runs with --allow-loopback-in-peer-connection, so both have a
// 127.0.0.1 host candidate, and only that one can reach the relay.
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { rtpLossShare } from './relay.mjs';
import { startRelayThread } from './relay-thread.mjs';
import { sleep, until } from './wait.mjs';

export const BROWSER_ARGS = ['--allow-loopback-in-peer-connection'];

/** Calls started and not yet ended; `endAll` ends them (a test's `after`, whatever happened). */
const live = new Set();
export async function endAll() {
  await Promise.all([...live].map((c) => endCall(c).catch(() => {})));
}

const pageUrl = (host, server, conf, user, remote, video) => {
  const q = new URLSearchParams({ conf, user, remote });
  if (video) {
    q.set('w', video.width);
    q.set('h', video.height);
  }
  if (server) {
    q.set('server', server.base);
    q.set('app', server.appID);
    q.set('secret', server.appSecret);
  }
  return `${host.base}/impairment.html?${q}`;
};

/** The first UDP host candidate on 127.0.0.1 among a page's gathered candidates. */
function loopbackCandidate(cands) {
  for (const c of cands) {
    const f = c.candidate.replace(/^candidate:/, '').split(' ');
    // foundation component protocol priority address port typ type …
    if (f[2]?.toLowerCase() === 'udp' && f[4] === '127.0.0.1' && f[7] === 'host') return { address: f[4], port: Number(f[5]) };
  }
  return null;
}

/**
 * Starts one call through a fresh relay. `relay` holds its initial settings ({ a2b, b2a, both,
 * seed }); without a `server` the pages load no SDK (for trying the relay alone).
 * Resolves once ICE is connected on both ends and both pages sample their stats every second.
 */
export async function startCall(browser, { host, server, conf, userA, userB, relay: relayOpts = {}, video }) {
  const relay = await startRelayThread(relayOpts);
  const pages = [];
  const errors = [];
  const call = { conf, userA, userB, relay, pages, errors, connectedAt: null };
  live.add(call);
  try {
    for (const [user, remote] of [[userA, userB], [userB, userA]]) {
      const context = await browser.newContext();
      const page = await context.newPage();
      page.on('pageerror', (e) => errors.length < 20 && errors.push(`${user}: ${e}`));
      pages.push(page);
      await page.goto(pageUrl(host, server, conf, user, remote, video));
    }
    const [pa, pb] = pages;
    for (const p of pages) await p.waitForFunction(() => window.e2e && (window.e2e.ready || window.e2e.errors.length), null, { timeout: 30000 });
    for (const p of pages) {
      const errs = await p.evaluate(() => window.e2e.errors);
      if (errs.length) throw new Error(`page failed: ${errs.join('\n')}`);
    }
    // What the camera really gives each end: Chromium opens its fake camera once for all pages,
    // in the format of the first request, and serves later requests cropped and scaled down from
    // it (never up), so a page asking for 1280×720 gets it only if it asks first.
    const settings = await Promise.all(pages.map((p) => p.evaluate(() => {
      const t = window.e2e.pc.getSenders().find((x) => x.track && x.track.kind === 'video')?.track.getSettings();
      return t && { width: t.width, height: t.height, frameRate: t.frameRate };
    })));
    call.source = { a: settings[0], b: settings[1] };
    const offer = await pa.evaluate(() => window.e2e.offer());
    const answer = await pb.evaluate((o) => window.e2e.answer(o), offer);
    const target = await until(`${userB}'s loopback candidate`, async () => {
      const c = loopbackCandidate(await pb.evaluate(() => window.e2e.candidates));
      return c ? { ok: c } : null;
    }, 10000);
    await relay.setTarget(target.address, target.port);
    await pa.evaluate((a) => window.e2e.accept(a), answer);
    const mid = /^a=mid:(\S+)/m.exec(offer.sdp)?.[1] ?? '0';
    await pa.evaluate((c) => window.e2e.addCandidate(c), {
      candidate: `candidate:1 1 udp 2122260223 127.0.0.1 ${relay.portA} typ host generation 0`,
      sdpMid: mid,
      sdpMLineIndex: 0,
    });
    await until('ICE connected on both ends', async () => {
      const ok = await Promise.all(pages.map((p) => p.evaluate(() => window.e2e.connected())));
      return ok.every(Boolean) ? { ok: true } : { connected: ok };
    }, 20000);
    call.connectedAt = Date.now();
    for (const p of pages) await p.evaluate(() => window.e2e.startSampling());
    return call;
  } catch (err) {
    await endCall(call).catch(() => {});
    throw err;
  }
}

/** The pages' own getStats samples, keyed 'a' and 'b'. */
export async function samplesOf(call) {
  const [a, b] = await Promise.all(call.pages.map((p) => p.evaluate(() => window.e2e.samples).catch(() => [])));
  return { a, b };
}

/**
 * The end of a call as both sides saw it at the same moment: the relay's counters and a last
 * getStats sample of each page, taken together (the periodic samples are up to a second older
 * than the relay's counters, and a second of 10 % loss is 5 audio packets).
 */
export async function finalSnapshot(call) {
  const [counters, a, b] = await Promise.all([
    call.relay.counters(),
    ...call.pages.map((p) => p.evaluate(async () => {
      clearInterval(window.e2e.sampler);
      window.e2e.samples.push(await window.e2e.sample());
      return window.e2e.samples;
    }).catch(() => [])),
  ]);
  return { counters, samples: { a, b } };
}

/**
 * Hangs up: each end sends fabricTerminated (so the server closes the conference as "everyone
 * left") and closes its PeerConnection. `waitDelivered` is awaited before the pages close (the
 * SDK delivers asynchronously). Always closes the pages and the relay.
 */
export async function endCall(call, { waitDelivered } = {}) {
  if (call.ended) return;
  call.ended = true;
  live.delete(call);
  try {
    for (const p of call.pages) await p.evaluate(() => window.e2e.hangup && window.e2e.hangup()).catch(() => {});
    if (waitDelivered) await waitDelivered().catch((err) => call.errors.push(String(err)));
  } finally {
    for (const p of call.pages) await p.context().close().catch(() => {});
    await call.relay.close();
  }
}

// ------------------------------------------------------------------------------------------
// Ground truth from the browser's samples

const delta = (a, b, k) => (a?.[k] ?? 0) - (b?.[k] ?? 0);
const mean = (xs) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null);
const median = (xs) => {
  if (!xs.length) return null;
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const round = (x, d = 1) => (x == null || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d);

/**
 * What one receiver's browser counted: loss from the cumulative counters of the last sample
 * (the streams start at 0 when the call does), rates and means over the samples, and, given an
 * outage `window` {from, to} (epoch ms), what happened inside it.
 */
export function truthOf(samples, window) {
  const withAudio = samples.filter((s) => s.audioIn);
  const withVideo = samples.filter((s) => s.videoIn);
  const last = (xs) => xs[xs.length - 1];
  const lossPct = (x) => {
    const lost = x?.packetsLost ?? 0;
    const recv = x?.packetsReceived ?? 0;
    return lost + recv > 0 ? (100 * lost) / (lost + recv) : null;
  };
  const rtts = samples.map((s) => s.pair?.currentRoundTripTime).filter((x) => x > 0).map((x) => x * 1000);
  const la = last(withAudio)?.audioIn;
  const lv = last(withVideo)?.videoIn;
  const half = samples.slice(Math.floor(samples.length / 2));
  const videoRate = (() => {
    const xs = half.filter((s) => s.videoIn);
    if (xs.length < 2) return null;
    return (8 * delta(last(xs).videoIn, xs[0].videoIn, 'bytesReceived')) / (last(xs).t - xs[0].t);
  })();
  const out = {
    samples: samples.length,
    audio: la && {
      packetsReceived: la.packetsReceived,
      packetsLost: la.packetsLost,
      lossPct: round(lossPct(la), 2),
      jitterMs: round(mean(withAudio.map((s) => s.audioIn.jitter * 1000)), 1),
      concealedPct: round((100 * (la.concealedSamples ?? 0)) / Math.max(1, la.totalSamplesReceived ?? 0), 2),
      silentConcealedPct: round((100 * (la.silentConcealedSamples ?? 0)) / Math.max(1, la.totalSamplesReceived ?? 0), 2),
      jitterBufferMs: round((1000 * (la.jitterBufferDelay ?? 0)) / Math.max(1, la.jitterBufferEmittedCount ?? 0), 1),
      fecPacketsReceived: la.fecPacketsReceived,
      packetsDiscarded: la.packetsDiscarded,
    },
    video: lv && {
      packetsReceived: lv.packetsReceived,
      packetsLost: lv.packetsLost,
      lossPct: round(lossPct(lv), 2),
      nackCount: lv.nackCount,
      retransmittedPacketsReceived: lv.retransmittedPacketsReceived,
      freezes: lv.freezeCount,
      frozenS: round(lv.totalFreezesDuration, 1),
      pauses: lv.pauseCount,
      pausedS: round(lv.totalPausesDuration, 1),
      // second half of the call, once bandwidth estimation has settled
      kbpsLate: round(videoRate, 0),
      heightLate: round(mean(half.map((s) => s.videoIn?.frameHeight).filter((x) => x > 0)), 0),
      fpsLate: round(mean(half.map((s) => s.videoIn?.framesPerSecond).filter((x) => x >= 0)), 1),
    },
    // median: the first sample can still hold the RTT of the first checks
    rttMs: round(median(rtts), 1),
  };
  if (window?.from && window?.to) {
    // The first and last samples inside the window (1 s apart at most from its ends).
    const inside = samples.filter((s) => s.t >= window.from && s.t <= window.to);
    if (inside.length >= 2) {
      const [f, l] = [inside[0], last(inside)];
      const d = (k, kind) => delta(l[kind], f[kind], k);
      out.window = {
        seconds: round((l.t - f.t) / 1000, 1),
        audioPacketsReceived: d('packetsReceived', 'audioIn'),
        audioPacketsLost: d('packetsLost', 'audioIn'),
        totalSamplesReceived: d('totalSamplesReceived', 'audioIn'),
        concealedSamples: d('concealedSamples', 'audioIn'),
        silentConcealedSamples: d('silentConcealedSamples', 'audioIn'),
        jitterBufferEmittedCount: d('jitterBufferEmittedCount', 'audioIn'),
        videoPacketsReceived: d('packetsReceived', 'videoIn'),
        framesDecoded: d('framesDecoded', 'videoIn'),
        freezeCount: d('freezeCount', 'videoIn'),
        ice: [...new Set(inside.map((s) => s.ice))],
        tracksMuted: inside.some((s) => s.tracks.some((t) => t.muted)),
      };
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// What the product reported

const dur = (i) => Math.max(0, (i.endMs ?? 0) - (i.startMs ?? 0));
/** Duration-weighted mean of `f` over intervals where it is a number (as the summary does). */
export function weighted(intervals, f) {
  let s = 0;
  let w = 0;
  for (const i of intervals) {
    const v = f(i);
    if (typeof v === 'number' && Number.isFinite(v)) {
      s += v * dur(i);
      w += dur(i);
    }
  }
  return w > 0 ? s / w : null;
}

/** One receiver's inbound stream of `kind`, as the product reported it. */
function reportedStream(detail, ucIDs, kind, { from, to } = {}) {
  const series = detail.streams.filter((s) => ucIDs.includes(s.ucID) && s.direction === 'inbound' && s.kind === kind);
  const all = series.flatMap((s) => s.intervals).sort((a, b) => a.startMs - b.startMs);
  if (!all.length) return null;
  const labels = {};
  for (const i of all) labels[i.label] = (labels[i.label] || 0) + 1;
  const mos = all.map((i) => i.mos).filter((x) => typeof x === 'number');
  const late = all.slice(Math.floor(all.length / 2));
  const out = {
    ssrcs: series.map((s) => String(s.ssrc)),
    intervals: all.length,
    lossPct: round(weighted(all, (i) => (i.fractionLost == null ? null : i.fractionLost * 100)), 2),
    rttMs: round(weighted(all, (i) => i.rttMs), 1),
    // Medians of the intervals: machine load adds spikes, which move the means much more.
    rttMsMedian: round(median(all.map((i) => i.rttMs).filter((x) => typeof x === 'number')), 1),
    jitterMs: round(weighted(all, (i) => i.jitterMs), 1),
    jitterMsMedian: round(median(all.map((i) => i.jitterMs).filter((x) => typeof x === 'number')), 1),
    jitterBufferMs: round(weighted(all, (i) => i.jitterBufferMs), 1),
    bitrateKbps: round(weighted(all, (i) => i.bitrateKbps), 0),
    labels,
  };
  if (kind === 'audio') {
    out.mos = { avg: round(weighted(all, (i) => i.mos), 2), min: round(mos.length ? Math.min(...mos) : null, 2) };
    out.concealedPct = round(weighted(all, (i) => (i.concealment == null ? null : i.concealment * 100)), 2);
  } else {
    out.fps = round(weighted(all, (i) => i.fps), 1);
    out.height = round(weighted(all, (i) => i.height), 0);
    out.bitrateKbpsLate = round(weighted(late, (i) => i.bitrateKbps), 0);
    out.fpsLate = round(weighted(late, (i) => i.fps), 1);
    out.heightLate = round(weighted(late, (i) => i.height), 0);
    out.frozenMs = all.reduce((s, i) => s + (i.frozenMs || 0), 0);
  }
  if (from != null) {
    // The intervals lying wholly inside [from, to] (an outage window).
    const inside = all.filter((i) => i.startMs >= from && i.endMs <= to);
    out.window = {
      intervals: inside.length,
      packetRate: round(weighted(inside, (i) => i.packetRate), 1),
      lossPct: round(weighted(inside, (i) => (i.fractionLost == null ? null : i.fractionLost * 100)), 2),
      labels: inside.map((i) => i.label),
      mos: inside.map((i) => i.mos),
    };
  }
  // The whole series, for assertions the summary figures above do not cover.
  Object.defineProperty(out, 'raw', { value: all, enumerable: false });
  return out;
}

/** One sender's outbound video as reported: resolution, frame rate, what limited the encoder. */
function reportedSent(detail, ucIDs) {
  const all = detail.streams.filter((s) => ucIDs.includes(s.ucID) && s.direction === 'outbound' && s.kind === 'video')
    .flatMap((s) => s.intervals).sort((a, b) => a.startMs - b.startMs);
  if (!all.length) return null;
  const limitation = {};
  for (const i of all) if (i.qualityLimitation) limitation[i.qualityLimitation] = (limitation[i.qualityLimitation] || 0) + 1;
  const late = all.slice(Math.floor(all.length / 2));
  return {
    intervals: all.length,
    bitrateKbpsLate: round(weighted(late, (i) => i.bitrateKbps), 0),
    heightLate: round(weighted(late, (i) => i.height), 0),
    fpsLate: round(weighted(late, (i) => i.fps), 1),
    qualityLimitation: limitation,
  };
}

/** The closed conference's summary reduced to what the matrix compares. */
function reportedSummary(summary) {
  if (!summary || typeof summary !== 'object') return null;
  const reasons = (summary.reasons || []).map((r) => r.text ?? JSON.stringify(r));
  const streams = (summary.fabrics || []).flatMap((f) => (f.streams || []).map((s) => ({
    user: f.userID, kind: s.kind, direction: s.direction, score: s.score, labelShares: s.labelShares,
    avgLossPct: round(s.avgLossPct, 2), avgRttMs: round(s.avgRttMs, 1), avgJitterMs: round(s.avgJitterMs, 1),
    avgMos: round(s.avgMos, 2), minMos: round(s.minMos, 2), reasons: (s.reasons || []).map((r) => r.text),
  })));
  return {
    score: summary.score ?? null,
    reasons,
    topReason: reasons[0] ?? null,
    avgMos: round(summary.avgMos, 2),
    closeReason: summary.closeReason ?? null,
    fabrics: (summary.fabrics || []).map((f) => ({ user: f.userID, score: f.score, reasons: (f.reasons || []).map((r) => r.text) })),
    streams,
  };
}

/** Waits for the conference to close with a scored summary and reads it. */
export async function readClosed(server, conf, timeoutMs = 60000) {
  const path = `/api/v1/apps/${server.appID}/conferences/${encodeURIComponent(conf)}`;
  return until(`${conf} to close with a score`, async () => {
    const d = await server.api(path);
    return d.status === 'closed' && typeof d.summary?.score === 'number' ? { ok: d } : { status: d.status };
  }, timeoutMs);
}

/**
 * Everything known about one finished call: `applied` (the condition), `relay` (its counters:
 * what was really dropped, per direction and per class), `truth.a|b` (what A's and B's browser
 * counted as received), `reported.a|b` (what the product says A and B received, per kind) and
 * `summary` (the closed conference's score and reasons). A receives the b2a direction.
 */
export function resultOf(condition, call, detail, samples, counters, extra = {}) {
  const uc = (user) => detail.participants.filter((p) => p.userID === user).map((p) => p.ucID);
  const window = condition.outage ? { from: condition.outage.from, to: condition.outage.to } : {};
  const relayDir = (d) => ({
    in: d.in,
    forwarded: d.forwarded,
    dropped: d.dropped,
    rtpLossPct: round(100 * (rtpLossShare(d) ?? 0), 2),
    rtp: d.byClass.rtp,
    stun: d.byClass.stun,
    bySsrc: d.bySsrc,
    late: d.late,
  });
  const result = {
    name: condition.name,
    description: condition.description,
    applied: condition.relay,
    outage: condition.outage ?? null,
    conf: call.conf,
    users: { a: call.userA, b: call.userB },
    source: call.source,
    ...extra,
    relay: {
      a2b: relayDir(counters.a2b),
      b2a: relayDir(counters.b2a),
      foreign: counters.a2b.dropped.foreign + counters.b2a.dropped.foreign,
      // The relay thread's own event-loop delay (from its start, so including the call's set-up):
      // what it may have added; and its stalls over 100 ms once the call was connected.
      loopDelayMs: counters.loopDelayMs,
      stallsInCall: (counters.stalls || []).filter((x) => x.at >= call.connectedAt).map((x) => ({ atS: round((x.at - call.connectedAt) / 1000, 1), ms: x.ms })),
    },
    truth: { a: truthOf(samples.a, window), b: truthOf(samples.b, window) },
    reported: {
      a: { audio: reportedStream(detail, uc(call.userA), 'audio', window), video: reportedStream(detail, uc(call.userA), 'video', window), sentVideo: reportedSent(detail, uc(call.userA)) },
      b: { audio: reportedStream(detail, uc(call.userB), 'audio', window), video: reportedStream(detail, uc(call.userB), 'video', window), sentVideo: reportedSent(detail, uc(call.userB)) },
    },
    summary: reportedSummary(detail.summary),
    events: detail.events.map((e) => ({ t: e.timestamp, type: e.eventType, user: e.userID, body: e.body && (e.body.mediaType || e.body.ssrc) ? { mediaType: e.body.mediaType, ssrc: e.body.ssrc } : undefined }))
      .filter((e) => !['stats'].includes(e.type)),
  };
  // The pages' getStats samples and the whole detail, for the artifact and for assertions on
  // anything the figures above leave out; not enumerable, so the result prints small.
  Object.defineProperty(result, 'samples', { value: samples, enumerable: false });
  Object.defineProperty(result, 'detail', { value: detail, enumerable: false });
  return result;
}

export { sleep, round, mean, median };

// ------------------------------------------------------------------------------------------
// The matrix

/**
 * The conditions. `relay` is the relay's setting for the whole call (a2b: what B receives,
 * b2a: what A receives); `outage` switches b2a's media off from `from` to `to` seconds after
 * ICE connected. Loss, delay and jitter are applied both ways (a symmetric path: both receivers
 * give evidence, RTT sees the delay twice); the cap and the outage one way (b2a), so the other
 * direction of the same call is a clean control under the same machine load.
 */
export const CONDITIONS = [
  { name: 'loss-3', description: 'random loss 3 % both ways', relay: { both: { loss: 0.03 } } },
  { name: 'loss-10', description: 'random loss 10 % both ways', relay: { both: { loss: 0.10 } } },
  { name: 'burst-8x6', description: 'bursty loss (Gilbert) 8 % mean, bursts of 6 packets, both ways', relay: { both: { burst: { loss: 0.08, length: 6 } } } },
  { name: 'jitter-60', description: 'jitter U(0, 60 ms) per packet, FIFO, both ways', relay: { both: { jitterMs: 60 } } },
  { name: 'delay-100', description: 'one-way delay 100 ms both ways', relay: { both: { delayMs: 100 } } },
  { name: 'delay-250', description: 'one-way delay 250 ms both ways', relay: { both: { delayMs: 250 } } },
  // 1280×720 source: at 640×480 the fake camera's simple picture fits 300 kbit/s without any
  // loss of resolution or frame rate, so there would be nothing to see.
  { name: 'cap-300', description: 'bandwidth cap 300 kbit/s B→A (1280×720 source)', relay: { b2a: { rateKbps: 300 } }, video: { width: 1280, height: 720 } },
  { name: 'outage-14s', description: 'B→A media (all but STUN) dropped 11–25 s', relay: {}, outage: { fromS: 11, toS: 25 } },
];

/** Waves of at most three calls, each with a clean call, so machine load shows in the clean one. */
export const WAVES = [
  ['loss-3', 'loss-10'],
  ['burst-8x6', 'jitter-60'],
  ['delay-100', 'delay-250'],
  ['cap-300', 'outage-14s'],
];

const CLEAN = { name: 'clean', description: 'no impairment (through the relay)', relay: {} };

/**
 * Runs the waves: in each, a clean call and the wave's conditions at once, `callMs` long from
 * ICE connected, then hang-up; the conferences are read once they closed. Resolves to a Map
 * name → result (resultOf), the clean calls as `clean#1` … `clean#N`; `log` gets progress lines.
 */
export async function runMatrix({ browser, host, server, callMs = 36000, waves = WAVES, conditions = CONDITIONS, log = () => {}, tag = Date.now().toString(36) }) {
  const byName = new Map(conditions.map((c) => [c.name, c]));
  const pending = [];
  let seed = 1;
  for (const [w, names] of waves.entries()) {
    const wave = w + 1;
    const list = [{ ...CLEAN, name: `clean#${wave}` }, ...names.map((n) => {
      if (!byName.has(n)) throw new Error(`no condition ${n}`);
      return byName.get(n);
    })];
    const t0 = Date.now();
    // The machine's load during the wave: load average, and how late the test process's event
    // loop ran (the relays run in threads of their own, which measure theirs).
    const loop = monitorEventLoopDelay({ resolution: 10 }); // values include the 10 ms
    loop.enable();
    const loadBefore = loadavg()[0];
    const start = (c, s) => startCall(browser, {
      host,
      server,
      conf: `impair-${tag}-${c.name.replace('#', '-')}`,
      userA: `a-${c.name}`,
      userB: `b-${c.name}`,
      relay: { seed: s, ...c.relay },
      video: c.video,
    });
    // A call that wants a larger camera format starts first: the first request opens the fake
    // camera for all pages (see startCall).
    const seeds = list.map(() => seed++);
    const first = list.map((c, i) => (c.video ? i : -1)).filter((i) => i >= 0);
    const started = new Array(list.length);
    for (const i of first) started[i] = await start(list[i], seeds[i]).then((value) => ({ status: 'fulfilled', value }), (reason) => ({ status: 'rejected', reason }));
    const rest = await Promise.allSettled(list.map((c, i) => (first.includes(i) ? null : start(c, seeds[i]))));
    rest.forEach((r, i) => { if (!first.includes(i)) started[i] = r; });
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      await Promise.all(started.filter((s) => s.status === 'fulfilled').map((s) => endCall(s.value)));
      throw failed.reason;
    }
    const calls = started.map((s) => s.value);
    log(`wave ${wave}: ${list.map((c) => c.name).join(', ')} connected in ${Date.now() - t0} ms`);
    const timers = [];
    const outages = new Map();
    list.forEach((c, i) => {
      if (!c.outage) return;
      const call = calls[i];
      const at = (s) => call.connectedAt + s * 1000 - Date.now();
      const o = {};
      outages.set(c.name, o);
      // The times are the relay's: when it applied the change.
      timers.push(setTimeout(async () => { o.from = await call.relay.set('b2a', { outage: 'media' }); }, at(c.outage.fromS)));
      timers.push(setTimeout(async () => { o.to = await call.relay.set('b2a', { outage: null }); }, at(c.outage.toS)));
    });
    const end = Math.max(...calls.map((c) => c.connectedAt)) + callMs;
    await sleep(end - Date.now());
    timers.forEach(clearTimeout);
    loop.disable();
    const load = {
      loadavg1: [round(loadBefore, 2), round(loadavg()[0], 2)],
      eventLoopDelayMs: { p50: round(loop.percentile(50) / 1e6 - 10, 1), p99: round(loop.percentile(99) / 1e6 - 10, 1), max: round(loop.max / 1e6 - 10, 1) },
    };
    log(`wave ${wave}: load average ${load.loadavg1.join(' → ')}, event loop delay p99 ${load.eventLoopDelayMs.p99} ms, max ${load.eventLoopDelayMs.max} ms`);
    const finished = await Promise.all(calls.map(async (call, i) => {
      const { samples, counters } = await finalSnapshot(call);
      await endCall(call, {
        // The SDK delivers fabricTerminated asynchronously; the pages stay until the server has
        // both, so the conference closes as "everyone left".
        waitDelivered: () => until(`${call.conf}: both fabricTerminated`, async () => {
          const d = await server.api(`/api/v1/apps/${server.appID}/conferences/${encodeURIComponent(call.conf)}`);
          const n = d.events.filter((e) => e.eventType === 'fabricTerminated').length;
          return n >= 2 ? { ok: true } : { terminated: n };
        }, 20000),
      });
      return { condition: list[i], call, samples, counters };
    }));
    log(`wave ${wave}: hung up after ${Math.round((Date.now() - t0) / 1000)} s`);
    // Reading the closed conferences overlaps with the next wave.
    for (const f of finished) {
      const o = outages.get(f.condition.name);
      const condition = o ? { ...f.condition, outage: { ...f.condition.outage, from: o.from, to: o.to } } : f.condition;
      const p = readClosed(server, f.call.conf).then((detail) =>
        resultOf(condition, f.call, detail, f.samples, f.counters, { wave, callMs, load, pageErrors: f.call.errors }));
      p.catch(() => {}); // awaited below, after the last wave; not an unhandled rejection meanwhile
      pending.push(p);
    }
  }
  const results = await Promise.all(pending);
  return new Map(results.map((r) => [r.name, r]));
}

// ------------------------------------------------------------------------------------------
// The table

const fmt = (x, d = 1) => (x == null ? '–' : typeof x === 'number' ? x.toFixed(d) : String(x));

/** One row per condition and receiver: applied (relay) → counted (browser) → reported (product). */
export function table(results) {
  const rows = [['condition', 'recv', 'applied audio loss %', 'browser loss % a/v', 'product loss % a/v', 'RTT ms mean/med', 'jitter ms', 'JB ms', 'MOS avg/min', 'video late h@fps kbps', 'audio labels', 'score', 'top reason']];
  const waves = new Map();
  for (const r of results.values()) {
    if (r.load) {
      const w = waves.get(r.wave) || { ...r.load, relayP99: 0, stalls: 0, stallMax: 0 };
      w.relayP99 = Math.max(w.relayP99, r.relay.loopDelayMs?.p99 ?? 0);
      for (const x of r.relay.stallsInCall || []) {
        w.stalls += 1;
        w.stallMax = Math.max(w.stallMax, x.ms);
      }
      waves.set(r.wave, w);
    }
    for (const side of ['a', 'b']) {
      const rel = r.relay[side === 'a' ? 'b2a' : 'a2b'];
      const ra = r.reported[side].audio || {};
      const rv = r.reported[side].video || {};
      const e = ra.ssrcs && rel.bySsrc[ra.ssrcs[0]];
      const applied = e ? (100 * e.dropped) / Math.max(1, e.in) : null;
      const labels = Object.entries(ra.labels || {}).map(([k, n]) => `${k}:${n}`).join(' ');
      rows.push([
        side === 'a' ? r.name : '',
        side === 'a' ? 'A←B' : 'B←A',
        fmt(applied, 2),
        `${fmt(r.truth[side].audio?.lossPct, 2)} / ${fmt(r.truth[side].video?.lossPct, 2)}`,
        `${fmt(ra.lossPct, 2)} / ${fmt(rv.lossPct, 2)}`,
        `${fmt(ra.rttMs, 0)} / ${fmt(ra.rttMsMedian, 0)}`,
        fmt(ra.jitterMs, 1),
        fmt(ra.jitterBufferMs, 0),
        `${fmt(ra.mos?.avg, 2)} / ${fmt(ra.mos?.min, 2)}`,
        `${fmt(rv.heightLate, 0)}@${fmt(rv.fpsLate, 0)} ${fmt(rv.bitrateKbpsLate, 0)}`,
        labels,
        side === 'a' ? fmt(r.summary?.score, 2) : '',
        side === 'a' ? (r.summary?.topReason ?? '–').slice(0, 70) : '',
      ]);
    }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
  const lines = rows.map((row) => row.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd());
  for (const [wave, l] of [...waves].sort((x, y) => x[0] - y[0])) {
    lines.push(`wave ${wave}: load average ${l.loadavg1.join(' → ')}; relay threads: event-loop delay p99 ≤ ${l.relayP99} ms, ` +
      `${l.stalls} stalls over 100 ms during the calls${l.stalls ? ` (longest ${l.stallMax} ms)` : ''}; test process: p99 ${l.eventLoopDelayMs.p99} ms, max ${l.eventLoopDelayMs.max} ms`);
  }
  return lines.join('\n');
}
