// The product on real calls whose network is impaired by known amounts (issue 11).
//
// Real Chromium, real RTCPeerConnections, our SDK from the real server: each call is two pages,
// two users in one conference, audio and video from the fake devices, and its media crosses a
// UDP relay of ours (lib/relay.mjs) that drops, delays, rate-limits or cuts each direction as
// told; lib/impairment.mjs puts the relay in the path and runs the matrix in waves of three
// calls, a clean one in each. For every condition the test knows three things: what the relay
// applied (its own counters, per SSRC), what the receiving browser counted (its getStats), and
// what the product reported (the closed conference from the JSON API). It checks first that the
// harness is faithful (relay → browser), then the product's METRICS against what was applied.
// Assertions on the product's VERDICTS (labels, scores, reasons) are at the end.
//
// The table goes to stdout and, with every result object, to e2e/artifacts/impairment.json
// (the pages' raw getStats samples to impairment-samples.json). The matrix takes about 3
// minutes; it runs on SQLite only (issue 11: "SQLite is enough for the matrix"), and is skipped
// on the PostgreSQL pass of scripts/test unless IMPAIRMENT_ON_POSTGRES=1.
// IMPAIRMENT_CALL_S sets the call length (default 36 s; the outage lies at 11–25 s).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, BACKEND } from '../lib/server.mjs';
import { startPageHost } from '../lib/pagehost.mjs';
import { launch } from '../lib/browser.mjs';
import { sleep } from '../lib/wait.mjs';
import { BROWSER_ARGS, endAll, runMatrix, table } from '../lib/impairment.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = join(here, '..', 'artifacts');
const CALL_MS = Number(process.env.IMPAIRMENT_CALL_S || 36) * 1000;
const SKIP = BACKEND === 'postgres' && !process.env.IMPAIRMENT_ON_POSTGRES
  ? 'the impairment matrix runs on SQLite only (set IMPAIRMENT_ON_POSTGRES=1 to run it here)'
  : false;

let browser;
let server;
let host;
/** name → result (lib/impairment.mjs resultOf); the clean calls are clean#1 … clean#4. */
let results;

before(async () => {
  if (SKIP) return;
  const started = Date.now();
  browser = await launch({ extraArgs: BROWSER_ARGS });
  server = await startServer();
  host = await startPageHost();
  // Stats every second (the least the server allows), so a 36 s call has ~35 intervals per
  // stream and a 14 s outage about 13 of its own.
  server.cli('app', 'settings', '--app', server.appID, '--patch', JSON.stringify({ submissionIntervalMs: 1000 }));
  await sleep(2100); // the server re-reads app settings at most every 2 s
  results = await runMatrix({ browser, host, server, callMs: CALL_MS, log: (l) => console.log(`# ${l}`) });
  const text = table(results);
  console.log(`# impairment matrix (${Math.round((Date.now() - started) / 1000)} s)\n${text.split('\n').map((l) => `# ${l}`).join('\n')}`);
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, 'impairment.json'), JSON.stringify({
    ranAt: new Date().toISOString(),
    seconds: Math.round((Date.now() - started) / 1000),
    callMs: CALL_MS,
    table: text.split('\n'),
    results: Object.fromEntries(results),
  }, null, 1));
  writeFileSync(join(ARTIFACTS, 'impairment-samples.json'), JSON.stringify(
    Object.fromEntries([...results].map(([name, r]) => [name, r.samples])),
  ));
}, { timeout: 420000 });

after(async () => {
  await endAll(); // calls a failed matrix left behind: their pages and relay threads
  await browser?.close();
  await host?.close();
  await server?.stop();
});

const get = (name) => {
  const r = results.get(name);
  assert.ok(r, `no result for ${name}`);
  return r;
};
const cleans = () => [...results.values()].filter((r) => r.name.startsWith('clean#'));
/** The clean call of the same wave: the baseline under the same machine load. */
const cleanOf = (r) => get(`clean#${r.wave}`);
/** The share of one stream's RTP packets the relay dropped, percent (the loss really applied). */
function appliedPct(r, side, kind) {
  const rel = r.relay[side === 'a' ? 'b2a' : 'a2b'];
  const ssrc = r.reported[side][kind]?.ssrcs?.[0];
  const e = ssrc && rel.bySsrc[ssrc];
  assert.ok(e && e.in > 0, `${r.name}: the relay saw ${kind} SSRC ${ssrc} going to ${side}`);
  return (100 * e.dropped) / e.in;
}
const SIDES = ['a', 'b'];
const within = (actual, expected, abs, rel) => Math.abs(actual - expected) <= Math.max(abs, rel * Math.abs(expected));

