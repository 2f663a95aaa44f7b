// The stats math against real Chromium getStats() sequences (test/fixtures, recorded by
// scripts/record-getstats.mjs). Expected values are computed here straight from the raw counters,
// by code that shares nothing with src/stats/, so a slip in either shows up as a mismatch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { internals, loadRecording } from './helpers.mjs';

const { toSnapshot, streamMetrics, allStreamMetrics, trimSnapshot, KEPT_FIELDS, selectedPair, streamQuality, combine, THRESHOLDS, parseSsrcs, RunningAverage } = internals;

const recordings = { steady: loadRecording('steady'), downscale: loadRecording('downscale') };

// ---- the independent reference -------------------------------------------------------------

const byId = (sample, id) => sample.find((r) => r.id === id);
const close = (actual, expected, what, tol = 1e-9) => {
  if (expected === null || actual === null) return assert.equal(actual, expected, what);
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
};

function reference(prevSample, curSample, id) {
  const a = byId(prevSample, id);
  const b = byId(curSample, id);
  const secs = (b.timestamp - a.timestamp) / 1000;
  const inbound = b.type === 'inbound-rtp';
  const bytes = inbound ? 'bytesReceived' : 'bytesSent';
  const packets = inbound ? 'packetsReceived' : 'packetsSent';
  const out = {
    bitrate: ((b[bytes] - a[bytes]) * 8) / secs,
    packetRate: (b[packets] - a[packets]) / secs,
    frameWidth: b.frameWidth ?? null,
    frameHeight: b.frameHeight ?? null,
  };
  if (b.kind === 'video') {
    const f = inbound ? 'framesDecoded' : 'framesEncoded';
    out.fps = (b[f] - a[f]) / secs;
  }
  const transport = curSample.find((r) => r.type === 'transport');
  const pair = byId(curSample, transport.selectedCandidatePairId);
  if (inbound) {
    const lost = b.packetsLost - a.packetsLost;
    const got = b.packetsReceived - a.packetsReceived;
    out.fractionLost = lost + got > 0 ? Math.max(0, lost) / (Math.max(0, lost) + got) : 0;
    out.jitter = b.jitter * 1000;
    const ro = curSample.find((r) => r.type === 'remote-outbound-rtp' && r.localId === b.id);
    out.rtt = ro && typeof ro.roundTripTime === 'number' ? ro.roundTripTime * 1000 : pair.currentRoundTripTime * 1000;
    if (b.kind === 'audio') {
      const samples = b.totalSamplesReceived - a.totalSamplesReceived;
      out.concealment = samples > 0 ? (b.concealedSamples - a.concealedSamples) / samples : null;
    } else {
      out.freezes = b.freezeCount - a.freezeCount;
    }
  } else {
    const ri = curSample.find((r) => r.type === 'remote-inbound-rtp' && r.localId === b.id);
    const riPrev = prevSample.find((r) => r.type === 'remote-inbound-rtp' && r.localId === b.id);
    out.fractionLost = ri ? ri.fractionLost : null;
    out.jitter = ri ? ri.jitter * 1000 : null;
    if (ri && riPrev && ri.roundTripTimeMeasurements > riPrev.roundTripTimeMeasurements) {
      out.rtt = ((ri.totalRoundTripTime - riPrev.totalRoundTripTime) / (ri.roundTripTimeMeasurements - riPrev.roundTripTimeMeasurements)) * 1000;
    } else if (ri && typeof ri.roundTripTime === 'number') {
      out.rtt = ri.roundTripTime * 1000;
    } else {
      out.rtt = pair.currentRoundTripTime * 1000;
    }
    out.qualityLimitationReason = b.qualityLimitationReason ?? null;
  }
  return out;
}

// ---- the recorded sequences ----------------------------------------------------------------

