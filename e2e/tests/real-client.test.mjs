// The original callstats-js 3.73.16, unchanged, pointed at our server with setProxyConfig, in
// real headless Chromium with two RTCPeerConnections on loopback: everything the integration
// guide's steps send must be accepted and readable through the JSON API, with nothing refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../lib/server.mjs';
import { startPageHost } from '../lib/pagehost.mjs';
import { launch } from '../lib/browser.mjs';

const keys = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'keys');
const DEFAULT_CONFIG = { peerConnection: { iceTransportPolicy: 'all' }, media: { audio: true, video: { width: 640 } } };

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns `{ ok: value }`; anything else is kept as the last diagnostic. */
async function until(what, fn, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last && 'ok' in last) return last.ok;
    } catch (err) {
      last = err;
    }
    await sleep(500);
  }
  throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.stack : JSON.stringify(last)?.slice(0, 2000)}`);
}

async function runCall({ server, host, conf, user, query }) {
  const page = await browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  const url = `${host.base}/real-client.html?server=${encodeURIComponent(server.base)}&app=${server.appID}` +
    `&conf=${encodeURIComponent(conf)}&user=${encodeURIComponent(user)}&${query}`;
  await page.goto(url);
  await page.waitForFunction(() => window.e2e && window.e2e.connected, null, { timeout: 30000 });
  return { page, pageErrors };
}

const confPath = (server, conf) => `/api/v1/apps/${server.appID}/conferences/${encodeURIComponent(conf)}`;
const types = (detail) => detail.events.map((e) => e.eventType);

test('the real callstats-js (AppSecret flow) is accepted end to end', { timeout: 150000 }, async () => {
  const server = await startServer();
  const host = await startPageHost();
  try {
    server.cli('app', 'settings', '--app', server.appID, '--patch',
      JSON.stringify({ submissionIntervalMs: 5000, defaultConfig: DEFAULT_CONFIG }));
    // A running server reads an app's settings again at most 2 s after it last read them.
    await sleep(2100);
    const conf = 'e2e conf/1 ä';
    const { page, pageErrors } = await runCall({ server, host, conf, user: 'alice', query: `secret=${encodeURIComponent(server.appSecret)}` });

    const expected = ['userJoined', 'fabricSetup', 'fabricSetupFailed', 'audioMute', 'videoPause', 'screenShareStart',
      'activeDeviceList', 'fabricHold', 'fabricResume', 'dominantSpeaker', 'userFeedbackEvent', 'applicationErrorLog'];
    const detail = await until('every event and two stats submissions', async () => {
      const d = await server.api(confPath(server, conf));
      const fabric = d.fabrics.find((f) => f.remoteUserID === 'bob');
      const seen = types(d);
      return fabric && fabric.statsCount >= 2 && expected.every((t) => seen.includes(t))
        ? { ok: d }
        : { missing: expected.filter((t) => !seen.includes(t)), stats: fabric?.statsCount };
    }, 90000);
    await page.evaluate(() => window.e2e.finish());
    const finished = await until('fabricTerminated', async () => {
      const d = await server.api(confPath(server, conf));
      return types(d).includes('fabricTerminated') ? { ok: d } : { events: types(d) };
    });

    assert.equal(detail.confID, conf);
    const p = detail.participants;
    assert.equal(p.length, 1);
    assert.equal(p[0].userID, 'alice');
    assert.equal(p[0].sdkVersion, '3.73.16');
    assert.ok(p[0].browser.name, 'browser name from endpointInfo');
    assert.equal(p[0].appVersion, 'e2e-1.0');
    const fabric = finished.fabrics.find((f) => f.remoteUserID === 'bob');
    // Diagnostics for a state that is not the expected one.
    if (fabric.state !== 'terminated') console.log(JSON.stringify({ fabrics: finished.fabrics, events: finished.events.map((e) => [e.id, e.eventType, e.connectionID, e.timestamp]) }));
    assert.ok(fabric.setupDelayMs > 0, `setup delay ${fabric.setupDelayMs}`);
    assert.equal(fabric.state, 'terminated');
    assert.equal(fabric.failureFunction, 'createOffer');
    assert.ok(fabric.statsCount >= 2);
    const logs = finished.errors.filter((e) => e.eventType === 'applicationErrorLog');
    assert.equal(logs.length, 2, 'both reportError(applicationLog) forms');
    assert.ok(logs.some((l) => JSON.stringify(l.body).includes('e2e plain log line')));
    assert.equal(finished.feedback[0].body.feedback.overallRating, 4);
    assert.ok(finished.streams.some((s) => s.intervals.some((i) => i.bitrateKbps > 0)), 'stream intervals from real stats');

    const state = await page.evaluate(() => window.e2e);
    assert.deepEqual(state.defaultConfig, DEFAULT_CONFIG, "on('defaultConfig') got the app's setting");
    assert.ok(state.inits.some((i) => i.status === 'success'), JSON.stringify(state.inits));
    assert.ok(state.steps.every((s) => s.result === 'success'), JSON.stringify(state.steps));
    assert.deepEqual(pageErrors, []);

    // The conference closes by itself once its only fabric is terminated, with a scored summary.
    const closed = await until('the conference to close', async () => {
      const d = await server.api(confPath(server, conf));
      return d.status === 'closed' ? { ok: d } : { status: d.status };
    }, 20000);
    assert.equal(closed.summary.closeReason, 'allLeft');
    assert.equal(typeof closed.summary.score, 'number');
    assert.deepEqual(server.rejections(), [], 'the server refused none of the real client\'s requests');
    await page.close();
  } finally {
    await host.close();
    await server.stop();
  }
});

test('the real callstats-js with a third-party ES256 token', { timeout: 120000 }, async () => {
  const server = await startServer();
  const host = await startPageHost({
    jwt: { appID: server.appID, keyID: 'k1', privatePem: readFileSync(join(keys, 'es256-test-private.pem'), 'utf8') },
  });
  try {
    server.cli('app', 'add-key', '--app', server.appID, '--key-id', 'k1', '--pem', join(keys, 'es256-test-public.pem'));
    server.cli('app', 'settings', '--app', server.appID, '--patch', JSON.stringify({ submissionIntervalMs: 5000 }));
    const conf = 'e2e-jwt';
    const { page, pageErrors } = await runCall({ server, host, conf, user: 'carol@example.com', query: 'jwt=1' });
    const detail = await until('the fabric set up and a stats submission', async () => {
      const d = await server.api(confPath(server, conf));
      const f = d.fabrics.find((x) => x.remoteUserID === 'bob');
      return f && f.setupDelayMs > 0 && f.statsCount >= 1 && types(d).includes('userFeedbackEvent')
        ? { ok: d }
        : { fabric: f, events: types(d) };
    }, 90000);
    assert.equal(detail.participants[0].userID, 'carol@example.com');
    await page.evaluate(() => window.e2e.finish());
    const state = await page.evaluate(() => window.e2e);
    assert.ok(state.inits.some((i) => i.status === 'success'), JSON.stringify(state.inits));
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(server.rejections(), []);
    await page.close();
  } finally {
    await host.close();
    await server.stop();
  }
});
