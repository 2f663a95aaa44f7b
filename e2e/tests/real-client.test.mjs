// The original callstats-js 3.73.16, unchanged, pointed at our server with setProxyConfig, in
// real headless Chromium with two RTCPeerConnections on loopback: everything the integration
// guide's steps send must be accepted and readable through the JSON API, with nothing refused.
// Once with the AppSecret flow, once with a third-party ES256 token minted by the app's backend.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../lib/server.mjs';
import { startPageHost, signEs256 } from '../lib/pagehost.mjs';
import { launch } from '../lib/browser.mjs';
import { sleep, until } from '../lib/wait.mjs';

const DEFAULT_CONFIG = { peerConnection: { iceTransportPolicy: 'all' }, media: { audio: true, video: { width: 640 } } };
// What the guide's steps make the client send; fabricTerminated comes after finish().
const EXPECTED_EVENTS = ['userJoined', 'fabricSetup', 'fabricSetupFailed', 'audioMute', 'videoPause', 'screenShareStart', 'audioUnmute', 'videoResume',
  'activeDeviceList', 'fabricHold', 'fabricResume', 'dominantSpeaker', 'userFeedbackEvent', 'applicationErrorLog'];

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });



const confPath = (server, conf) => `/api/v1/apps/${server.appID}/conferences/${encodeURIComponent(conf)}`;
const types = (detail) => detail.events.map((e) => e.eventType);
const statsSamples = (detail, connectionID) => detail.stats.find((s) => s.connectionID === connectionID)?.samples ?? [];

/**
 * Runs the guide's call in a fresh page until the server has every expected event and two stats
 * submissions, ends it with fabricTerminated, and checks what the read API shows.
 * `query` selects the credential: `secret=…` or `jwt=1`.
 */