for (const [name, rec] of Object.entries(recordings)) {
  test(`${name}: interval metrics match the raw counters for every stream and every pair of samples`, () => {
    let checked = 0;
    for (let i = 1; i < rec.samples.length; i++) {
      const prev = toSnapshot(rec.samples[i - 1]);
      const cur = toSnapshot(rec.samples[i]);
      for (const m of allStreamMetrics(cur, prev)) {
        if (!byId(rec.samples[i - 1], m.id)) continue;
        const ref = reference(rec.samples[i - 1], rec.samples[i], m.id);
        const where = `${name}[${i}] ${m.id}`;
        assert.equal(m.reset, false, where);
        assert.ok(m.intervalMs > 900 && m.intervalMs < 1300, `${where} interval ${m.intervalMs}`);
        close(m.bitrate, ref.bitrate, `${where} bitrate`);
        close(m.packetRate, ref.packetRate, `${where} packetRate`);
        close(m.fractionLost, ref.fractionLost, `${where} fractionLost`);
        close(m.jitter, ref.jitter, `${where} jitter`);
        close(m.rtt, ref.rtt, `${where} rtt`);
        assert.equal(m.frameWidth, ref.frameWidth, `${where} width`);
        assert.equal(m.frameHeight, ref.frameHeight, `${where} height`);
        if (m.kind === 'video') close(m.framesPerSecond, ref.fps, `${where} fps`);
        if ('concealment' in ref) close(m.concealmentRatio, ref.concealment, `${where} concealment`);
        if ('freezes' in ref) assert.equal(m.freezeCount, ref.freezes, `${where} freezes`);
        if ('qualityLimitationReason' in ref) assert.equal(m.qualityLimitationReason, ref.qualityLimitationReason);
        checked++;
      }
    }
    assert.ok(checked >= 40, `checked ${checked}`);
  });

  test(`${name}: the numbers are plausible for a loopback call with fake media`, () => {
    const cur = toSnapshot(rec.samples[4]);
    const prev = toSnapshot(rec.samples[3]);
    const ms = allStreamMetrics(cur, prev);
    const outVideo = ms.find((m) => m.direction === 'outbound' && m.kind === 'video');
    const outAudio = ms.find((m) => m.direction === 'outbound' && m.kind === 'audio');
    assert.ok(outVideo.bitrate > 50e3 && outVideo.bitrate < 3e6, `video ${outVideo.bitrate}`);
    assert.ok(outAudio.bitrate > 5e3 && outAudio.bitrate < 200e3, `audio ${outAudio.bitrate}`);
    assert.ok(outAudio.packetRate > 40 && outAudio.packetRate < 60, 'opus at 20 ms frames');
    // Our interval frame rate agrees with the browser's own estimate.
    const browserFps = byId(rec.samples[4], outVideo.id).framesPerSecond;
    assert.ok(Math.abs(outVideo.framesPerSecond - browserFps) <= 3, `${outVideo.framesPerSecond} vs ${browserFps}`);
    for (const m of ms) {
      assert.ok(m.rtt !== null && m.rtt >= 0 && m.rtt < 50, `loopback rtt ${m.rtt}`);
      if (m.direction === 'inbound') assert.equal(m.fractionLost, 0);
    }
  });
}

test('downscale: the resolution and bitrate drop is visible from the interval values', () => {
  const rec = recordings.downscale;
  const video = (i) =>
    allStreamMetrics(toSnapshot(rec.samples[i]), toSnapshot(rec.samples[i - 1])).find((m) => m.direction === 'outbound' && m.kind === 'video');
  const before = video(4);
  const after = video(10);
  assert.equal(before.frameWidth, 640);
  assert.equal(after.frameWidth, 320);
  assert.equal(after.frameHeight, 180);
  assert.ok(after.bitrate < before.bitrate, `${after.bitrate} < ${before.bitrate}`);
  assert.ok(after.bitrate < 160e3, 'honours the 150 kbps cap (with some slack)');
});

// ---- edge cases ----------------------------------------------------------------------------

