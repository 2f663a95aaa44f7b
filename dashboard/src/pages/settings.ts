// App settings: what clients collect and send (interval, SDP, gated events), how long data is
// kept, the default RTCPeerConnection configuration and media constraints handed to clients,
// and the webhook with its deliveries. Saving sends a JSON merge patch of what changed; the
// server validates it and its message is shown as is.

import { api, type AppSettings, type PcConfig, type WebhookDelivery } from '../api';
import { h, replace } from '../dom';
import { dateTime, fullTime } from '../format';
import { mergePatch, parseJsonObject, type Json } from '../merge';
import { href } from '../routes';
import { badge, busy, card, empty, errorBox, json, okBox, pageHead, secretOnce } from '../ui';
import type { Ctx } from '../main';
import type { Route } from '../routes';

/** The gated event types of callstats.js (the `ingestedEvents` claim); the API takes any subset. */
export const GATED_EVENTS = [
  'applicationErrorLog',
  'sdpSubmissionEvent',
  'userFeedback',
  'dominantSpeaker',
  'activeDeviceList',
  'connectedDeviceList',
  'mediaPlaybackStart',
  'mediaPlaybackSuspended',
  'oneWayMediaStart',
  'oneWayMediaStop',
  'circuitBreaker',
  'precallTestResultsAutomatic',
  'precallTestResultsManual',
];

function deliveriesTable(app: number, list: WebhookDelivery[]): HTMLElement {
  if (!list.length) return empty('No deliveries yet. One is made each time a conference closes.');
  const grade = (s: string) => (s === 'delivered' ? 'good' : s === 'failed' ? 'bad' : 'fair');
  return h(
    'table.table',
    { 'data-testid': 'deliveries' },
    h('thead', h('tr', h('th', 'Conference'), h('th', 'Status'), h('th.num', 'Attempts'), h('th', 'Last answer'), h('th', 'Created'), h('th', 'Delivered / next try'))),
    h(
      'tbody',
      list.map((d) =>
        h(
          'tr',
          h('td', h('a', { href: href.conference(app, d.confID) }, d.confID)),
          h('td', badge(d.status, grade(d.status))),
          h('td.num', String(d.attempts)),
          h('td', d.lastStatus ? h('code', String(d.lastStatus)) : null, d.lastError ? h('span.muted', ` ${d.lastError}`) : d.lastStatus ? null : h('span.muted', '—')),
          h('td', { title: fullTime(d.createdAt) }, dateTime(d.createdAt, true)),
          h('td', d.deliveredAt ? h('span', { title: fullTime(d.deliveredAt) }, dateTime(d.deliveredAt, true)) : d.status === 'pending' ? h('span.muted', `next ${dateTime(d.nextAttemptAt, true)}`) : '—'),
        ),
      ),
    ),
  );
}