// ------------------------------------------------------------------------------------------
// The harness: the relay is the path, and what it applies reaches the receivers' counters.

test('every call crossed the relay both ways, and what it dropped the receivers counted', { skip: SKIP }, () => {
  for (const r of results.values()) {
    for (const dir of ['a2b', 'b2a']) {
      assert.ok(r.relay[dir].rtp.in > 1000, `${r.name} ${dir}: ${r.relay[dir].rtp.in} RTP packets through the relay`);
      assert.ok(r.relay[dir].stun.forwarded > 5, `${r.name} ${dir}: STUN (the consent checks, hence RTT) relayed too`);
    }
    assert.deepEqual(r.pageErrors, [], `${r.name}: page errors`);
    if (r.outage) continue; // Chrome does not count a long gap as lost (see the outage test)
    for (const side of SIDES) {
      // Opus has no retransmission in Chrome and its FEC is in band, so the receiver's
      // packetsLost is the relay's drops, packet for packet. The relay's counters and the last
      // getStats are read together at the end (finalSnapshot); what may still differ is a loss
      // the receiver has not noticed yet (it counts a gap when the next packet arrives) and
      // packets a loaded machine has not delivered yet: 6 packets, plus 3 mean bursts when the
      // loss is bursty.
      const rel = r.relay[side === 'a' ? 'b2a' : 'a2b'];
      const ssrc = r.reported[side].audio.ssrcs[0];
      const dropped = rel.bySsrc[ssrc].dropped;
      const counted = r.samples[side].at(-1).audioIn.packetsLost;
      const allowed = 6 + (r.applied.both?.burst ? 3 * r.applied.both.burst.length : 0);
      assert.ok(Math.abs(counted - dropped) <= allowed,
        `${r.name} → ${side}: relay dropped ${dropped} audio packets (${appliedPct(r, side, 'audio').toFixed(2)} %), browser counted ${counted} lost (${r.truth[side].audio.lossPct} %)`);
    }
  }
  // What the relay added beyond its settings: its delay line releases packets late by the
  // lateness of its timers, which a loaded machine increases (a few ms on average at a load
  // average of 20 on this 2-core machine, up to ~200 ms at worst). The table's wave lines give
  // the relay threads' event-loop delays, which bound the same for packets forwarded at once.
  for (const r of results.values()) {
    for (const dir of ['a2b', 'b2a']) {
      const late = r.relay[dir].late;
      assert.ok(late.count === 0 || late.meanMs < 15, `${r.name} ${dir}: the relay released packets ${late.meanMs.toFixed(1)} ms late on average`);
    }
  }
  // The delay reaches the candidate pair's RTT: at least 2 × the one-way delay, and at most that
  // plus the clean call's RTT (same wave, same machine load) + 20 ms + 10 % (the median of the
  // per-second samples: load adds spikes, never removes delay).
  for (const name of ['delay-100', 'delay-250']) {
    const r = get(name);
    const twice = 2 * r.applied.both.delayMs;
    for (const side of SIDES) {
      const rtt = r.truth[side].rttMs;
      const ceiling = twice + cleanOf(r).truth[side].rttMs + 20 + 0.1 * twice;
      assert.ok(rtt >= twice - 2 && rtt <= ceiling, `${name} ${side}: browser RTT ${rtt} ms, expected ${twice}–${ceiling}`);
    }
  }
});

// ------------------------------------------------------------------------------------------
// The product's metrics against what was applied.

