// The dashboard in headless Chromium against the real server: sign-in, every page, numbers that
// match the JSON API, a user search that leads to a conference's timeline and charts, settings
// and keys forms (client-side and server-side errors shown), a conference appearing live, and
// sign-in again without a session. A screenshot of every page goes to e2e/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../lib/server.mjs';
import { launch } from '../lib/browser.mjs';
import { until } from '../lib/wait.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = join(here, '..', 'artifacts');
const FIXTURES = join(here, '..', '..', 'fixtures', 'wire', 'secret-flow');
const FIXTURE_CONF = 'conf harness/1 ä';
const DAY = 86_400_000;

let browser;
let server;
let password;
before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startServer();
  // The password printed on first start; lib/server.mjs may resolve before that line arrives
  // (it waits for AppSecret), in which case a known one is set through the CLI instead.
  password = server.dashboardPassword;
  if (!password) {
    password = `e2e-${Date.now()}-pw`;
    server.cli('admin', 'password', '--username', 'admin', '--password', password);
  }
  // A recorded callstats-js session (errors, app log, SDP, feedback) and a week of generated
  // history (2,000 conferences).
  server.cli('import', '--app', server.appID, '--file', FIXTURES);
  server.cli('loadgen', 'history', '--app', server.appID, '--conferences', '2000', '--days', '7', '--seed', '7', '--parallel', '4');
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const b64url = (s) => Buffer.from(s).toString('base64url');

