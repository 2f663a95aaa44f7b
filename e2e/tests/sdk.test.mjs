// Our SDK, loaded with a script tag from our own server, doing the integration guide's steps in
// headless Chromium: the server must show all of it, the integration-progress page must tick
// the steps off, and the stats callback's numbers must agree with what the server stored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { startPageHost } from '../lib/pagehost.mjs';
import { launch } from '../lib/browser.mjs';
import { sleep, until } from '../lib/wait.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });


const CONFIG = { peerConnection: { bundlePolicy: 'max-bundle' }, media: { audio: true, video: true } };

test('our SDK from /static/callstats.min.js does every step of the guide', { timeout: 150000 }, async () => {
  const server = await startServer();
  const host = await startPageHost();
  try {
    server.cli('app', 'settings', '--app', server.appID, '--patch', JSON.stringify({ submissionIntervalMs: 5000, defaultConfig: CONFIG }));
    await sleep(2100); // the server re-reads app settings at most every 2 s
    const conf = 'sdk conf/1';
    const page = await browser.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    const statsPosts = [];
    page.on('request', (r) => {
      const p = new URL(r.url()).pathname;
      if (r.method() === 'POST' && /\/stats(\/compact)?$/.test(p)) statsPosts.push({ compact: p.endsWith('/compact'), gzip: !!r.headers()['content-encoding'], body: r.postData() });
    });
    await page.goto(`${host.base}/sdk-client.html?server=${encodeURIComponent(server.base)}&app=${server.appID}` +
      `&secret=${encodeURIComponent(server.appSecret)}&conf=${encodeURIComponent(conf)}&user=dave`);
    await page.waitForFunction(() => window.e2e && window.e2e.connected, null, { timeout: 30000 });

    const path = `/api/v1/apps/${server.appID}/conferences/${encodeURIComponent(conf)}`;
    const expected = ['userJoined', 'fabricSetup', 'fabricSetupFailed', 'audioMute', 'videoPause', 'screenShareStart', 'audioUnmute', 'videoResume',
      'activeDeviceList', 'fabricHold', 'fabricResume', 'dominantSpeaker', 'userFeedbackEvent', 'applicationErrorLog', 'userDetails'];
    const detail = await until('the guide\'s events and two stats submissions', async () => {
      const d = await server.api(path);
      const seen = d.events.map((e) => e.eventType);
      const f = d.fabrics.find((x) => x.remoteUserID === 'bob');
      return f && f.statsCount >= 2 && expected.every((t) => seen.includes(t))
        ? { ok: d }
        : { missing: expected.filter((t) => !seen.includes(t)), stats: f?.statsCount };
    }, 90000);
    // The stats callback fires every 10 s; wait for one with numbers.
    const stats = await until('a stats callback with a bitrate', async () => {
      const all = await page.evaluate(() => window.e2e.stats);
      const withRate = all.filter((s) => (s.mediaStreamTracks || []).some((t) => t.bitrate > 0 && t.mediaType === 'audio'));
      return withRate.length ? { ok: withRate[withRate.length - 1] } : { callbacks: all.length };
    }, 30000);
    // A remote track arriving on a monitored PeerConnection gives mediaPlaybackStart with the
    // SSRC of the remote SDP (another conference, so the guide's conference stays as it is).
    const conf2 = 'sdk conf/2';
    await page.evaluate(async (c) => {
      const cs = window.e2e.cs;
      const [a, b] = [new RTCPeerConnection(), new RTCPeerConnection()];
      a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
      b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
      const media = await navigator.mediaDevices.getUserMedia({ audio: true });
      media.getTracks().forEach((t) => b.addTrack(t, media));
      cs.addNewFabric(a, 'carol', cs.fabricUsage.multiplex, c);
      await b.setLocalDescription(await b.createOffer());
      await a.setRemoteDescription(b.localDescription);
      await a.setLocalDescription(await a.createAnswer());
      await b.setRemoteDescription(a.localDescription);
      window.e2e.extra = { a, b };
    }, conf2);
    const playback = await until('mediaPlaybackStart of the remote track', async () => {
      const d = await server.api(`/api/v1/apps/${server.appID}/conferences/${encodeURIComponent(conf2)}`);
      const e = d.events.find((x) => x.eventType === 'mediaPlaybackStart');
      return e ? { ok: e } : { events: d.events.map((x) => x.eventType) };
    }, 30000);
    const ssrc = Number(playback.body?.ssrc ?? playback.ssrc);
    assert.ok(ssrc > 0, `an SSRC from the remote SDP: ${JSON.stringify(playback)}`);
    await page.evaluate((c) => {
      window.e2e.cs.sendFabricEvent(window.e2e.extra.a, window.e2e.cs.fabricEvent.fabricTerminated, c);
      window.e2e.extra.a.close();
      window.e2e.extra.b.close();
    }, conf2);
    await page.evaluate(() => window.e2e.finish());

    const fabric = detail.fabrics.find((f) => f.remoteUserID === 'bob');
    assert.ok(fabric.setupDelayMs > 0);
    assert.equal(fabric.failureFunction, 'createOffer');
    assert.equal(detail.participants[0].userID, 'dave');
    assert.equal(detail.errors.filter((e) => e.eventType === 'applicationErrorLog').length, 2);
    const state = await page.evaluate(() => window.e2e);
    assert.deepEqual(state.defaultConfig, CONFIG);
    assert.ok(state.inits.some((i) => i.status === 'success'), JSON.stringify(state.inits));
    assert.ok(state.steps.every((s) => s.result === 'success'), JSON.stringify(state.steps));

    // The callback's numbers agree with the server's analysis of the same stream. Audio is
    // compared: Opus runs at a steady rate, while video ramps up as bandwidth estimation warms,
    // so a 10 s callback window and a 15 s submission window legitimately differ for video.
    assert.equal(stats.connectionState, 'online');
    assert.ok(['established', 'initializing'].includes(stats.fabricState), stats.fabricState);
    const after = await server.api(path);
    let compared = 0;
    for (const t of stats.mediaStreamTracks.filter((t) => t.bitrate > 0 && t.mediaType === 'audio')) {
      const series = after.streams.find((s) => String(s.ssrc) === String(t.ssrc));
      assert.ok(series, `server has the stream ${t.ssrc} the callback reported`);
      const rates = series.intervals.map((i) => i.bitrateKbps).filter((b) => b > 0).sort((a, b) => a - b);
      if (!rates.length) continue;
      const median = rates[Math.floor(rates.length / 2)];
      assert.ok(Math.abs(t.bitrate - median) <= median * 0.5, `ssrc ${t.ssrc}: callback ${t.bitrate} kbit/s, server median ${median}`);
      compared += 1;
    }
    assert.ok(compared >= 1, 'at least one audio stream compared');

    const progress = await server.api(`/api/v1/apps/${server.appID}/integration`);
    const done = progress.steps.filter((s) => s.done).map((s) => s.step);
    for (const s of ['initialized', 'fabricAdded', 'errorReported', 'fabricEvent', 'userFeedback', 'statsReceived', 'applicationLog', 'defaultConfig']) {
      assert.ok(done.includes(s), `integration step ${s} seen; done: ${done}`);
    }
    // Once its only fabric is terminated, the conference closes with a scored summary.
    // Requests in flight may land after the first close; the conference then reopens and closes
    // again within seconds, so wait for the close that has everything.
    const closed = await until('the conference to close with a score', async () => {
      const d = await server.api(path);
      return d.status === 'closed' && typeof d.summary.score === 'number'
        ? { ok: d }
        : { status: d.status, score: d.summary.score, fabrics: d.summary.fabrics, events: d.events.map((e) => [e.eventType, e.timestamp]), streams: d.streams.map((x) => x.intervals.length) };
    }, 25000);
    assert.equal(closed.summary.closeReason, 'allLeft');
    assert.equal(typeof closed.summary.score, 'number');
    assert.ok(closed.summary.fabrics[0].streams.length >= 2, 'stream summaries from the SDK\'s stats');

    // Stats went through the compact extension: a keyframe, then deltas, none refused.
    assert.ok(statsPosts.length >= 2 && statsPosts.every((p) => p.compact), JSON.stringify(statsPosts.map((p) => p.compact)));
    if (!statsPosts[0].gzip) assert.equal(JSON.parse(statsPosts[0].body).base, undefined, 'the first is a keyframe');
    const deltas = statsPosts.slice(1).filter((p) => !p.gzip && typeof JSON.parse(p.body).base === 'number');
    assert.ok(deltas.length >= 1, 'later ones are deltas');

    assert.deepEqual(pageErrors, []);
    assert.deepEqual(state.errors, []);
    assert.deepEqual(server.rejections(), []);
    await page.close();
  } finally {
    await host.close();
    await server.stop();
  }
});