export async function renderSettings(view: HTMLElement, _r: Route, ctx: Ctx): Promise<void> {
  const app = ctx.app!;
  let current: AppSettings = await api.settings(app.appID);
  const deliveries = await api.deliveries(app.appID).catch(() => [] as WebhookDelivery[]);

  // ---- Collection
  const interval = h('input', { type: 'number', step: 'any', id: 'set-interval', name: 'submissionInterval' });
  const sdp = h('input', { type: 'checkbox', id: 'set-sdp' });
  const ttl = h('input', { type: 'number', step: 1, id: 'set-ttl' });
  const retention = h('input', { type: 'number', step: 1, id: 'set-retention', placeholder: 'keep forever' });
  const allEvents = h('input', { type: 'radio', name: 'events-mode', value: 'all', id: 'events-all' });
  const someEvents = h('input', { type: 'radio', name: 'events-mode', value: 'some', id: 'events-some' });
  const eventBoxes = new Map<string, HTMLInputElement>();
  const eventGrid = h('div.check-grid');
  const fillCollection = () => {
    interval.value = String(current.submissionIntervalMs / 1000);
    sdp.checked = current.collectSdp;
    ttl.value = String(Math.round(current.tokenTtlSecs / 60));
    retention.value = current.retentionDays === null ? '' : String(current.retentionDays);
    allEvents.checked = current.ingestedEvents.length === 0;
    someEvents.checked = current.ingestedEvents.length > 0;
    const names = [...GATED_EVENTS, ...current.ingestedEvents.filter((e) => !GATED_EVENTS.includes(e))];
    eventBoxes.clear();
    replace(
      eventGrid,
      names.map((n) => {
        const cb = h('input', { type: 'checkbox', value: n, checked: current.ingestedEvents.includes(n) });
        eventBoxes.set(n, cb);
        cb.addEventListener('change', () => {
          if (cb.checked) someEvents.checked = true;
        });
        return h('label.check', cb, h('code', n));
      }),
    );
    eventGrid.classList.toggle('dim', allEvents.checked);
  };
  allEvents.addEventListener('change', () => eventGrid.classList.toggle('dim', allEvents.checked));
  someEvents.addEventListener('change', () => eventGrid.classList.toggle('dim', allEvents.checked));
  fillCollection();
  const collMsg = h('div.form-msg');
  const collSubmit = h('button.btn.primary', { type: 'submit' }, 'Save');
  const collForm = h(
    'form.stack-form',
    { novalidate: true, 'data-testid': 'collection-form' },
    h(
      'div.fields3',
      h('label.field', { for: 'set-interval' }, h('span', 'Stats submission interval (seconds)'), interval, h('small.hint', '1 to 60 s')),
      h('label.field', { for: 'set-ttl' }, h('span', 'Access token lifetime (minutes)'), ttl, h('small.hint', '1 min to 24 h')),
      h('label.field', { for: 'set-retention' }, h('span', 'Keep data for (days)'), retention, h('small.hint', 'empty keeps everything')),
    ),
    h('label.check', sdp, 'Collect SDP (session descriptions) from clients'),
    h(
      'fieldset.events',
      h('legend', 'Gated events clients send'),
      h('label.check', allEvents, 'All of them'),
      h('label.check', someEvents, 'Only these:'),
      eventGrid,
    ),
    collMsg,
    h('div', collSubmit),
  );
  collForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    replace(collMsg);
    const patch: Record<string, Json> = {};
    const iv = Number(interval.value);
    if (interval.value.trim() === '' || !Number.isFinite(iv)) return replace(collMsg, errorBox(new Error('The submission interval must be a number of seconds.')));
    const ivMs = Math.round(iv * 1000);
    if (ivMs !== current.submissionIntervalMs) patch.submissionIntervalMs = ivMs;
    if (sdp.checked !== current.collectSdp) patch.collectSdp = sdp.checked;
    const ttlMin = Number(ttl.value);
    if (ttl.value.trim() === '' || !Number.isFinite(ttlMin)) return replace(collMsg, errorBox(new Error('The token lifetime must be a number of minutes.')));
    if (Math.round(ttlMin * 60) !== current.tokenTtlSecs) patch.tokenTtlSecs = Math.round(ttlMin * 60);
    const ret = retention.value.trim() === '' ? null : Number(retention.value);
    if (ret !== null && !Number.isFinite(ret)) return replace(collMsg, errorBox(new Error('Retention must be a number of days, or empty.')));
    if (ret !== current.retentionDays) patch.retentionDays = ret;
    const events = allEvents.checked ? [] : [...eventBoxes].filter(([, cb]) => cb.checked).map(([n]) => n);
    if (someEvents.checked && !events.length) return replace(collMsg, errorBox(new Error('Choose at least one event type, or “All of them”.')));
    if (JSON.stringify(events) !== JSON.stringify(current.ingestedEvents)) patch.ingestedEvents = events;
    if (!Object.keys(patch).length) return replace(collMsg, okBox('Nothing changed.'));
    try {
      current = await busy(collSubmit, () => api.patchSettings(app.appID, patch));
      fillCollection();
      replace(collMsg, okBox('Saved. Clients pick the new values up when they next authenticate.'));
    } catch (err) {
      replace(collMsg, errorBox(err));
    }
  });

  // ---- Default configuration
  const pcText = h('textarea.mono.json', { rows: 10, id: 'set-pc', spellcheck: false, placeholder: '{\n  "iceServers": [{ "urls": "stun:stun.example.com:3478" }]\n}' });
  const mediaText = h('textarea.mono.json', { rows: 10, id: 'set-media', spellcheck: false, placeholder: '{\n  "audio": true,\n  "video": { "width": 1280, "height": 720 }\n}' });
  const pcErr = h('div.field-error', { id: 'set-pc-error' });
  const mediaErr = h('div.field-error', { id: 'set-media-error' });
  const fillConfig = () => {
    const dc = current.defaultConfig;
    pcText.value = dc?.peerConnection ? json(dc.peerConnection) : '';
    mediaText.value = dc?.media ? json(dc.media) : '';
  };
  fillConfig();
  const check = (ta: HTMLTextAreaElement, out: HTMLElement) => {
    const r = parseJsonObject(ta.value);
    out.textContent = r.ok ? '' : r.error;
    ta.classList.toggle('invalid', !r.ok);
    return r;
  };
  pcText.addEventListener('input', () => check(pcText, pcErr));
  mediaText.addEventListener('input', () => check(mediaText, mediaErr));
  const cfgMsg = h('div.form-msg');
  const cfgSubmit = h('button.btn.primary', { type: 'submit' }, 'Save configuration');
  const cfgForm = h(
    'form.stack-form',
    { novalidate: true, 'data-testid': 'config-form' },
    h(
      'div.grid2.tight',
      h('label.field', { for: 'set-pc' }, h('span', 'RTCPeerConnection configuration'), pcText, pcErr),
      h('label.field', { for: 'set-media' }, h('span', 'Media constraints (getUserMedia)'), mediaText, mediaErr),
    ),
    h('p.hint', 'JSON objects; leave both empty for no default. Clients receive them through callstats.on(\'defaultConfig\').'),
    cfgMsg,
    h('div', cfgSubmit),
  );
  cfgForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    replace(cfgMsg);
    const pc = check(pcText, pcErr);
    const media = check(mediaText, mediaErr);
    if (!pc.ok || !media.ok) return replace(cfgMsg, errorBox(new Error('Fix the JSON above first.')));
    const next: PcConfig = {};
    if (pc.value) next.peerConnection = pc.value;
    if (media.value) next.media = media.value;
    const wanted = Object.keys(next).length ? next : null;
    const diff = wanted === null ? (current.defaultConfig === null ? undefined : null) : mergePatch(current.defaultConfig ?? null, wanted);
    if (diff === undefined) return replace(cfgMsg, okBox('Nothing changed.'));
    try {
      current = await busy(cfgSubmit, () => api.patchSettings(app.appID, { defaultConfig: diff }));
      fillConfig();
      check(pcText, pcErr);
      check(mediaText, mediaErr);
      replace(cfgMsg, okBox('Saved.'));
    } catch (err) {
      replace(cfgMsg, errorBox(err));
    }
  });

  // ---- Alert thresholds
  const minScore = h('input', { type: 'number', step: 'any', id: 'alert-score', placeholder: 'off' });
  const minMos = h('input', { type: 'number', step: 'any', id: 'alert-mos', placeholder: 'off' });
  const maxSetup = h('input', { type: 'number', step: 'any', id: 'alert-setup', placeholder: 'off' });
  const onFailure = h('input', { type: 'checkbox', id: 'alert-failure' });
  const onDrop = h('input', { type: 'checkbox', id: 'alert-drop' });
  const fillAlerts = () => {
    const a = current.alerts ?? {};
    minScore.value = a.minScore == null ? '' : String(a.minScore);
    minMos.value = a.minMos == null ? '' : String(a.minMos);
    maxSetup.value = a.maxSetupDelayMs == null ? '' : String(a.maxSetupDelayMs / 1000);
    onFailure.checked = !!a.onSetupFailure;
    onDrop.checked = !!a.onDrop;
  };
  fillAlerts();
  const alertMsg = h('div.form-msg');
  const alertSubmit = h('button.btn.primary', { type: 'submit' }, 'Save thresholds');
  const alertForm = h(
    'form.stack-form',
    { novalidate: true, 'data-testid': 'alerts-form' },
    h(
      'div.fields3',
      h('label.field', { for: 'alert-score' }, h('span', 'Score below'), minScore, h('small.hint', '0 to 5; empty: off')),
      h('label.field', { for: 'alert-mos' }, h('span', 'Audio MOS below'), minMos, h('small.hint', '1 to 5; empty: off')),
      h('label.field', { for: 'alert-setup' }, h('span', 'Setup slower than (seconds)'), maxSetup, h('small.hint', 'slowest connection; empty: off')),
    ),
    h('label.check', onFailure, 'A connection failed to set up'),
    h('label.check', onDrop, 'A connection dropped during the call'),
    alertMsg,
    h('div', alertSubmit),
  );
  alertForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    replace(alertMsg);
    const num = (input: HTMLInputElement, what: string, scale = 1): number | null | Error => {
      const t = input.value.trim();
      if (t === '') return null;
      const v = Number(t);
      return Number.isFinite(v) ? v * scale : new Error(`${what} must be a number, or empty.`);
    };
    const wanted = {
      minScore: num(minScore, 'The score threshold'),
      minMos: num(minMos, 'The MOS threshold'),
      maxSetupDelayMs: num(maxSetup, 'The setup-time threshold', 1000),
      onSetupFailure: onFailure.checked,
      onDrop: onDrop.checked,
    };
    const bad = Object.values(wanted).find((v) => v instanceof Error);
    if (bad) return replace(alertMsg, errorBox(bad));
    try {
      // The whole object replaces the stored one; nulls switch a threshold off.
      current = await busy(alertSubmit, () => api.patchSettings(app.appID, { alerts: wanted as Json }));
      fillAlerts();
      replace(alertMsg, okBox('Saved. Conferences closing from now on are checked against these.'));
    } catch (err) {
      replace(alertMsg, errorBox(err));
    }
  });

  // ---- Webhook
  const hookUrl = h('input', { type: 'url', id: 'set-webhook', placeholder: 'https://example.com/callstats-hook', value: current.webhookUrl ?? '' });
  const hookMsg = h('div.form-msg');
  const hookSubmit = h('button.btn.primary', { type: 'submit' }, 'Save webhook');
  const hookRemove = h('button.btn', { type: 'button' }, 'Remove');
  const hookState = () => {
    hookRemove.disabled = !current.webhookUrl;
  };
  hookState();
  const setHook = async (url: string | null, btn: HTMLButtonElement) => {
    replace(hookMsg);
    try {
      const r = await busy(btn, () => api.setWebhook(app.appID, url));
      current = { ...current, webhookUrl: r.url };
      hookUrl.value = r.url ?? '';
      hookState();
      replace(
        hookMsg,
        r.url && r.secret
          ? secretOnce('Webhook saved', [['Signing secret', r.secret]], 'Each delivery is signed with this secret. Copy it now: it is shown only this once.')
          : okBox('Webhook removed: no more deliveries.'),
      );
    } catch (err) {
      replace(hookMsg, errorBox(err));
    }
  };
  hookRemove.addEventListener('click', () => void setHook(null, hookRemove));
  const hookForm = h(
    'form.stack-form',
    { novalidate: true, 'data-testid': 'webhook-form' },
    h('label.field', { for: 'set-webhook' }, h('span', 'URL called with the summary of each closed conference'), hookUrl),
    hookMsg,
    h('div.btn-row', hookSubmit, hookRemove),
  );
  hookForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const url = hookUrl.value.trim();
    if (!url) return replace(hookMsg, errorBox(new Error('Enter a URL, or use Remove.')));
    void setHook(url, hookSubmit);
  });
  const deliveryHost = h('div', deliveriesTable(app.appID, deliveries));
  const refresh = h('button.btn.small.ghost', { type: 'button' }, 'Refresh');
  refresh.addEventListener('click', async () => {
    try {
      replace(deliveryHost, deliveriesTable(app.appID, await busy(refresh, () => api.deliveries(app.appID))));
    } catch (err) {
      replace(deliveryHost, errorBox(err));
    }
  });

  replace(
    view,
    pageHead('Settings', { sub: `${app.name} · what clients send and what the server does with it` }),
    card('Data collection', collForm),
    card('Default configuration', cfgForm, { sub: 'Handed to clients so every call starts with the same RTCPeerConnection configuration and media constraints.' }),
    card('Alert thresholds', alertForm, { sub: 'A closing conference that crosses one is marked on its page and in the webhook delivery (its "alerts" list).' }),
    card('Webhook', [hookForm, h('h3', 'Recent deliveries'), deliveryHost], { actions: refresh }),
  );
}
