// One conference: the score and why, a timeline of participants and their connections with
// every event on it, the events themselves (errors with their SDP), per-connection and
// per-stream summaries with charts of each stream's intervals (bad ones shaded), app logs and
// feedback. An ongoing conference refreshes every 5 s while the tab is visible.

import { api, type ConferenceDetail, type Fabric, type FabricSummary, type Participant, type Stream, type StreamSummary, type Submission } from '../api';
import { h, replace, s, type Child } from '../dom';
import { bitrate, clock, dateTime, decodeID, duration, fixed, fullTime, mosGrade, noReasonText, scoreGrade, GRADE_WORD, words } from '../format';
import { CATEGORIES, type Category, categoryOf, describe, logMessage, sdpOf } from '../events';
import { href } from '../routes';
import { renderTimeline } from '../charts/timeline';
import { metricChart, metricsFor, type ChartHandle } from '../charts/series';
import { badge, card, empty, errorBox, json, kv, liveBadge, pageHead, poll, scorePill, setupBadge } from '../ui';
import type { Ctx } from '../main';
import type { Route } from '../routes';

const streamKey = (st: { connectionID: string; ucID: string; ssrc: number | string }) => `${st.connectionID}|${st.ucID}|${st.ssrc}`;

export function span(d: ConferenceDetail): [number, number] {
  const starts = [d.firstSeen, d.summary?.startMs, ...d.participants.map((p) => p.joinedAt), ...d.events.map((e) => e.timestamp), ...d.streams.flatMap((st) => st.intervals.map((i) => i.startMs))];
  const ends = [d.lastSeen, d.summary?.endMs, ...d.events.map((e) => e.timestamp), ...d.streams.flatMap((st) => st.intervals.map((i) => i.endMs))];
  const ok = (v: number | undefined | null): v is number => typeof v === 'number' && Number.isFinite(v);
  const t0 = Math.min(...starts.filter(ok));
  const t1 = Math.max(...ends.filter(ok));
  return [t0, Math.max(t1, t0 + 1000)];
}

function streamSummary(d: ConferenceDetail, st: Stream): { fabric: FabricSummary | undefined; stream: StreamSummary | undefined } {
  const fabric = d.summary?.fabrics?.find((f) => f.connectionID === st.connectionID && f.ucID === st.ucID);
  return { fabric, stream: fabric?.streams.find((x) => String(x.ssrc) === String(st.ssrc)) };
}

function streamName(st: { kind: string; direction: string }): string {
  return `${st.direction === 'outbound' ? 'Sent' : 'Received'} ${st.kind}`;
}

/** A thin strip of the stream's interval labels across the conference's time. */
function qualityStrip(st: Stream, t0: number, t1: number): SVGElement {
  const W = 160;
  const svg = s('svg', { class: 'qstrip', viewBox: `0 0 ${W} 10`, preserveAspectRatio: 'none', width: W, height: 10, role: 'img', 'aria-label': 'quality over time' });
  svg.appendChild(s('rect', { x: 0, y: 0, width: W, height: 10, class: 'qs-bg' }));
  const x = (t: number) => ((t - t0) / (t1 - t0)) * W;
  for (const i of st.intervals) {
    const g = i.label === 'excellent' ? 'good' : i.label === 'fair' ? 'fair' : i.label === 'bad' ? 'bad' : 'none';
    svg.appendChild(s('rect', { x: x(i.startMs), y: 0, width: Math.max(1, x(i.endMs) - x(i.startMs)), height: 10, class: `qs g-${g}` }));
  }
  return svg;
}

function labelShares(sh: Record<string, number> | undefined): HTMLElement | null {
  if (!sh) return null;
  const parts = [
    ['excellent', 'good'],
    ['fair', 'fair'],
    ['bad', 'bad'],
  ] as const;
  return h(
    'span.shares',
    { title: parts.map(([k]) => `${k} ${Math.round((sh[k] ?? 0) * 100)} %`).join(', ') },
    parts.map(([k, g]) => ((sh[k] ?? 0) > 0 ? h(`span.g-${g}`, { style: { flexGrow: String(sh[k]) } }) : null)),
  );
}