test('clean calls: the product reports no loss, low RTT and low jitter in every wave', { skip: SKIP }, () => {
  for (const r of cleans()) {
    for (const side of SIDES) {
      for (const kind of ['audio', 'video']) {
        const s = r.reported[side][kind];
        assert.ok(s && s.intervals >= CALL_MS / 1000 - 8, `${r.name} ${side} ${kind}: ${s?.intervals} intervals`);
        assert.ok(s.lossPct < 0.5, `${r.name} ${side} ${kind}: loss ${s.lossPct} %`);
      }
      const a = r.reported[side].audio;
      // Loopback plus the relay is 1–5 ms RTT and 1–2 ms jitter on an idle machine. The machine
      // is shared: other work on its 2 cores delays Chrome's threads, which shows as RTT spikes,
      // jitter and a deeper jitter buffer in the clean call too (the table's wave lines give the
      // load average; its JB column the jitter buffer: 60–110 ms at a load average under 10,
      // 200–700 ms at 15–25). These bounds only catch a machine far too loaded for the matrix
      // to mean anything.
      assert.ok(a.rttMsMedian < 100, `${r.name} ${side}: median RTT ${a.rttMsMedian} ms (load ${r.load.loadavg1})`);
      assert.ok(a.jitterMs < 30, `${r.name} ${side}: jitter ${a.jitterMs} ms (load ${r.load.loadavg1})`);
    }
  }
});

test('random and bursty loss: the reported loss is the applied loss', { skip: SKIP }, () => {
  for (const name of ['loss-3', 'loss-10', 'burst-8x6']) {
    const r = get(name);
    const nominal = 100 * (r.applied.both.loss ?? r.applied.both.burst.loss);
    for (const side of SIDES) {
      const applied = appliedPct(r, side, 'audio');
      // The relay's random drops over ~1800 audio packets: binomial σ is 0.4 point at 3 %, 0.7
      // at 10 %; Gilbert bursts of mean 6 multiply the variance by about 2·6−1 = 11, σ ≈ 2.1
      // points at 8 %. Allow 3σ around the nominal rate.
      const sigma = Math.sqrt(((nominal / 100) * (1 - nominal / 100) * (r.applied.both.burst ? 11 : 1)) / 1800) * 100;
      assert.ok(within(applied, nominal, 3 * sigma, 0), `${name} → ${side}: relay dropped ${applied.toFixed(2)} % of audio, nominal ${nominal} %`);
      // The product's audio loss against what the relay really dropped of that stream. The
      // browser's counters match the drops exactly (previous test); what remains is the
      // product's averaging: a duration-weighted mean of 1 s intervals of ~50 packets, without
      // the time before the first submission and after the last. ±(0.75 point or 15 %).
      const reported = r.reported[side].audio.lossPct;
      assert.ok(within(reported, applied, 0.75, 0.15), `${name} → ${side}: applied ${applied.toFixed(2)} % to audio, product reports ${reported} %`);
      // Video: Chrome counts the packets NACK brought back (RTX) in packetsReceived but not as
      // recovered in packetsLost, so loss/(loss+received) reads low by the share of
      // retransmissions; and under loss the sender's rate (hence the denominator) moves. Between
      // 40 % of the applied rate and the applied rate + 1.5 points.
      const vApplied = appliedPct(r, side, 'video');
      const vReported = r.reported[side].video.lossPct;
      assert.ok(vReported >= 0.4 * vApplied && vReported <= vApplied + 1.5, `${name} → ${side}: applied ${vApplied.toFixed(2)} % to video, product reports ${vReported} %`);
    }
  }
  // More loss applied, more reported.
  for (const side of SIDES) assert.ok(get('loss-10').reported[side].audio.lossPct > get('loss-3').reported[side].audio.lossPct + 3);
});

test('added delay: the reported RTT is twice the one-way delay plus the clean baseline', { skip: SKIP }, () => {
  for (const name of ['delay-100', 'delay-250']) {
    const r = get(name);
    const twice = 2 * r.applied.both.delayMs;
    for (const side of SIDES) {
      for (const kind of ['audio', 'video']) {
        // The median of the product's per-second RTTs (its mean is in the table): the RTT the
        // SDK reports is the candidate pair's latest STUN round trip (every ~2.5 s once stable)
        // or RTCP's, and the machine's load only adds to it. Within [2 × delay − 5 ms, 2 ×
        // delay + the clean call's median (same wave) + 30 ms + 20 %].
        const baseline = cleanOf(r).reported[side][kind].rttMsMedian;
        const reported = r.reported[side][kind].rttMsMedian;
        const ceiling = twice + baseline + 30 + 0.2 * (twice + baseline);
        assert.ok(reported >= twice - 5 && reported <= ceiling, `${name} ${side} ${kind}: RTT ${reported} ms reported, ${twice}–${ceiling.toFixed(0)} expected`);
      }
    }
  }
  for (const side of SIDES) assert.ok(get('delay-250').reported[side].audio.rttMsMedian > get('delay-100').reported[side].audio.rttMsMedian + 200);
});