async function callAndCheck({ server, host, conf, user, query }) {
  // Stats every 5 s instead of 15–20 s, and a default configuration for on('defaultConfig').
  server.cli('app', 'settings', '--app', server.appID, '--patch',
    JSON.stringify({ submissionIntervalMs: 5000, defaultConfig: DEFAULT_CONFIG }));
  // A running server reads an app's settings again at most 2 s after it last read them.
  await sleep(2100);

  const page = await browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  // With window.module defined before the bundle loads, nothing may go to callstats.io's own
  // collector (PROTOCOL.md §6): every request stays on the page host or our server.
  const elsewhere = [];
  page.on('request', (r) => { if (!/^(http:\/\/127\.0\.0\.1:\d+\/|data:|blob:)/.test(r.url())) elsewhere.push(r.url()); });
  try {
    await page.goto(`${host.base}/real-client.html?server=${encodeURIComponent(server.base)}&app=${server.appID}` +
      `&conf=${encodeURIComponent(conf)}&user=${encodeURIComponent(user)}&${query}`);
    await page.waitForFunction(() => window.e2e && (window.e2e.connected || window.e2e.errors.length), null, { timeout: 30000 });

    await until('every event and two stats submissions', async () => {
      const d = await server.api(confPath(server, conf));
      const fabric = d.fabrics.find((f) => f.remoteUserID === 'bob');
      const seen = types(d);
      const samples = fabric ? statsSamples(d, fabric.connectionID).length : 0;
      return samples >= 2 && EXPECTED_EVENTS.every((t) => seen.includes(t))
        ? { ok: d }
        : { missing: EXPECTED_EVENTS.filter((t) => !seen.includes(t)), samples, page: await page.evaluate(() => ({ steps: window.e2e.steps, inits: window.e2e.inits, errors: window.e2e.errors })) };
    }, 90000);
    await page.evaluate(() => window.e2e.finish());
    // Both conditions, not just the event: one GET's `events` and `fabrics` are read separately
    // by the server and can disagree for a moment right after an event lands.
    const detail = await until('fabricTerminated', async () => {
      const d = await server.api(confPath(server, conf));
      const states = d.fabrics.map((f) => f.state);
      return types(d).includes('fabricTerminated') && states.includes('terminated') ? { ok: d } : { events: types(d), states };
    });

    // The conference list.
    const { conferences } = await server.api(`/api/v1/apps/${server.appID}/conferences`);
    const listed = conferences.find((c) => c.confID === conf);
    assert.ok(listed, `${JSON.stringify(conf)} in ${JSON.stringify(conferences)}`);
    assert.equal(listed.participantCount, 1);
    assert.ok(listed.firstSeen > 0 && listed.lastSeen >= listed.firstSeen, JSON.stringify(listed));

    // The participant, from userJoined's endpointInfo.
    assert.equal(detail.confID, conf);
    assert.equal(detail.participants.length, 1, JSON.stringify(detail.participants));
    const [p] = detail.participants;
    assert.equal(p.userID, user);
    assert.ok(p.ucID, 'the ucID handed out in the userJoined reply');
    assert.match(p.deviceID, /^[0-9a-f]{64}$/);
    assert.equal(p.sdkVersion, '3.73.16');
    assert.equal(p.browser.name, 'Chrome');
    assert.match(p.browser.version, /^\d+\./);
    assert.equal(p.os.name, 'Linux');
    assert.equal(p.appVersion, 'e2e-1.0');

    // The fabric: set up (fabricSetup), then terminated, with its stats.
    const fabric = detail.fabrics.find((f) => f.remoteUserID === 'bob');
    assert.ok(fabric, JSON.stringify(detail.fabrics));
    assert.equal(fabric.localUserID, user);
    assert.ok(fabric.setupDelayMs > 0, `setup delay ${fabric.setupDelayMs}`);
    assert.equal(fabric.state, 'terminated', JSON.stringify({
      fabric, events: detail.events.map((e) => [e.eventType, e.connectionID, e.timestamp, e.receivedAt, e.body.changedState, e.body.newState]),
    }));
    const samples = statsSamples(detail, fabric.connectionID);
    assert.ok(samples.length >= 2, `${samples.length} stats samples`);
    assert.equal(fabric.statsCount, samples.length);
    for (const s of samples) {
      assert.ok(s.sizeBytes > 1000 && s.timestamp > 0 && s.receivedAt > 0, JSON.stringify(s));
    }
    assert.ok(detail.streams.some((s) => s.intervals.some((i) => i.bitrateKbps > 0)), 'stream intervals from real stats');

    // Every event the page sent, each on the fabric and the participant.
    const seen = types(detail);
    for (const t of [...EXPECTED_EVENTS, 'fabricTerminated']) assert.ok(seen.includes(t), `${t} in ${seen}`);
    for (const t of ['audioMute', 'videoPause', 'screenShareStart', 'activeDeviceList', 'fabricHold', 'fabricResume', 'dominantSpeaker', 'fabricTerminated']) {
      const e = detail.events.find((x) => x.eventType === t);
      assert.equal(e.connectionID, fabric.connectionID, `${t} on the fabric`);
      assert.equal(e.ucID, p.ucID, `${t} of the participant`);
      assert.equal(e.body.eventType, t, 'the raw body as sent');
    }
    const devices = detail.events.find((e) => e.eventType === 'activeDeviceList').body.mediaDeviceList;
    assert.ok(devices.length >= 2, `enumerateDevices' list: ${JSON.stringify(devices)}`);

    // reportError: the failed createOffer and both application-log forms.
    const failed = detail.errors.filter((e) => e.eventType === 'fabricSetupFailed');
    assert.equal(failed.length, 1, JSON.stringify(detail.errors));
    assert.equal(failed[0].body.function, 'createOffer');
    assert.equal(failed[0].body.reason, 'NegotiationFailure');
    assert.equal(fabric.failureFunction, 'createOffer');
    const logs = detail.errors.filter((e) => e.eventType === 'applicationErrorLog');
    assert.equal(logs.length, 2, 'both reportError(applicationLog) forms');
    assert.ok(logs.some((l) => JSON.stringify(l.body).includes('e2e application log')), 'object form');
    assert.ok(logs.some((l) => JSON.stringify(l.body).includes('e2e plain log line')), 'string form');

    // sendUserFeedback.
    assert.equal(detail.feedback.length, 1, JSON.stringify(detail.feedback));
    assert.deepEqual(detail.feedback[0].body.feedback,
      { overallRating: 4, videoQualityRating: 3, audioQualityRating: 5, comments: 'e2e' });

    // What the page's callbacks saw.
    const state = await page.evaluate(() => window.e2e);
    assert.deepEqual(state.errors, []);
    assert.ok(state.done, 'the page ran to the end');
    assert.ok(state.steps.every((s) => s.result === 'success'), JSON.stringify(state.steps));
    assert.ok(state.inits.length >= 1 && state.inits.every((i) => i.status === 'success'), JSON.stringify(state.inits));
    assert.deepEqual(state.defaultConfig, DEFAULT_CONFIG, "on('defaultConfig') got the app's setting");
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(elsewhere, [], 'requests that left loopback');
    return detail;
  } finally {
    await page.close();
  }
}