function eventDetails(ev: Submission, d: ConferenceDetail, t0: number): HTMLElement {
  const cat = categoryOf(ev.eventType);
  const parts: Child[] = [];
  if (cat === 'error' || cat === 'failure') {
    const { message, stack, level } = logMessage(ev.body);
    if (message) parts.push(h('div.err-msg', level ? badge(level, level === 'error' || level === 'fatal' ? 'bad' : 'none') : null, ' ', message));
    if (stack) parts.push(h('pre.code.stack', stack));
  }
  let sdp = sdpOf(ev.body);
  let sdpNote: Child = null;
  if (!sdp.local && !sdp.remote && (cat === 'error' || cat === 'failure') && ev.connectionID) {
    // The SDP the client last sent for this connection, when the error has none of its own.
    const prior = d.events
      .filter((e) => e.eventType === 'sdpSubmissionEvent' && e.connectionID === ev.connectionID && e.ucID === ev.ucID)
      .sort((a, b) => Math.abs(a.timestamp - ev.timestamp) - Math.abs(b.timestamp - ev.timestamp))[0];
    if (prior) {
      sdp = sdpOf(prior.body);
      sdpNote = h('p.muted.small', `From the SDP submitted for this connection at ${clock(prior.timestamp - t0)}.`);
    }
  }
  if (sdp.local || sdp.remote) {
    parts.push(
      h(
        'div.sdp',
        { 'data-testid': 'sdp' },
        sdpNote,
        sdp.local ? h('details.sdp-block', h('summary', `Local SDP (${sdp.local.split(/\r?\n/).filter(Boolean).length} lines)`), h('pre.code', sdp.local)) : null,
        sdp.remote ? h('details.sdp-block', h('summary', `Remote SDP (${sdp.remote.split(/\r?\n/).filter(Boolean).length} lines)`), h('pre.code', sdp.remote)) : null,
      ),
    );
  }
  parts.push(
    kv([
      ['Time', `${fullTime(ev.timestamp)} (${clock(ev.timestamp - t0)} into the call)`],
      ['Received', fullTime(ev.receivedAt)],
      ['From', decodeID(ev.userID) || '—'],
      ['To', decodeID(ev.remoteID) || '—'],
      ['Connection', ev.connectionID ? h('code', ev.connectionID) : '—'],
      ['Size', `${ev.sizeBytes.toLocaleString('en-US')} bytes${ev.truncated ? ' (truncated by the server)' : ''}`],
    ]),
  );
  parts.push(h('details.raw', h('summary', 'Body as received'), h('pre.code', json(ev.body))));
  return h('div.ev-details', parts);
}