test('jitter: the reported jitter rises well above the clean call\'s', { skip: SKIP }, () => {
  const r = get('jitter-60');
  for (const side of SIDES) {
    const clean = cleanOf(r).reported[side].audio.jitterMs;
    const jittered = r.reported[side].audio.jitterMs;
    // U(0, 60 ms) through a FIFO line gives RFC 3550 interarrival jitter of ~13–15 ms on audio
    // on an idle machine, where the clean path has 1–2 ms. Load adds to both (the clean call
    // of the same wave carries it): jitter above the clean call's by 3 ms at least.
    assert.ok(jittered > clean + 3, `${side}: jitter ${jittered} ms, clean ${clean} ms (load ${r.load.loadavg1})`);
    // What the browser measured agrees with what the product reports (±30 % or 2 ms).
    assert.ok(within(jittered, r.truth[side].audio.jitterMs, 2, 0.3), `${side}: product ${jittered} ms, browser ${r.truth[side].audio.jitterMs} ms`);
  }
});

test('bandwidth cap: the received video fits under the cap and loses resolution or frame rate', { skip: SKIP }, () => {
  const r = get('cap-300');
  // Both ends really had the 1280×720 camera (see startCall); at 640×480 the fake camera's
  // simple picture fits 300 kbit/s at full size and rate, and there would be nothing to see.
  assert.equal(r.source.b.height, 720, `B's camera: ${JSON.stringify(r.source)}`);
  assert.equal(r.source.a.height, 720, `A's camera: ${JSON.stringify(r.source)}`);
  const capped = r.reported.a.video; // A receives b2a, the capped direction
  const free = r.reported.b.video; // the other direction of the same call, same source, no cap
  const clean = cleanOf(r).reported.a.video;
  assert.ok(capped.bitrateKbpsLate < 300, `capped video at ${capped.bitrateKbpsLate} kbit/s in the second half`);
  assert.ok(free.bitrateKbpsLate > capped.bitrateKbpsLate * 1.3, `uncapped direction ${free.bitrateKbpsLate} kbit/s vs capped ${capped.bitrateKbpsLate}`);
  const what = `capped ${capped.heightLate}p@${capped.fpsLate}, uncapped ${free.heightLate}p@${free.fpsLate} (source 720p@20), ` +
    `clean call (640×480 source) ${clean.heightLate}p@${clean.fpsLate}`;
  assert.ok(capped.heightLate < 720, what);
  assert.ok(capped.heightLate < free.heightLate || capped.fpsLate < 0.8 * free.fpsLate, what);
});

test('media outage: nothing arrives during it, the product shows no packets, and media returns', { skip: SKIP }, () => {
  const r = get('outage-14s');
  const { from, to } = r.outage;
  assert.ok(from && to && to - from > 13000, `outage window ${from}–${to}`);
  // The harness: the relay dropped every media packet B sent in the window, STUN went on, and
  // A's browser received no audio packet inside it (the window's samples).
  assert.ok(r.relay.b2a.dropped.outage > 500, `relay dropped ${r.relay.b2a.dropped.outage}`);
  const w = r.truth.a.window;
  assert.ok(w && w.seconds >= 10, JSON.stringify(w));
  assert.ok(w.audioPacketsReceived <= 2 && w.videoPacketsReceived <= 2, JSON.stringify(w));
  assert.ok(w.ice.every((s) => s === 'connected' || s === 'completed'), `ICE stayed up: ${w.ice}`);
  // The product: A's inbound intervals inside the window carry (almost) no packets.
  for (const kind of ['audio', 'video']) {
    const pw = r.reported.a[kind].window;
    assert.ok(pw.intervals >= 8, `${kind}: ${pw.intervals} intervals inside the outage`);
    assert.ok(pw.packetRate < 1, `${kind}: ${pw.packetRate} packets/s reported inside the outage`);
  }
  // B (the other direction) kept receiving normally.
  assert.ok(r.reported.b.audio.window.packetRate > 40, `B's audio ${r.reported.b.audio.window.packetRate} packets/s`);
  // After it, media came back to A (Opus: 50 packets/s; single intervals swing under load, as
  // getStats counters are read at uneven times).
  const after = r.reported.a.audio.raw.filter((i) => i.startMs >= to + 2000);
  const rate = after.reduce((s, i) => s + (i.packetRate ?? 0), 0) / Math.max(1, after.length);
  assert.ok(after.length >= 3 && rate > 40, `after the outage: ${JSON.stringify(after.map((i) => i.packetRate))}`);
});