/** The server refused none of the real client's requests. */
function assertNothingRejected(server) {
  assert.deepEqual(server.rejections(), [], 'requests the server rejected');
}

test('the real callstats-js (AppSecret flow) is accepted end to end', { timeout: 150000 }, async () => {
  const server = await startServer();
  const host = await startPageHost();
  try {
    // A space, a slash (sent as %2F) and a non-ASCII letter in the conference ID.
    const conf = 'e2e conf/1 ä';
    await callAndCheck({ server, host, conf, user: 'alice', query: `secret=${encodeURIComponent(server.appSecret)}` });

    // The conference closes by itself once its only fabric is terminated, with a scored summary.
    const closed = await until('the conference to close with a score', async () => {
      const d = await server.api(confPath(server, conf));
      return d.status === 'closed' && typeof d.summary.score === 'number' ? { ok: d } : { status: d.status, score: d.summary.score };
    }, 25000);
    assert.equal(closed.summary.closeReason, 'allLeft');
    assert.equal(typeof closed.summary.score, 'number');
    assertNothingRejected(server);
  } finally {
    await host.close();
    await server.stop();
  }
});

test('the real callstats-js with a third-party ES256 token', { timeout: 150000 }, async () => {
  const server = await startServer();
  // The app's key pair: the server gets the public half, the app's backend (the page host)
  // signs the page's tokens with the private half.
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = join(server.dir, 'k1.pub.pem');
  writeFileSync(pem, publicKey.export({ type: 'spki', format: 'pem' }));
  server.cli('app', 'add-key', '--app', server.appID, '--key-id', 'k1', '--pem', pem);
  const host = await startPageHost({
    jwt: { appID: server.appID, keyID: 'k1', privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }) },
  });
  try {
    // A user ID with an `@`: the client sends client_id=carol@example.com@<appID>.
    const user = 'carol@example.com';
    await callAndCheck({ server, host, conf: 'e2e-jwt/1', user, query: 'jwt=1' });
    assertNothingRejected(server);

    // The same claims signed by a key the app never registered are refused, in the form the
    // client understands (REPORT_ERROR), and the refusal is logged: the check above can fail.
    const now = Math.floor(Date.now() / 1000);
    const forged = signEs256({ userID: user, appID: server.appID, keyID: 'k1', iat: now, nbf: now - 60, exp: now + 300, jti: 'forged' },
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const res = await fetch(`${server.base}/authenticate`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: `${user}@${server.appID}`, code: forged, grant_type: 'authorization_code' }),
    });
    const reply = await res.json();
    assert.equal(reply['urn:x-callstats:auth:errorActions']?.[0]?.action, 2, JSON.stringify(reply));
    assert.equal(server.rejections().length, 1, server.log.join('\n'));
  } finally {
    await host.close();
    await server.stop();
  }
});