export async function renderConference(view: HTMLElement, r: Route, ctx: Ctx): Promise<() => void> {
  const app = ctx.app!;
  const confID = r.confID!;
  let d = await api.conference(app.appID, confID);

  // State kept across live refreshes.
  const visible = new Set<Category>((Object.keys(CATEGORIES) as Category[]).filter((c) => CATEGORIES[c].visible));
  let selected: number | null = null;
  const openStreams = new Set<string>();
  // Connections whose stream table is shown; the others show one line (decided once, then the
  // user's clicks rule).
  const openFabrics = new Set<string>();
  let fabricsDecided = false;
  let charts: ChartHandle[] = [];
  let timelineEl: HTMLElement | null = null;

  // Open the worst stream's charts to start with.
  const ranked = [...d.streams].sort((a, b) => {
    const sa = streamSummary(d, a).stream?.score ?? 5 - a.intervals.filter((i) => i.label === 'bad').length;
    const sb = streamSummary(d, b).stream?.score ?? 5 - b.intervals.filter((i) => i.label === 'bad').length;
    return sa - sb;
  });
  if (ranked[0]) openStreams.add(streamKey(ranked[0]));

  const head = h('div');
  const summaryHost = h('div');
  const timelineHost = h('div');
  const legendHost = h('div.legend');
  const eventsHost = h('div');
  const streamsHost = h('div');
  const peopleHost = h('div');
  const logsHost = h('div');
  const feedbackHost = h('div');
  const msg = h('div');

  const destroyCharts = () => {
    charts.forEach((c) => c.destroy());
    charts = [];
  };

  const drawHead = () => {
    const [t0, t1] = span(d);
    replace(
      head,
      pageHead(h('span.conf-title', { 'data-testid': 'conf-id' }, d.confID), {
        crumbs: [h('a', { href: href.conferences(app.appID) }, 'Conferences'), ' / '],
        sub: [dateTime(t0, true), ' · ', duration(t1 - t0), ' · ', `${d.participants.length} participant${d.participants.length === 1 ? '' : 's'}`, ' · ', `${d.fabrics.length} connection${d.fabrics.length === 1 ? '' : 's'}`],
        actions: d.status === 'ongoing' ? liveBadge() : badge('Closed', 'none', `summarised ${fullTime(d.closedAt)}`),
      }),
    );
  };

  const drawSummary = () => {
    const sm = d.summary;
    if (!sm) {
      replace(summaryHost, card('Summary', empty('No summary yet.')));
      return;
    }
    const g = scoreGrade(sm.score);
    const fb = sm.feedback ?? [];
    const reasons = sm.reasons ?? [];
    const st = sm.fabricSetupTimes;
    const alerts = sm.alerts ?? [];
    replace(
      summaryHost,
      alerts.length
        ? h(
            'div.alert.error.conf-alerts',
            { 'data-testid': 'alerts' },
            h('strong', `Crossed ${alerts.length === 1 ? 'an alert threshold' : `${alerts.length} alert thresholds`}: `),
            alerts.map((a, i) => h('span.alert-item', { 'data-kind': a.kind }, (i ? ' · ' : '') + a.text)),
          )
        : null,
      card(
        null,
        h(
          'div.summary',
          h(
            'div.summary-score',
            scorePill(sm.score, true),
            h(`div.grade-word.g-${g}`, { 'data-testid': 'summary-grade' }, GRADE_WORD[g]),
            h('div.muted.small', d.status === 'ongoing' ? 'provisional: the call is ongoing' : 'score out of 5'),
          ),
          h(
            'div.summary-facts',
            kv([
              ['Setup', h('span', setupBadge(sm.setupStatus), sm.fabricSetupErrors?.length ? h('span.muted', ` · ${sm.fabricSetupErrors.length} setup error${sm.fabricSetupErrors.length === 1 ? '' : 's'}`) : null)],
              ['Setup time', st && st.count ? `${duration(st.median)} median · ${duration(st.max)} slowest (${st.count})` : '—'],
              ['Audio MOS', h(`span.mos.g-${mosGrade(sm.avgMos)}`, fixed(sm.avgMos, 2))],
              ['Users', `${sm.userCount}`],
              ['Ended', sm.closeReason ? words(sm.closeReason) : d.status === 'ongoing' ? 'still going' : '—'],
              ['Dropped', sm.dropped ? badge('yes', 'bad') : 'no'],
              ['Relayed (TURN)', sm.relayed === null ? '—' : sm.relayed ? 'yes' : 'no'],
              ['Feedback', fb.length ? `${fixed(fb.reduce((a, b) => a + b, 0) / fb.length, 1)} / 5 from ${fb.length}` : '—'],
            ]),
          ),
          h(
            'div.summary-why',
            h('h3', reasons.length ? 'Why this score' : noReasonText(sm.setupStatus, sm.score)[0]),
            reasons.length
              ? h(
                  'ul.reasons',
                  { 'data-testid': 'reasons' },
                  reasons.map((rs) => h('li', h(`span.reason-metric.m-${rs.metric}`, words(rs.metric)), h('span.reason-text', rs.text))),
                )
              : h('p.muted', noReasonText(sm.setupStatus, sm.score)[1]),
          ),
        ),
        { id: 'summary' },
      ),
    );
  };

  const selectEvent = (ev: Submission, scroll = true) => {
    selected = ev.id;
    const cat = categoryOf(ev.eventType);
    if (!visible.has(cat)) visible.add(cat);
    drawTimeline();
    drawEvents();
    const row = eventsHost.querySelector<HTMLDetailsElement>(`details[data-event-id="${ev.id}"]`);
    if (row) {
      row.open = true;
      if (scroll) row.scrollIntoView({ behavior: 'smooth', block: 'center' });
    }
  };

  const drawLegend = () => {
    const counts = new Map<Category, number>();
    for (const e of d.events) counts.set(categoryOf(e.eventType), (counts.get(categoryOf(e.eventType)) ?? 0) + 1);
    replace(
      legendHost,
      (Object.keys(CATEGORIES) as Category[])
        .filter((c) => counts.get(c))
        .map((c) =>
          h(
            `button.legend-chip${visible.has(c) ? '.on' : ''}`,
            {
              type: 'button',
              'aria-pressed': String(visible.has(c)),
              onclick: () => {
                if (visible.has(c)) visible.delete(c);
                else visible.add(c);
                drawLegend();
                drawTimeline();
                drawEvents();
              },
            },
            h(`span.dot.c-${c}`),
            CATEGORIES[c].label,
            h('small', ` ${counts.get(c)}`),
          ),
        ),
      h(
        'span.legend-key',
        h('span.key-bar.tl-presence'),
        'in call',
        h('span.key-bar.tl-setting'),
        'setting up',
        h('span.key-bar.g-good'),
        'good',
        h('span.key-bar.g-fair'),
        'fair',
        h('span.key-bar.g-bad'),
        'bad',
        h('span.key-bar.tl-failed'),
        'failed',
      ),
    );
  };

  const drawTimeline = () => {
    const [t0, t1] = span(d);
    (timelineEl as (HTMLElement & { destroy?: () => void }) | null)?.destroy?.();
    timelineEl = renderTimeline(d, { t0, t1, visible, selected, onSelect: (ev) => selectEvent(ev) });
    replace(timelineHost, timelineEl);
  };

  const drawEvents = () => {
    const [t0] = span(d);
    const list = [...d.events].filter((e) => visible.has(categoryOf(e.eventType))).sort((a, b) => a.timestamp - b.timestamp || a.id - b.id);
    const hidden = d.events.length - list.length;
    replace(
      eventsHost,
      list.length
        ? h(
            'div.ev-list',
            { 'data-testid': 'events' },
            list.map((ev) => {
              const cat = categoryOf(ev.eventType);
              const row = h(
                `details.ev-row.c-${cat}${selected === ev.id ? '.sel' : ''}`,
                { 'data-event-id': ev.id, 'data-event-type': ev.eventType },
                h(
                  'summary',
                  h('span.ev-time', { title: fullTime(ev.timestamp) }, clock(ev.timestamp - t0)),
                  h(`span.dot.c-${cat}`),
                  h('span.ev-type', ev.eventType),
                  h('span.ev-who', decodeID(ev.userID), ev.remoteID && ev.remoteID !== ev.userID && ev.eventType !== 'userFeedbackEvent' ? h('span.muted', ` → ${decodeID(ev.remoteID)}`) : null),
                  h('span.ev-desc', describe(ev.eventType, ev.body)),
                  ev.truncated ? badge('truncated', 'poor', 'The server shortened this oversize body') : null,
                ),
              );
              let filled = false;
              row.addEventListener('toggle', () => {
                if (row.open && !filled) {
                  filled = true;
                  row.appendChild(eventDetails(ev, d, t0));
                }
                if (row.open && selected !== ev.id) {
                  selected = ev.id;
                  drawTimeline();
                }
              });
              return row;
            }),
          )
        : empty('No event in the chosen categories.'),
      hidden ? h('p.muted.small', `${hidden} event${hidden === 1 ? '' : 's'} of hidden categories not listed; switch them on above.`) : null,
    );
  };

  const drawStreams = () => {
    destroyCharts();
    const [t0, t1] = span(d);
    const userOf = (uc: string) => decodeID(d.participants.find((p) => p.ucID === uc)?.userID) || uc;
    if (!d.fabrics.length && !d.streams.length) {
      replace(streamsHost, card('Connections & streams', empty('No connection was reported.')));
      return;
    }
    const groups: { f: Fabric | undefined; fs: FabricSummary | undefined; streams: Stream[]; key: string }[] = [];
    for (const f of d.fabrics) {
      groups.push({
        f,
        fs: d.summary?.fabrics?.find((x) => x.connectionID === f.connectionID && x.ucID === f.ucID),
        streams: d.streams.filter((st) => st.connectionID === f.connectionID && st.ucID === f.ucID),
        key: `${f.connectionID}|${f.ucID}`,
      });
    }
    // Streams of connections the fabric list does not know (no fabric events yet).
    for (const st of d.streams) {
      const k = `${st.connectionID}|${st.ucID}`;
      let g = groups.find((x) => x.key === k);
      if (!g) {
        g = { f: undefined, fs: undefined, streams: [], key: k };
        groups.push(g);
      }
      if (!g.streams.includes(st)) g.streams.push(st);
    }
    if (!fabricsDecided) {
      fabricsDecided = true;
      for (const g of groups) {
        const troubled = (g.fs?.reasons?.length ?? 0) > 0 || g.f?.state === 'failed' || g.f?.state === 'dropped';
        if (troubled || groups.length <= 2 || g.streams.some((st) => openStreams.has(streamKey(st)))) openFabrics.add(g.key);
      }
    }
    const blocks = groups.map(({ f, fs, streams, key }) => {
      const [conn, uc] = key.split('|') as [string, string];
      const expanded = openFabrics.has(key);
      const user = userOf(uc);
      const remote = decodeID(f?.remoteUserID ?? fs?.remoteUserID) || '?';
      const stateGrade = f?.state === 'failed' || f?.state === 'dropped' ? 'bad' : f?.state === 'terminated' || f?.state === 'established' ? 'good' : 'none';
      const facts: Child[] = [
        f ? badge(f.state, stateGrade) : null,
        f?.setupDelayMs !== null && f?.setupDelayMs !== undefined ? h('span', `set up in ${duration(f.setupDelayMs)}`) : null,
        f?.failureReason ? h('span.bad-text', `${words(f.failureReason)}${f.failureFunction ? ` in ${f.failureFunction}()` : ''}`) : null,
        f?.relayed ? h('span', 'relayed (TURN)') : null,
        fs && fs.holdMs ? h('span', `on hold ${duration(fs.holdMs)}`) : null,
        fs && fs.disruptions ? h('span.bad-text', `${fs.disruptions} disruption${fs.disruptions === 1 ? '' : 's'} (${duration(fs.disruptedMs)})`) : null,
        f?.transportSwitches ? h('span', `${f.transportSwitches} transport switch${f.transportSwitches === 1 ? '' : 'es'}`) : null,
      ].filter(Boolean);
      const rows: HTMLElement[] = [];
      for (const st of [...streams].sort((a, b) => a.direction.localeCompare(b.direction) || a.kind.localeCompare(b.kind))) {
        const sum = streamSummary(d, st).stream;
        const k = streamKey(st);
        const open = openStreams.has(k);
        const bad = st.intervals.filter((i) => i.label === 'bad').length;
        const tr = h(
          `tr.clickable.stream-row${open ? '.open' : ''}`,
          {
            'data-stream': k,
            'aria-expanded': String(open),
            onclick: () => {
              if (openStreams.has(k)) openStreams.delete(k);
              else openStreams.add(k);
              drawStreams();
            },
          },
          h('td', h('span.chev', open ? '▾' : '▸'), ' ', h(`span.dir.${st.direction}`, st.direction === 'outbound' ? '↑' : '↓'), ' ', streamName(st)),
          h('td', st.codec ?? '—', h('div.muted.small', `ssrc ${st.ssrc}`)),
          h('td', qualityStrip(st, t0, t1), bad ? h('div.bad-text.small', `${bad} bad interval${bad === 1 ? '' : 's'}`) : h('div.muted.small', `${st.intervals.length} interval${st.intervals.length === 1 ? '' : 's'}`)),
          h('td.num', bitrate(sum?.avgBitrateKbps)),
          h('td.num', sum?.avgLossPct === null || sum?.avgLossPct === undefined ? '—' : `${fixed(sum.avgLossPct, 1)} %`),
          h('td.num', sum?.avgJitterMs === null || sum?.avgJitterMs === undefined ? '—' : `${fixed(sum.avgJitterMs, 0)} ms`),
          h('td.num', sum?.avgRttMs === null || sum?.avgRttMs === undefined ? '—' : `${fixed(sum.avgRttMs, 0)} ms`),
          h('td.num', st.kind === 'audio' ? h(`span.mos.g-${mosGrade(sum?.avgMos)}`, fixed(sum?.avgMos, 2)) : sum?.avgFps ? `${fixed(sum.avgFps, 0)} fps` : '—'),
          h('td', labelShares(sum?.labelShares)),
          h('td.num', scorePill(sum?.score)),
        );
        rows.push(tr);
        if (sum?.reasons?.length) rows.push(h('tr.stream-reasons', h('td', { colspan: 10 }, sum.reasons.map((rs) => h('span.reason-inline', rs.text)))));
        if (open) {
          const ms = metricsFor(st.kind, st.intervals);
          const grid = h('div.chart-grid', { 'data-testid': 'stream-charts' });
          for (const m of ms) {
            const c = metricChart(m, st.intervals, t0, t1, `s-${k}`);
            charts.push(c);
            grid.appendChild(c.el);
          }
          rows.push(
            h(
              'tr.stream-charts',
              h(
                'td',
                { colspan: 10 },
                ms.length ? grid : empty('No interval yet: a stream needs two stats submissions.'),
                bad ? h('p.muted.small', h('span.key-bar.bad-band'), ' shaded: intervals labelled bad') : null,
              ),
            ),
          );
        }
      }
      return h(
        'div.fabric-block',
        { 'data-connection': conn },
        h(
          `div.fabric-head${streams.length ? '.clickable' : ''}`,
          {
            'aria-expanded': String(expanded),
            onclick: () => {
              if (!streams.length) return;
              if (expanded) openFabrics.delete(key);
              else openFabrics.add(key);
              drawStreams();
            },
          },
          h('div', streams.length ? h('span.chev', expanded ? '▾ ' : '▸ ') : null, h('strong', user), h('span.muted', ' → '), h('strong', remote), h('span.muted.small', ` · connection ${conn}`)),
          h('div.fabric-facts', facts),
          h('div.fabric-score', fs ? scorePill(fs.score) : null),
        ),
        fs?.reasons?.length ? h('ul.reasons.small', fs.reasons.map((rs) => h('li', h(`span.reason-metric.m-${rs.metric}`, words(rs.metric)), h('span.reason-text', rs.text)))) : null,
        !expanded && streams.length
          ? h('div.fabric-collapsed', streams.map((st) => h('span.mini-stream', { title: `${streamName(st)} ${st.codec ?? ''}` }, h(`span.dir.${st.direction}`, st.direction === 'outbound' ? '↑' : '↓'), ` ${st.kind} `, qualityStrip(st, t0, t1))))
          : rows.length
          ? h(
              'table.table.streams',
              h('thead', h('tr', h('th', 'Stream'), h('th', 'Codec'), h('th', 'Quality over time'), h('th.num', 'Bitrate'), h('th.num', 'Loss'), h('th.num', 'Jitter'), h('th.num', 'RTT'), h('th.num', 'MOS / fps'), h('th', 'Labels'), h('th.num', 'Score'))),
              h('tbody', rows),
            )
          : h('p.muted.small', f?.state === 'failed' ? 'Never set up: no media flowed.' : 'No stream statistics for this connection.'),
      );
    });
    replace(
      streamsHost,
      card('Connections & streams', blocks, { sub: 'One block per connection a participant opened; click a stream to see its charts', id: 'streams' }),
    );
  };

  const drawPeople = () => {
    const ps = d.summary?.participants ?? [];
    const row = (p: Participant) => {
      const sm = ps.find((x) => x.ucID === p.ucID);
      return h(
        'tr',
        h('td', h('strong', decodeID(p.userID)), h('div.muted.small', { title: p.deviceID }, `device ${p.deviceID.slice(0, 12)}${p.deviceID.length > 12 ? '…' : ''}`)),
        h('td', [p.browser?.name, p.browser?.version].filter(Boolean).join(' ') || '—'),
        h('td', [p.os?.name, p.os?.version].filter(Boolean).join(' ') || '—', p.country ? h('div.muted.small', { title: 'Country, as the proxy in front reported it' }, p.country) : null),
        h('td', p.sdkVersion ?? '—', p.appVersion ? h('div.muted.small', `app ${p.appVersion}`) : null),
        h('td', { title: fullTime(p.joinedAt) }, dateTime(p.joinedAt, true)),
        h('td.num', scorePill(sm?.score)),
        h('td', sm?.reasons?.length ? h('ul.plain', sm.reasons.slice(0, 4).map((rs) => h('li', rs.text))) : h('span.muted', '—')),
      );
    };
    replace(
      peopleHost,
      card(
        'Participants',
        d.participants.length
          ? h('table.table', { 'data-testid': 'participants' }, h('thead', h('tr', h('th', 'User'), h('th', 'Browser'), h('th', 'OS'), h('th', 'SDK'), h('th', 'Joined'), h('th.num', 'Score'), h('th', 'Problems'))), h('tbody', d.participants.map(row)))
          : empty('No participant.'),
      ),
    );
  };

  const drawLogs = () => {
    const [t0] = span(d);
    const logs = d.events.filter((e) => e.eventType === 'applicationErrorLog').sort((a, b) => a.timestamp - b.timestamp);
    replace(
      logsHost,
      card(
        'App logs',
        logs.length
          ? h(
              'div.logs',
              { 'data-testid': 'app-logs' },
              logs.map((e) => {
                const { message, stack, level } = logMessage(e.body);
                return h(
                  'div.log-row',
                  { 'data-event-id': e.id },
                  h('span.ev-time', { title: fullTime(e.timestamp) }, clock(e.timestamp - t0)),
                  h('span.log-level', level ?? 'log'),
                  h('span.ev-who', decodeID(e.userID)),
                  h(
                    'div.log-body',
                    h('div.log-msg', message || '(empty)'),
                    e.truncated ? badge('truncated', 'poor', 'The server shortened this oversize log') : null,
                    stack ? h('details', h('summary', 'Stack'), h('pre.code.stack', stack)) : null,
                  ),
                );
              }),
            )
          : empty('The app sent no log during this conference (callstats.reportError with applicationLog).'),
        { sub: 'What the app logged through callstats.js' },
      ),
    );
  };

  const drawFeedback = () => {
    const [t0] = span(d);
    if (!d.feedback.length) {
      replace(feedbackHost);
      return;
    }
    replace(
      feedbackHost,
      card(
        'Feedback',
        h(
          'div.feedback-list',
          d.feedback.map((e) => {
            const f = (e.body.feedback ?? {}) as Record<string, unknown>;
            const stars = (v: unknown) => (typeof v === 'number' ? h('span.stars', '★'.repeat(v), h('span.stars-off', '★'.repeat(Math.max(0, 5 - v)))) : '—');
            return h(
              'div.feedback-item',
              h('div', h('strong', decodeID(e.userID)), h('span.muted', ` at ${clock(e.timestamp - t0)}`)),
              h('div.fb-ratings', h('span', 'Overall ', stars(f.overallRating)), f.audioQualityRating !== undefined ? h('span', 'Audio ', stars(f.audioQualityRating)) : null, f.videoQualityRating !== undefined ? h('span', 'Video ', stars(f.videoQualityRating)) : null),
              typeof f.comments === 'string' && f.comments ? h('blockquote', f.comments) : null,
            );
          }),
        ),
      ),
    );
  };

  const drawAll = () => {
    drawHead();
    drawSummary();
    drawLegend();
    drawTimeline();
    drawEvents();
    drawStreams();
    drawPeople();
    drawLogs();
    drawFeedback();
  };

  replace(
    view,
    head,
    msg,
    summaryHost,
    card('Timeline', [legendHost, timelineHost], { sub: 'Participants and the connections they opened, with every event at its time; hover for details, click to open it below', id: 'timeline' }),
    streamsHost,
    h('div.grid2.wide-left', card('Events', eventsHost, { id: 'events', sub: 'In time order; open one for its body, errors with their SDP' }), h('div', logsHost, feedbackHost)),
    peopleHost,
  );
  drawAll();
  document.title = `${d.confID} · callstats`;

  if (d.status !== 'ongoing') {
    return () => {
      destroyCharts();
      (timelineEl as (HTMLElement & { destroy?: () => void }) | null)?.destroy?.();
      document.title = 'callstats';
    };
  }
  let lastSig = `${d.lastSeen}|${d.events.length}|${d.status}`;
  const stop = poll(
    async () => {
      try {
        const next = await api.conference(app.appID, confID);
        replace(msg);
        const sig = `${next.lastSeen}|${next.events.length}|${next.status}`;
        if (sig === lastSig) return;
        lastSig = sig;
        d = next;
        const y = window.scrollY;
        drawAll();
        window.scrollTo(0, y);
        if (d.status !== 'ongoing') stop();
      } catch (err) {
        replace(msg, errorBox(err));
      }
    },
    5000,
    false,
  );
  return () => {
    stop();
    destroyCharts();
    (timelineEl as (HTMLElement & { destroy?: () => void }) | null)?.destroy?.();
    document.title = 'callstats';
  };
}