// ------------------------------------------------------------------------------------------
// VERDICTS (issue 11, part 2: the verdict model of crates/callstats-analytics/src/quality.rs).
//
// Every condition's result object is `results.get(name)`, shaped as lib/impairment.mjs
// `resultOf` builds it:
//   name, description, wave, applied {a2b|b2a|both: relay settings}, outage {fromS, toS, from, to}
//   relay.{a2b,b2a}: { in, forwarded, dropped {outage, loss, burst, queue, overflow, foreign},
//                      rtpLossPct, rtp, stun, bySsrc {ssrc: {payloadType, in, dropped, forwarded}} }
//   truth.{a,b}:  what A's / B's browser counted (audio {lossPct, jitterMs, concealedPct,
//                 silentConcealedPct, jitterBufferMs…}, video {lossPct, freezes, pauses, pausedS,
//                 heightLate, fpsLate, kbpsLate…}, rttMs, window {…inside the outage})
//   reported.{a,b}.{audio,video}: what the product reports A / B received (lossPct, rttMs,
//                 jitterMs, jitterBufferMs, bitrateKbps, labels {excellent: n, fair: n, …},
//                 audio: mos {avg, min}, concealedPct; video: fps, height, *Late, frozenMs;
//                 window {intervals, packetRate, labels[], mos[]} for the outage; .raw = the
//                 intervals themselves); reported.{a,b}.sentVideo: the outbound video
//                 (qualityLimitation counts, heightLate…)
//   summary: { score, reasons[], topReason, avgMos, fabrics[{user, score, reasons}],
//              streams[{user, kind, direction, score, labelShares, avg*, reasons}] }
//   r.detail: the whole conference detail from the API; r.samples: the pages' getStats samples.
// A receives the b2a direction, B the a2b one; cap-300 and outage-14s impair b2a only.
//
// Every call of a wave shares the machine's load, so scores are compared with the clean call of
// the same wave. A clean call's own absolute score is checked when the machine left it alone:
// its audio jitter buffer under 150 ms (on this path nothing but scheduling delays packets) and
// its relay thread never stalled for more than 200 ms while it ran (a stall holds every packet
// of the call that long; on this 2-core machine running six pages, stalls of 300–700 ms happen
// a few times a run and conceal a second or two of audio).
const UNLOADED_JB_MS = 150;
const STALL_MS = 200;