/** Joins `user` to `conf` through the collector, as callstats.js does (AppSecret flow). */
async function joinConference(conf, user) {
  const signingInput = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify({ userID: user, appID: server.appID }))}`;
  const code = `${signingInput}.${createHmac('sha256', server.appSecret).update(signingInput).digest('base64url')}`;
  const auth = await fetch(`${server.base}/authenticate`, {
    method: 'POST',
    body: new URLSearchParams({ client_id: `${user}@${server.appID}`, code, grant_type: 'authorization_code' }),
  });
  const { access_token: token } = await auth.json();
  assert.ok(token, 'access token');
  const res = await fetch(`${server.base}/v1/apps/${server.appID}/conferences/${encodeURIComponent(conf)}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ localID: user, deviceID: 'e2e-device', timestamp: Date.now(), endpointInfo: { type: 'browser', buildName: 'Chrome', buildVersion: '156' } }),
  });
  assert.equal(res.status, 200, await res.text());
}

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e}`));
  // API refusals (401 without a session, 400 for a bad form) are expected and shown on the page.
  page.on('console', (m) => m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text()) && problems.push(`console: ${m.text()}`));
  return { page, context, problems };
}

/** Saves what the page shows: the whole page, or the first screenful for long lists. */
async function shot(page, name, { fullPage = true } = {}) {
  // A full-page capture of a scrolled page draws the sticky top bar mid-page.
  if (fullPage) await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(ARTIFACTS, `dashboard-${name}.png`), fullPage });
}

async function signIn(page) {
  await page.goto(server.base + '/');
  await page.locator('[data-testid=signin]').waitFor();
  await page.fill('#signin-user', 'admin');
  await page.fill('#signin-pass', password);
  await page.click('[data-testid=signin] button[type=submit]');
  await page.locator('.topbar').waitFor();
}

test('without a session every page shows sign-in; a wrong password is refused', { timeout: 60000 }, async () => {
  const { page, context, problems } = await newPage();
  try {
    await page.goto(`${server.base}/#/apps/${server.appID}/conferences`);
    await page.locator('[data-testid=signin]').waitFor();
    assert.equal(await page.locator('.topbar').count(), 0);
    await page.fill('#signin-pass', 'not-the-password');
    await page.click('[data-testid=signin] button[type=submit]');
    await page.locator('[data-testid=signin] .alert.error').waitFor();
    assert.match(await page.locator('[data-testid=signin] .alert.error').innerText(), /wrong username or password/);
    await shot(page, 'signin');
    // The right password opens the page asked for.
    await page.fill('#signin-pass', password);
    await page.click('[data-testid=signin] button[type=submit]');
    await page.locator('[data-testid=conference-table]').waitFor();
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('every page shows what the API says', { timeout: 180000 }, async (t) => {
  const { page, context, problems } = await newPage();
  const app = server.appID;
  try {
    await signIn(page);

    await t.test('overview: counts and distributions match the aggregates', async () => {
      await page.goto(`${server.base}/#/apps/${app}/overview?range=30d`);
      await page.locator('[data-testid=total]').waitFor();
      const agg = await server.api(`/api/v1/apps/${app}/aggregates?from=${Date.now() - 30 * DAY}&to=${Date.now()}`);
      assert.ok(agg.total >= 100, `history generated: ${agg.total}`);
      assert.equal(await page.locator('[data-testid=total]').innerText(), agg.total.toLocaleString('en-US'));
      assert.equal(await page.locator('[data-testid=outcome-ok]').innerText(), String(agg.ok));
      assert.equal(await page.locator('[data-testid=outcome-partiallyFailed]').innerText(), String(agg.partiallyFailed));
      const histTotal = Number(await page.locator('[data-testid=score-histogram]').getAttribute('data-total'));
      assert.equal(histTotal, agg.scoreHistogram.counts.reduce((a, b) => a + b, 0));
      const bins = await page.locator('[data-testid=score-histogram] .hist-count').allInnerTexts();
      assert.deepEqual(bins.map(Number), agg.scoreHistogram.counts);
      assert.equal(await page.locator('[data-testid=failure-reasons] .bl-row').count(), Object.keys(agg.failureReasons).length);
      assert.equal(await page.locator('[data-testid=browsers] .bl-row').count(), Object.keys(agg.browsers).length);
      assert.ok((await page.locator('[data-testid=worst] tr').count()) > 0, 'worst calls listed');
      // The generated history carries countries, as a proxy in front would report them.
      const countries = Object.keys(agg.countries);
      assert.ok(countries.includes('FI'), `countries of the history: ${countries}`);
      assert.equal(await page.locator('[data-testid=countries] .bl-row').count(), countries.length);
      await shot(page, 'overview');
      await page.selectOption('#o-country', 'FI');
      await page.waitForURL(/country=FI/);
      const fi = await server.api(`/api/v1/apps/${app}/aggregates?from=${Date.now() - 30 * DAY}&to=${Date.now()}&country=FI`);
      assert.ok(fi.total > 0 && fi.total < agg.total, `conferences with a participant in FI: ${fi.total}`);
      await page.locator(`[data-testid=total]:text-is("${fi.total.toLocaleString('en-US')}")`).waitFor();
      // The range picker asks again.
      await page.click('[data-range="24h"]');
      await page.waitForURL(/range=24h/);
      await page.locator('[data-testid=total], .empty').first().waitFor();
    });

    let userConf;
    await t.test('conferences: the count matches, and a user search finds their calls', async () => {
      await page.goto(`${server.base}/#/apps/${app}/conferences`);
      await page.locator('[data-testid=conference-table]').waitFor();
      const all = (await server.api(`/api/v1/apps/${app}/conferences?limit=500`)).conferences;
      assert.equal(Number(await page.locator('[data-testid=result-count] strong[data-count]').getAttribute('data-count')), all.length);
      // The first 100 rows, then more on request.
      assert.equal(await page.locator('[data-testid=conference-table] tbody tr').count(), Math.min(100, all.length));
      if (all.length > 100) {
        await page.click('.more button');
        assert.equal(await page.locator('[data-testid=conference-table] tbody tr').count(), Math.min(200, all.length));
      }
      await shot(page, 'conferences', { fullPage: false });

      // One user's calls: pick a participant of the lowest-scored generated call that had media.
      let worst;
      let detail;
      for (const c of all.filter((x) => x.score !== null && !x.confID.startsWith('conf harness')).sort((a, b) => a.score - b.score)) {
        const d = await server.api(`/api/v1/apps/${app}/conferences/${encodeURIComponent(c.confID)}`);
        if (d.streams.some((st) => st.intervals.length >= 2) && d.summary.reasons.length) {
          worst = c;
          detail = d;
          break;
        }
      }
      assert.ok(worst, 'a poor call with media');
      const user = detail.participants[0].userID;
      const theirs = (await server.api(`/api/v1/apps/${app}/conferences?limit=500&user=${encodeURIComponent(user)}`)).conferences;
      assert.ok(theirs.some((c) => c.confID === worst.confID));
      await page.fill('#f-user', user);
      await until('the search result', async () => {
        const n = Number(await page.locator('[data-testid=result-count] strong[data-count]').getAttribute('data-count'));
        return n === theirs.length ? { ok: true } : { shown: n, want: theirs.length };
      }, 10000);
      assert.match(page.url(), new RegExp(`user=${encodeURIComponent(user).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      const shown = await page.locator('[data-testid=conference-table] tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.conf));
      assert.deepEqual(shown.sort(), theirs.map((c) => c.confID).sort());
      await shot(page, 'conferences-user');
      await page.click(`[data-testid=conference-table] tr[data-conf="${worst.confID}"] a`);
      await page.locator('[data-testid=timeline]').waitFor();
      assert.equal(await page.locator('[data-testid=conf-id]').innerText(), worst.confID);
      userConf = { confID: worst.confID, detail };
    });

    await t.test('a poor conference: score, reasons, timeline and stream charts as the API has them', async () => {
      const d = userConf.detail;
      await page.locator('.score.big').waitFor();
      assert.equal(await page.locator('.score.big').innerText(), d.summary.score.toFixed(1));
      assert.equal(Number(await page.locator('.score.big').getAttribute('data-score')), d.summary.score);
      const reasons = await page.locator('[data-testid=reasons] .reason-text').allInnerTexts();
      assert.deepEqual(reasons, d.summary.reasons.map((r) => r.text));
      // One participant lane per participant, one connection lane per fabric.
      await page.locator('.tl-row.tl-participant').first().waitFor();
      assert.equal(await page.locator('.tl-row.tl-participant').count(), d.participants.length);
      assert.equal(await page.locator('.tl-row.tl-fabric').count(), d.fabrics.length);
      // The worst stream's charts are open: one uPlot per metric with data.
      await page.locator('[data-testid=stream-charts] .uplot canvas').first().waitFor();
      assert.ok((await page.locator('[data-testid=stream-charts] .chart').count()) >= 4);
      assert.equal(await page.locator('.stream-row').count(), d.streams.length);
      // Each participant's country where the (generated) proxy header gave one.
      const osCells = await page.locator('[data-testid=participants] tbody tr td:nth-child(3)').allInnerTexts();
      assert.deepEqual(
        osCells.map((c) => c.split('\n')[1] ?? null),
        d.participants.map((p) => p.country ?? null),
      );
      await shot(page, 'conference-poor');
    });

    await t.test('the recorded conference: errors with SDP, app log, feedback on the timeline', async () => {
      const d = await server.api(`/api/v1/apps/${app}/conferences/${encodeURIComponent(FIXTURE_CONF)}`);
      await page.goto(`${server.base}/#/apps/${app}/conferences/${encodeURIComponent(FIXTURE_CONF)}`);
      await page.locator('[data-testid=timeline] .tl-mark').first().waitFor();
      assert.equal(await page.locator('[data-testid=conf-id]').innerText(), FIXTURE_CONF);
      assert.equal(await page.locator('.score.big').innerText(), d.summary.score.toFixed(1));
      // Markers for the shown categories; "other" events are listed only when switched on.
      const failed = d.events.find((e) => e.eventType === 'fabricSetupFailed');
      await page.click(`[data-testid=timeline] .tl-mark[data-event-id="${failed.id}"]`);
      const row = page.locator(`[data-testid=events] details[data-event-id="${failed.id}"]`);
      await row.locator('.ev-details').waitFor();
      assert.equal(await row.getAttribute('open'), '');
      assert.match(await row.locator('.err-msg').innerText(), /Failed to parse SessionDescription/);
      assert.match(await row.locator('[data-testid=sdp]').innerText(), /Local SDP/);
      // App log with its message.
      const log = d.events.find((e) => e.eventType === 'applicationErrorLog');
      assert.match(await page.locator(`[data-testid=app-logs] [data-event-id="${log.id}"]`).innerText(), /harness application log line/);
      assert.equal(await page.locator('[data-testid=app-logs] .badge').count(), d.events.filter((e) => e.eventType === 'applicationErrorLog' && e.truncated).length);
      assert.ok((await page.locator('[data-testid=stream-charts] .uplot').count()) >= 1);
      const visibleEvents = await page.locator('[data-testid=events] details').count();
      await page.click('.legend-chip:has-text("Other events")');
      await until('other events listed', async () => {
        const n = await page.locator('[data-testid=events] details').count();
        return n === d.events.length ? { ok: true } : { n, want: d.events.length };
      }, 5000);
      assert.ok(visibleEvents < d.events.length);
      await page.click('.legend-chip:has-text("Other events")');
      await row.scrollIntoViewIfNeeded();
      await shot(page, 'conference-recorded');
    });

    await t.test('integration: each step as the API has it', async () => {
      const steps = (await server.api(`/api/v1/apps/${app}/integration`)).steps;
      await page.goto(`${server.base}/#/apps/${app}/integration`);
      await page.locator('[data-testid=steps] .step').first().waitFor();
      assert.equal(await page.locator('[data-testid=steps] .step').count(), steps.length);
      assert.equal(await page.locator('[data-testid=steps] .step.done').count(), steps.filter((s) => s.done).length);
      for (const s of steps.filter((x) => !x.done && x.next)) {
        assert.match(await page.locator(`[data-step="${s.step}"] .step-next`).innerText(), new RegExp(s.next.slice(0, 30).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      }
      await shot(page, 'integration');
    });

    await t.test('settings: JSON checked here, the server\'s own message shown, a webhook secret shown once', async () => {
      await page.goto(`${server.base}/#/apps/${app}/settings`);
      await page.locator('[data-testid=config-form]').waitFor();
      // Not an object: refused before sending.
      await page.fill('#set-pc', '[1, 2]');
      await page.click('[data-testid=config-form] button[type=submit]');
      assert.match(await page.locator('#set-pc-error').innerText(), /JSON object/);
      // A valid configuration is saved.
      const pc = { iceServers: [{ urls: 'stun:stun.example.com:3478' }], bundlePolicy: 'max-bundle' };
      await page.fill('#set-pc', JSON.stringify(pc));
      await page.fill('#set-media', '{"audio": true}');
      await page.click('[data-testid=config-form] button[type=submit]');
      await page.locator('[data-testid=config-form] .alert.ok').waitFor();
      assert.deepEqual((await server.api(`/api/v1/apps/${app}/settings`)).defaultConfig, { peerConnection: pc, media: { audio: true } });
      // Removing a key removes it on the server too (merge patch with null).
      await page.fill('#set-pc', JSON.stringify({ iceServers: pc.iceServers }));
      await page.click('[data-testid=config-form] button[type=submit]');
      await until('bundlePolicy removed', async () => {
        const s = await server.api(`/api/v1/apps/${app}/settings`);
        return s.defaultConfig.peerConnection.bundlePolicy === undefined ? { ok: true } : { got: s.defaultConfig };
      }, 5000);
      // The server refuses a retention of 0 days, and says why.
      await page.fill('#set-retention', '0');
      await page.click('[data-testid=collection-form] button[type=submit]');
      await page.locator('[data-testid=collection-form] .alert.error').waitFor();
      assert.match(await page.locator('[data-testid=collection-form] .alert.error').innerText(), /retentionDays must be at least 1/);
      await page.fill('#set-retention', '30');
      await page.fill('#set-interval', '10');
      await page.click('[data-testid=collection-form] button[type=submit]');
      await page.locator('[data-testid=collection-form] .alert.ok').waitFor();
      const saved = await server.api(`/api/v1/apps/${app}/settings`);
      assert.equal(saved.retentionDays, 30);
      assert.equal(saved.submissionIntervalMs, 10000);
      // Webhook: the signing secret is shown once.
      await page.fill('#set-webhook', 'http://127.0.0.1:9/hook');
      await page.click('[data-testid=webhook-form] button[type=submit]');
      const secret = await page.locator('[data-testid=webhook-form] .secret-once input').inputValue();
      assert.ok(secret.length >= 16, secret);
      assert.equal((await server.api(`/api/v1/apps/${app}/settings`)).webhookUrl, 'http://127.0.0.1:9/hook');
      // Alert thresholds: a bad one is refused by the server, good ones are stored.
      await page.fill('#alert-score', '9');
      await page.click('[data-testid=alerts-form] button[type=submit]');
      await page.locator('[data-testid=alerts-form] .alert.error').waitFor();
      assert.match(await page.locator('[data-testid=alerts-form] .alert.error').innerText(), /minScore must be between 0 and 5/);
      await page.fill('#alert-score', '4.5');
      await page.fill('#alert-setup', '0.001');
      await page.check('#alert-failure');
      await page.click('[data-testid=alerts-form] button[type=submit]');
      await page.locator('[data-testid=alerts-form] .alert.ok').waitFor();
      assert.deepEqual((await server.api(`/api/v1/apps/${app}/settings`)).alerts, { minScore: 4.5, minMos: null, maxSetupDelayMs: 1, onSetupFailure: true, onDrop: false });
      await shot(page, 'settings');
    });

    await t.test('a conference that crossed the thresholds says so on its page', async () => {
      // More generated calls close under the thresholds just saved (some reuse earlier IDs).
      // The server's own closer may close some of them: wait until all four are closed.
      const before = Date.now();
      server.cli('loadgen', 'history', '--app', server.appID, '--conferences', '4', '--days', '1', '--seed', '99', '--parallel', '2');
      let recent = [];
      for (let i = 0; i < 100 && recent.length < 4; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 100));
        const closed = (await server.api(`/api/v1/apps/${app}/conferences?status=closed&limit=500`)).conferences;
        // Generated IDs end in their index: -0 to -3 here.
        recent = closed.filter((c) => c.closedAt >= before && /-[0-3]$/.test(c.confID));
      }
      assert.equal(recent.length, 4, 'the four generated conferences closed');
      const details = await Promise.all(recent.map((c) => server.api(`/api/v1/apps/${app}/conferences/${encodeURIComponent(c.confID)}`)));
      // Every one of them had a setup slower than 1 ms or a failed one.
      assert.deepEqual(details.filter((d) => !d.summary?.alerts?.length).map((d) => d.confID), []);
      const alerted = details.find((d) => d.summary.alerts.some((a) => a.kind === 'slowSetup'));
      assert.ok(alerted, 'a just-closed conference with a setup crossed 1 ms');
      await page.goto(`${server.base}/#/apps/${app}/conferences/${encodeURIComponent(alerted.confID)}`);
      await page.locator('[data-testid=alerts]').waitFor();
      assert.deepEqual(await page.locator('[data-testid=alerts] .alert-item').evaluateAll((els) => els.map((e) => e.dataset.kind)), alerted.summary.alerts.map((a) => a.kind));
      await shot(page, 'conference-alerted', { fullPage: false });
    });

    await t.test('apps and keys: create an app (secret once), add a key, set origins', async () => {
      await page.goto(`${server.base}/#/apps`);
      await page.locator('[data-testid=apps-table]').waitFor();
      await page.fill('#new-app-name', 'E2E second app');
      await page.click('[data-testid=create-app] button[type=submit]');
      await page.locator('.secret-once').waitFor();
      const created = (await server.api('/api/v1/apps')).apps.find((a) => a.name === 'E2E second app');
      assert.ok(created);
      const shownSecret = await page.locator('.secret-once input').nth(1).inputValue();
      assert.ok(shownSecret.length >= 20);
      assert.equal(await page.locator('.secret-once input').first().inputValue(), String(created.appID));
      assert.equal(await page.locator(`[data-testid=apps-table] tr[data-app="${created.appID}"]`).count(), 1);
      await shot(page, 'apps');

      await page.goto(`${server.base}/#/apps/${app}/access`);
      await page.locator('[data-testid=add-key]').waitFor();
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      await page.fill('#key-id', 'e2e-key');
      await page.fill('#key-pem', publicKey.export({ type: 'spki', format: 'pem' }));
      await page.click('[data-testid=add-key] button[type=submit]');
      await page.locator('[data-testid=keys-table] code:has-text("e2e-key")').waitFor();
      assert.deepEqual((await server.api(`/api/v1/apps/${app}/keys`)).keys.map((k) => k.keyID), ['e2e-key']);
      await page.fill('#key-id', 'junk');
      await page.fill('#key-pem', 'not a key');
      await page.click('[data-testid=add-key] button[type=submit]');
      await page.locator('[data-testid=add-key] .alert.error').waitFor();
      await page.fill('#origins', 'https://meet.example.com\nhttps://staging.example.com:8443');
      await page.click('[data-testid=origins] button[type=submit]');
      await page.locator('[data-testid=origins] .alert.ok').waitFor();
      const mine = (await server.api('/api/v1/apps')).apps.find((a) => String(a.appID) === String(app));
      assert.deepEqual(mine.origins, ['https://meet.example.com', 'https://staging.example.com:8443']);
      await shot(page, 'access');
      await page.fill('#origins', '');
      await page.click('[data-testid=origins] button[type=submit]');
      await page.locator('[data-testid=origins] .alert.ok:has-text("every origin")').waitFor();
    });

    await t.test('an ongoing conference appears in the list without reloading', async () => {
      await page.goto(`${server.base}/#/apps/${app}/conferences?status=ongoing`);
      await page.locator('[data-testid=result-count]').waitFor();
      const conf = `live e2e/${Date.now()}`;
      await joinConference(conf, 'erin@example.com');
      await page.locator(`[data-testid=conference-table] tr[data-conf="${conf}"] .badge.g-live`).waitFor({ timeout: 15000 });
      await shot(page, 'conferences-live');
      await page.click(`[data-testid=conference-table] tr[data-conf="${conf}"] a`);
      await page.locator('[data-testid=timeline]').waitFor();
      assert.equal(await page.locator('.page-actions .badge.g-live').count(), 1);
      await shot(page, 'conference-ongoing');
    });

    await t.test('signing out returns to sign-in, and so does any page after', async () => {
      await page.click('.topbar button:has-text("Sign out")');
      await page.locator('[data-testid=signin]').waitFor();
      await page.goto(`${server.base}/#/apps/${app}/overview`);
      await page.locator('[data-testid=signin]').waitFor();
      const res = await page.evaluate(async () => (await fetch('/api/v1/apps', { credentials: 'same-origin' })).status);
      assert.equal(res, 401);
    });

    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