const rec = recordings.steady.samples;
const snap = (sample) => toSnapshot(sample);
const outVideoId = rec[3].find((r) => r.type === 'outbound-rtp' && r.kind === 'video').id;
const inAudioId = rec[3].find((r) => r.type === 'inbound-rtp' && r.kind === 'audio').id;
const inVideoId = rec[3].find((r) => r.type === 'inbound-rtp' && r.kind === 'video').id;

test('first sample: no rates, but the instantaneous values are there', () => {
  const cur = snap(rec[3]);
  const m = streamMetrics(cur.get(outVideoId), cur);
  assert.equal(m.intervalMs, null);
  assert.equal(m.bitrate, null);
  assert.equal(m.packetRate, null);
  assert.equal(m.frameWidth, 640);
  assert.equal(m.framesPerSecond, byId(rec[3], outVideoId).framesPerSecond, 'falls back to the browser estimate');
  assert.ok(m.rtt !== null);
  const a = streamMetrics(cur.get(inAudioId), cur);
  assert.equal(a.fractionLost, null);
  assert.equal(a.jitter, byId(rec[3], inAudioId).jitter * 1000);
});

test('zero or negative interval: no rates', () => {
  const cur = snap(rec[5]);
  const same = streamMetrics(cur.get(outVideoId), cur, cur.get(outVideoId), cur);
  assert.equal(same.intervalMs, null);
  assert.equal(same.bitrate, null);
  const prev = snap(rec[4]);
  const backwards = streamMetrics(prev.get(outVideoId), prev, cur.get(outVideoId), cur);
  assert.equal(backwards.bitrate, null);
});

test('counter reset: flagged, no negative rates, next interval fine', () => {
  const prev = snap(rec[6]);
  const cur = snap(rec[7]);
  const restarted = { ...cur.get(inVideoId), bytesReceived: 100, packetsReceived: 1, framesDecoded: 1 };
  cur.set(inVideoId, restarted);
  const m = streamMetrics(restarted, cur, prev.get(inVideoId), prev);
  assert.equal(m.reset, true);
  assert.equal(m.bitrate, null);
  assert.equal(m.packetRate, null);
  assert.equal(m.fractionLost, null);
  assert.equal(m.framesPerSecond, byId(rec[7], inVideoId).framesPerSecond ?? null);
  const next = snap(rec[8]);
  const grown = { ...next.get(inVideoId), bytesReceived: 5100, packetsReceived: 11, framesDecoded: 21, timestamp: restarted.timestamp + 1000 };
  const m2 = streamMetrics(grown, next, restarted, cur);
  assert.equal(m2.reset, false);
  close(m2.bitrate, 5000 * 8, 'bitrate after reset');
  close(m2.framesPerSecond, 20, 'fps after reset');
});

test('missing fields: the affected values are null, the rest still computed', () => {
  const prev = snap(rec[2]);
  const cur = snap(rec[3]);
  const stripped = { ...cur.get(inAudioId) };
  delete stripped.bytesReceived;
  delete stripped.jitter;
  delete stripped.concealedSamples;
  const m = streamMetrics(stripped, cur, prev.get(inAudioId), prev);
  assert.equal(m.bitrate, null);
  assert.equal(m.jitter, null);
  assert.equal(m.concealmentRatio, null);
  assert.ok(m.packetRate > 0);
  const bare = streamMetrics({ id: 'x', type: 'inbound-rtp', timestamp: 2000 }, new Map(), { id: 'x', type: 'inbound-rtp', timestamp: 1000 }, new Map());
  for (const k of ['bitrate', 'packetRate', 'fractionLost', 'jitter', 'rtt', 'framesPerSecond', 'frameWidth', 'audioLevel']) assert.equal(bare[k], null, k);
  assert.equal(bare.ssrc, 0);
});