test('verdicts: every impairment lowers the score, more of it lowers it more, and the reason is named', { skip: SKIP }, () => {
  const score = (name) => get(name).summary.score;
  for (const r of results.values()) {
    console.log(`# verdict ${r.name}: score ${r.summary.score?.toFixed(2)}, reasons ${JSON.stringify(r.summary.reasons.slice(0, 3))}, ` +
      `A audio labels ${JSON.stringify(r.reported.a.audio.labels)}, A video labels ${JSON.stringify(r.reported.a.video.labels)}`);
  }
  // A clean call on an unloaded machine is excellent and scores 4.5 or more.
  let judged = 0;
  const disturbed = (r) => {
    const jb = Math.max(...SIDES.map((side) => r.reported[side].audio.jitterBufferMs));
    const stalls = (r.relay.stallsInCall || []).filter((x) => x.ms > STALL_MS);
    return { jb, stalls, yes: jb >= UNLOADED_JB_MS || stalls.length > 0 };
  };
  for (const r of cleans()) {
    const { jb, stalls, yes } = disturbed(r);
    if (yes) {
      console.log(`# ${r.name}: the machine held audio ${Math.round(jb)} ms in the jitter buffer and stalled its relay ` +
        `${JSON.stringify(stalls)}; its absolute score is not judged`);
      continue;
    }
    judged++;
    assert.ok(r.summary.score >= 4.5, `${r.name}: clean call scores ${r.summary.score}`);
    for (const side of SIDES) {
      for (const kind of ['audio', 'video']) {
        const l = r.reported[side][kind].labels;
        const total = Object.values(l).reduce((a, b) => a + b, 0);
        // Excellent but for blips: the first second of a call, and scheduling stalls of the
        // shared 2-core machine running six pages at once (the relay's stall counters show
        // them) that conceal a few hundred ms of audio and push a second into "fair"; one
        // bad second at most.
        assert.ok((l.excellent ?? 0) >= 0.75 * total && (l.bad ?? 0) <= 1, `${r.name} ${side} ${kind}: ${JSON.stringify(l)}`);
      }
    }
  }
  console.log(`# clean calls judged on their own: ${judged} of ${cleans().length}`);
  assert.ok(judged >= 1, 'the machine disturbed every clean call (see the lines above): nothing shows a clean call is excellent');
  // Each impairment scores below the clean call of its wave (or, when the machine disturbed that
  // one, below the best undisturbed clean call of the run); more of it scores lower still.
  const undisturbed = cleans().filter((r) => !disturbed(r).yes).map((r) => r.summary.score);
  const baseline = (r) => (disturbed(cleanOf(r)).yes ? Math.max(...undisturbed) : cleanOf(r).summary.score);
  // A call whose own relay stalled over 200 ms had every packet held that long by the machine,
  // on top of what the test applied: it measured another condition, so it is not ranked.
  const stalled = (name) => {
    const stalls = (get(name).relay.stallsInCall || []).filter((x) => x.ms > STALL_MS);
    if (stalls.length) console.log(`# ${name}: its relay stalled ${JSON.stringify(stalls)}; not ranked`);
    return stalls.length > 0;
  };
  let ranked = 0;
  const below = (name) => {
    if (stalled(name)) return;
    ranked++;
    assert.ok(score(name) < baseline(get(name)),
      `${name} ${score(name)} vs the clean baseline ${baseline(get(name))} (its wave's clean call ${cleanOf(get(name)).summary.score})`);
  };
  for (const name of ['loss-3', 'loss-10', 'burst-8x6', 'delay-100', 'delay-250', 'cap-300', 'outage-14s']) below(name);
  assert.ok(ranked >= 4, `only ${ranked} of 7 impaired calls ran without the machine stalling them`);
  if (!stalled('loss-10') && !stalled('loss-3')) {
    assert.ok(score('loss-10') < score('loss-3'), `loss 10 % ${score('loss-10')} vs 3 % ${score('loss-3')}`);
  }
  if (!stalled('delay-250') && !stalled('delay-100')) {
    assert.ok(score('delay-250') < score('delay-100'), `delay 250 ms ${score('delay-250')} vs 100 ms ${score('delay-100')}`);
  }
  // Jitter of 0–60 ms mostly becomes delay in the jitter buffer: never better than clean.
  assert.ok(score('jitter-60') <= baseline(get('jitter-60')) + 0.1, `jitter ${score('jitter-60')}`);
  // The reasons name what was done to the call.
  const says = (name, re) => assert.ok(get(name).summary.reasons.some((t) => re.test(t)), `${name}: ${JSON.stringify(get(name).summary.reasons)}`);
  says('loss-3', /loss|concealed/);
  says('loss-10', /loss|concealed/);
  says('burst-8x6', /loss|concealed/);
  says('delay-250', /RTT|MOS/);
  says('cap-300', /bandwidth|video down|frame rate/);
  // The outage: every interval inside it is bad with the MOS of silence, and it leads the
  // reasons with its length.
  const outage = get('outage-14s');
  const win = outage.reported.a.audio.window;
  assert.ok(win.labels.length >= 10 && win.labels.every((l) => l === 'bad'), `outage intervals: ${win.labels}`);
  assert.ok(win.mos.every((m) => m === 1), `outage MOS: ${win.mos}`);
  const lasted = (outage.outage.to - outage.outage.from) / 1000;
  const reasons = outage.summary.reasons;
  const m = reasons.map((t) => /no audio received for (\d+) s/.exec(t)).find(Boolean);
  assert.ok(m && Math.abs(Number(m[1]) - lasted) <= 3, `${JSON.stringify(reasons)} for an outage of ${lasted} s`);
  // Media that did not arrive comes before any degradation of media that did.
  assert.match(reasons[0], /no (audio|video) received/);
});
