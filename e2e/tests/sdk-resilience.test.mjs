// Our SDK when things go wrong: a connection whose ICE never comes up, a far end that stops
// sending, a server that goes away mid-call and comes back, and loading through an AMD loader.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { startServer } from '../lib/server.mjs';
import { startPageHost } from '../lib/pagehost.mjs';
import { launch } from '../lib/browser.mjs';
import { sleep, until } from '../lib/wait.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });


const freePort = () => new Promise((resolve) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

const pageUrl = (host, server, page, conf) =>
  `${host.base}/${page}?server=${encodeURIComponent(server.base)}&app=${server.appID}` +
  `&secret=${encodeURIComponent(server.appSecret)}&conf=${encodeURIComponent(conf)}`;

test('ICE that cannot connect is reported as fabricSetupFailed with its failure delay', { timeout: 90000 }, async () => {
  const server = await startServer();
  const host = await startPageHost();
  try {
    const page = await browser.newPage();
    await page.goto(pageUrl(host, server, 'sdk-ice-failure.html', 'ice-fails'));
    const detail = await until('fabricSetupFailed', async () => {
      const d = await server.api(`/api/v1/apps/${server.appID}/conferences/ice-fails`);
      return d.events.some((e) => e.eventType === 'fabricSetupFailed') ? { ok: d } : { events: d.events.map((e) => e.eventType) };
    }, 75000);
    const failed = detail.errors.find((e) => e.eventType === 'fabricSetupFailed');
    assert.equal(failed.body.reason, 'IceConnectionFailure');
    assert.ok(failed.body.delay > 0, `failure delay ${failed.body.delay}`);
    const fabric = detail.fabrics.find((f) => f.remoteUserID === 'frank');
    assert.equal(fabric.state, 'failed');
    assert.equal(fabric.failureReason, 'IceConnectionFailure');
    assert.ok(fabric.failureDelayMs > 0);
    assert.equal(fabric.setupDelayMs, null);
    assert.deepEqual(await page.evaluate(() => window.e2e.errors), []);
    await page.close();
  } finally {
    await host.close();
    await server.stop();
  }
});

test('a far end that stops sending is reported as one-way media, and its return ends it', { timeout: 90000 }, async () => {
  const server = await startServer();
  const host = await startPageHost();
  try {
    // Poll getStats every second instead of every five.
    server.cli('app', 'settings', '--app', server.appID, '--patch', JSON.stringify({ submissionIntervalMs: 1000 }));
    await sleep(2100); // the server re-reads app settings at most every 2 s
    const page = await browser.newPage();
    await page.goto(pageUrl(host, server, 'sdk-oneway.html', 'one-way'));
    await page.waitForFunction(() => window.e2e && window.e2e.silence, null, { timeout: 30000 });
    const path = `/api/v1/apps/${server.appID}/conferences/one-way`;
    const events = async (type) => (await server.api(path)).events.filter((e) => e.eventType === type);
    // Audio flows both ways for a few polls first.
    await until('audio received and the fabric set up', async () => {
      const received = (await page.evaluate(() => window.e2e.inbound())).packets;
      const setUp = (await server.api(path)).fabrics.some((f) => f.setupDelayMs > 0);
      return received > 100 && setUp ? { ok: true } : { received, setUp };
    });
    await sleep(2500);
    const { ssrc } = await page.evaluate(() => window.e2e.inbound());
    assert.ok(ssrc);
    const silencedAt = await page.evaluate(() => window.e2e.silence(true));
    const start = await until('oneWayMediaStart', async () => {
      const found = (await events('oneWayMediaStart')).filter((e) => e.body.timestamp >= silencedAt);
      return found.length ? { ok: found[0] } : { starts: (await events('oneWayMediaStart')).length };
    }, 30000);
    assert.equal(start.body.mediaType, 'audio');
    assert.equal(start.body.disruptionType, 'oneWayMedia');
    assert.equal(start.body.ssrc, ssrc, 'the silent stream is the one pc1 receives');
    const resumedAt = await page.evaluate(() => window.e2e.silence(false));
    const stop = await until('oneWayMediaStop', async () => {
      const found = (await events('oneWayMediaStop')).filter((e) => e.body.timestamp >= resumedAt);
      return found.length ? { ok: found[0] } : null;
    }, 30000);
    assert.equal(stop.body.ssrc, ssrc);
    assert.deepEqual(await page.evaluate(() => window.e2e.errors), []);
    await page.close();
  } finally {
    await host.close();
    await server.stop();
  }
});

test('a server that goes away mid-call disturbs nothing, and gets the backlog when it returns', { timeout: 150000 }, async () => {
  const listen = `127.0.0.1:${await freePort()}`;
  let server = await startServer({ listen });
  const host = await startPageHost();
  const { dir, appID, appSecret, base } = server;
  try {
    const page = await browser.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(`${host.base}/sdk-client.html?server=${encodeURIComponent(base)}&app=${appID}` +
      `&secret=${encodeURIComponent(appSecret)}&conf=outage&user=gina`);
    await page.waitForFunction(() => window.e2e && window.e2e.connected, null, { timeout: 30000 });
    await until('the fabric to be set up on the server', async () => {
      const d = await server.api(`/api/v1/apps/${appID}/conferences/outage`);
      return d.fabrics.some((f) => f.setupDelayMs > 0) ? { ok: d } : null;
    });

    await server.stop({ keep: true });
    // While the server is down the app keeps calling the SDK, which must neither throw nor
    // disturb the call.
    const during = await page.evaluate(async () => {
      const cs = window.e2e.cs;
      const pc = window.e2e.pc1;
      const results = [];
      for (const ev of ['audioUnmute', 'videoResume', 'screenShareStop']) {
        results.push(cs.sendFabricEvent(pc, cs.fabricEvent[ev], 'outage').status);
      }
      await new Promise((r) => setTimeout(r, 3000));
      return { results, ice: pc.iceConnectionState };
    });
    assert.deepEqual(during.results, ['success', 'success', 'success']);
    assert.ok(['connected', 'completed'].includes(during.ice), `the call continued: ${during.ice}`);

    server = await startServer({ dir, listen });
    const detail = await until('the events sent during the outage', async () => {
      const d = await server.api(`/api/v1/apps/${appID}/conferences/outage`);
      const seen = d.events.map((e) => e.eventType);
      return ['audioUnmute', 'videoResume', 'screenShareStop'].every((t) => seen.includes(t)) ? { ok: d } : { seen };
    }, 100000);
    assert.ok(detail.events.length > 5);
    assert.deepEqual(pageErrors, []);
    await page.close();
  } finally {
    await host.close();
    await server.stop();
  }
});

test('require.js loads the SDK as an AMD module', { timeout: 60000 }, async () => {
  const server = await startServer();
  const host = await startPageHost();
  try {
    const page = await browser.newPage();
    await page.goto(pageUrl(host, server, 'sdk-amd.html', 'amd'));
    const state = await until('authentication through the AMD-loaded SDK', async () => {
      const s = await page.evaluate(() => window.e2e);
      return s.inits.some((i) => i.status === 'success') ? { ok: s } : s;
    }, 30000);
    assert.equal(state.init.status, 'success');
    assert.equal(state.global, 'undefined', 'under AMD the SDK does not also set a global');
    assert.deepEqual(state.errors, []);
    await page.close();
  } finally {
    await host.close();
    await server.stop();
  }
});