test('loss: interval fraction from packetsLost, never negative', () => {
  const prev = snap(rec[2]);
  const cur = snap(rec[3]);
  const a = prev.get(inVideoId);
  const b = { ...cur.get(inVideoId), packetsLost: a.packetsLost + 10 };
  const received = b.packetsReceived - a.packetsReceived;
  close(streamMetrics(b, cur, a, prev).fractionLost, 10 / (10 + received), 'fraction');
  assert.equal(streamMetrics(b, cur, a, prev).packetsLost, 10);
  const recovered = { ...b, packetsLost: a.packetsLost - 3 };
  assert.equal(streamMetrics(recovered, cur, a, prev).fractionLost, 0, 'late packets un-losing does not go negative');
});

test('toSnapshot accepts an RTCStatsReport-like map, an array, or an object', () => {
  const arr = rec[0];
  const fromArray = toSnapshot(arr);
  const fromMap = toSnapshot(new Map(arr.map((r) => [r.id, r])));
  const fromObj = toSnapshot(Object.fromEntries(arr.map((r) => [r.id, r])));
  assert.equal(fromArray.size, arr.length);
  assert.deepEqual([...fromMap.keys()].sort(), [...fromArray.keys()].sort());
  assert.deepEqual([...fromObj.keys()].sort(), [...fromArray.keys()].sort());
  assert.equal(toSnapshot(null).size, 0);
  assert.equal(toSnapshot([null, 1, { id: 1 }]).size, 0);
});

test('trimmed submissions: selected pair, referenced codecs, whitelisted fields only', () => {
  for (const sample of [...recordings.steady.samples, ...recordings.downscale.samples]) {
    const s = snap(sample);
    const trimmed = trimSnapshot(s);
    const pair = selectedPair(s);
    assert.deepEqual(trimmed.filter((r) => r.type === 'candidate-pair').map((r) => r.id), [pair.id]);
    const codecRefs = new Set(sample.filter((r) => r.codecId && /-rtp$/.test(r.type) && !r.type.startsWith('remote')).map((r) => r.codecId));
    for (const c of trimmed.filter((r) => r.type === 'codec')) assert.ok(codecRefs.has(c.id));
    const cands = trimmed.filter((r) => r.type.endsWith('-candidate')).map((r) => r.id).sort();
    assert.deepEqual(cands, [pair.localCandidateId, pair.remoteCandidateId].sort());
    for (const r of trimmed) for (const k of Object.keys(r)) assert.ok(KEPT_FIELDS[r.type].includes(k), `${r.type}.${k}`);
    for (const r of trimmed) for (const k of Object.keys(r)) assert.deepEqual(r[k], byId(sample, r.id)[k]);
    assert.ok(JSON.stringify(trimmed).length < JSON.stringify(sample).length * 0.8);
  }
  const hidden = trimSnapshot(snap(rec[3]), { collectIP: false });
  for (const c of hidden.filter((r) => r.type.endsWith('-candidate'))) assert.equal(c.address, c.id);
});

test('SSRC attributes come out of the recorded SDP', () => {
  const local = parseSsrcs(recordings.steady.sdp.local);
  const remote = parseSsrcs(recordings.steady.sdp.remote);
  for (const r of rec[3].filter((x) => x.type === 'outbound-rtp')) {
    const info = local.get(String(r.ssrc));
    assert.ok(info, `outbound ${r.ssrc} in the local SDP`);
    assert.ok(info.cname);
    assert.match(info.msid, /^\S+ \S+$/);
    assert.equal(info.mediaType, r.kind);
    assert.equal(info.mid, r.mid);
  }
  for (const r of rec[3].filter((x) => x.type === 'inbound-rtp')) assert.ok(remote.get(String(r.ssrc)), `inbound ${r.ssrc} in the remote SDP`);
  assert.equal(parseSsrcs(undefined).size, 0);
});

test('running averages ignore missing values', () => {
  const avg = new RunningAverage();
  assert.equal(avg.add('a', null), null);
  assert.equal(avg.add('a', 10), 10);
  assert.equal(avg.add('a', null), 10);
  assert.equal(avg.add('a', 20), 15);
  assert.equal(avg.add('b', 1), 1);
});

// ---- quality --------------------------------------------------------------------------------

const metrics = (o) => ({ bitrate: null, fractionLost: null, rtt: null, framesPerSecond: null, ...o });

test('quality follows the original thresholds', () => {
  const v = THRESHOLDS;
  assert.deepEqual(v.bitrateKbps, { video: { green: 1024, red: 256 }, audio: { green: 30, red: 8 } });
  assert.deepEqual(v.fractionLost, { video: { green: 0.1, red: 0.5 }, audio: { green: 0.15, red: 0.3 } });
  assert.deepEqual(v.rttMs, { video: { green: 400, red: 1000 } });
  assert.deepEqual(v.audioDelayMs, { audio: { green: 240, red: 400 } });
  assert.deepEqual(v.frameRateRatio, { video: { green: 0.8, red: 0.3 } });

  const video = (o, prevFps) => streamQuality(metrics({ kind: 'video', ...o }), prevFps);
  const audio = (o) => streamQuality(metrics({ kind: 'audio', ...o }));
  assert.equal(video({}), 'unknown', 'nothing measured');
  assert.equal(video({ bitrate: 0 }), 'unknown', 'an idle stream is not bad');
  assert.equal(video({ bitrate: 2e6, rtt: 50 }), 'excellent');
  assert.equal(video({ bitrate: 1024e3 }), 'excellent', 'green is inclusive');
  assert.equal(video({ bitrate: 500e3 }), 'fair');
  assert.equal(video({ bitrate: 256e3 }), 'bad', 'red is inclusive for higher-is-better');
  assert.equal(video({ bitrate: 2e6, rtt: 1200 }), 'fair', '(5 + 1) / 2 = 3');
  assert.equal(video({ bitrate: 100e3, rtt: 1200 }), 'bad');
  assert.equal(video({ bitrate: 2e6, framesPerSecond: 10 }, 30), 'fair', 'frame rate fell to a third');
  assert.equal(video({ bitrate: 2e6, framesPerSecond: 29 }, 30), 'excellent');
  assert.equal(video({ bitrate: 2e6, fractionLost: 0.6 }), 'fair');
  assert.equal(audio({ bitrate: 40e3 }), 'excellent');
  assert.equal(audio({ bitrate: 20e3 }), 'fair');
  assert.equal(audio({ bitrate: 40e3, fractionLost: 0.2 }), 'fair');
  assert.equal(audio({ bitrate: 5e3, fractionLost: 0.35 }), 'bad');
  assert.equal(audio({ bitrate: 40e3, rtt: 150 }), 'excellent', '150 + 40 ms is under 240');
  assert.equal(audio({ bitrate: 40e3, rtt: 300 }), 'fair', '300 + 40 ms is between 240 and 400');
  assert.equal(audio({ bitrate: 40e3, rtt: 400 }), 'fair', '(5 + 1) / 2');
  assert.equal(audio({ bitrate: 40e3, fractionLost: 0 }), 'excellent', 'zero loss is not rated, as in the original');
});

test('combine: floor of the mean, 5 excellent, 2..4 fair, 1 bad', () => {
  assert.equal(combine([]), 'unknown');
  assert.equal(combine([5, 5, 5]), 'excellent');
  assert.equal(combine([5, 5, 3]), 'fair');
  assert.equal(combine([1, 3]), 'fair');
  assert.equal(combine([1, 1, 3]), 'bad');
  assert.equal(combine([1]), 'bad');
});

test('quality of the recorded streams: loopback audio is excellent', () => {
  const ms = allStreamMetrics(snap(rec[6]), snap(rec[5]));
  const outAudio = ms.find((m) => m.direction === 'outbound' && m.kind === 'audio');
  assert.equal(streamQuality(outAudio), outAudio.bitrate / 1000 >= 30 ? 'excellent' : 'fair');
  for (const m of ms) assert.notEqual(streamQuality(m), 'unknown', m.id);
});
