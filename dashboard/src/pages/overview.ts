// Overview: how calls went in a time range, at a glance. Outcomes, setup delay, failure
// reasons, score and MOS distributions, user feedback, browsers and operating systems, and the
// worst calls of the range to open straight away.

import { api, type Aggregates, type Conference } from '../api';
import { h, replace } from '../dom';
import { dateTime, duration, fixed, mosGrade, pct, scoreGrade, words, type Grade } from '../format';
import { href, rangeMs, RANGES } from '../routes';
import { barList, histogram, stackedBar } from '../charts/bars';
import { card, empty, pageHead, scorePill, setupBadge, stat } from '../ui';
import type { Ctx } from '../main';
import type { Route } from '../routes';

function feedbackGrade(stars: number): Grade {
  return stars >= 4 ? 'good' : stars >= 3 ? 'fair' : stars >= 2 ? 'poor' : 'bad';
}

function delayGrade(ms: number | null): Grade {
  if (ms === null) return 'none';
  return ms <= 1000 ? 'good' : ms <= 3000 ? 'fair' : ms <= 6000 ? 'poor' : 'bad';
}

export async function renderOverview(view: HTMLElement, r: Route, ctx: Ctx): Promise<void> {
  const app = ctx.app!;
  const rangeKey = RANGES.some((x) => x.key === r.query.range) && r.query.range !== '1h' ? r.query.range! : '7d';
  const filter = { browser: r.query.browser ?? '', os: r.query.os ?? '', country: r.query.country ?? '', minUsers: r.query.minUsers ?? '', maxUsers: r.query.maxUsers ?? '' };
  const to = Date.now();
  const from = to - rangeMs(rangeKey)!;
  const query = { from, to, ...filter };

  const [agg, worst, all] = await Promise.all([
    api.aggregates(app.appID, query),
    api.conferences(app.appID, { from, to, maxScore: 3, browser: filter.browser, limit: 200 }).catch(() => [] as Conference[]),
    // Browser, OS and country choices stay those of the whole range, whatever is filtered.
    filter.browser || filter.os || filter.country || filter.minUsers || filter.maxUsers ? api.aggregates(app.appID, { from, to }).catch(() => null) : Promise.resolve(null),
  ]);
  const names = all ?? agg;
  const go = (patch: Record<string, string>) => {
    location.hash = href.overview(app.appID, { range: rangeKey, ...filter, ...patch });
  };

  // ---- Controls
  const rangeButtons = h(
    'div.segmented',
    { role: 'group', 'aria-label': 'Time range' },
    RANGES.filter((x) => x.key !== '1h').map((x) => h(`button${x.key === rangeKey ? '.on' : ''}`, { type: 'button', 'data-range': x.key, onclick: () => go({ range: x.key }) }, x.label)),
  );
  const select = (name: 'browser' | 'os' | 'country', label: string, anyLabel: string, values: string[]) =>
    h(
      'select',
      { 'aria-label': label, id: `o-${name}`, onchange: (e: Event) => go({ [name]: (e.target as HTMLSelectElement).value }) },
      h('option', { value: '' }, anyLabel),
      [...new Set([...values, filter[name]].filter(Boolean))].sort().map((v) => h('option', { value: v, selected: filter[name] === v }, v)),
    );
  const users = (name: 'minUsers' | 'maxUsers', ph: string) =>
    h('input.narrow', { type: 'number', min: 1, step: 1, placeholder: ph, value: filter[name], 'aria-label': ph, onchange: (e: Event) => go({ [name]: (e.target as HTMLInputElement).value }) });
  const controls = h(
    'div.controls',
    rangeButtons,
    select('browser', 'Browser', 'Any browser', Object.keys(names.browsers)),
    select('os', 'OS', 'Any OS', Object.keys(names.oses)),
    // Countries are known only behind a proxy that reports them (serve --country-header).
    Object.keys(names.countries).length || filter.country ? select('country', 'Country', 'Any country', Object.keys(names.countries)) : null,
    h('div.pair', h('span.muted', 'Users'), users('minUsers', 'min'), h('span.muted', 'to'), users('maxUsers', 'max')),
  );

  const confLink = (extra: Record<string, string | number> = {}) => href.conferences(app.appID, { range: rangeKey === '24h' || rangeKey === '7d' || rangeKey === '30d' ? rangeKey : '', browser: filter.browser, ...extra });

  replace(
    view,
    pageHead('Overview', { sub: `${app.name} · closed conferences that started in the ${RANGES.find((x) => x.key === rangeKey)!.label.toLowerCase()} (${dateTime(from)} – ${dateTime(to)})`, actions: controls }),
    agg.total ? body(agg, worst, confLink, app.appID) : card(null, empty(['No closed conference started in this range. ', h('a', { href: href.integration(app.appID) }, 'Check the integration'), ' or pick a longer range.'])),
  );
}

function body(a: Aggregates, worst: Conference[], confLink: (extra?: Record<string, string | number>) => string, appID: number): HTMLElement {
  const scored = a.scoreHistogram.counts.reduce((x, y) => x + y, 0);
  // Average score and share of good calls from the histogram's bins.
  const good = a.scoreHistogram.counts.reduce((acc, c, i) => acc + ((a.scoreHistogram.edges[i] ?? 0) >= 4 ? c : 0), 0);
  const fbTotal = Object.values(a.feedback).reduce((x, y) => x + y, 0);
  const fbAvg = fbTotal ? Object.entries(a.feedback).reduce((acc, [k, v]) => acc + Number(k) * v, 0) / fbTotal : null;
  const setupOk = a.total ? a.ok / a.total : 0;

  const headline = h(
    'div.stats-row',
    stat('Conferences', a.total.toLocaleString('en-US'), { testid: 'total', href: confLink(), sub: 'closed, in range' }),
    stat('Set up everywhere', pct(a.ok, a.total, 1), { grade: setupOk >= 0.98 ? 'good' : setupOk >= 0.9 ? 'fair' : 'bad', sub: `${a.ok.toLocaleString('en-US')} all connected`, testid: 'ok-share' }),
    stat('Good quality', scored ? pct(good, scored, 0) : '—', { grade: scored ? (good / scored >= 0.8 ? 'good' : good / scored >= 0.6 ? 'fair' : 'poor') : 'none', sub: 'score 4 or more', href: confLink({ minScore: 4 }) }),
    stat('Setup delay (median)', a.setupDelayMs.p50 === null ? '—' : duration(a.setupDelayMs.p50), { grade: delayGrade(a.setupDelayMs.p50), sub: `p90 ${duration(a.setupDelayMs.p90)} · p99 ${duration(a.setupDelayMs.p99)}`, testid: 'p50' }),
    stat('User rating', fbAvg === null ? '—' : `${fixed(fbAvg, 1)} / 5`, { grade: fbAvg === null ? 'none' : feedbackGrade(fbAvg), sub: `${fbTotal.toLocaleString('en-US')} ratings` }),
  );

  const outcomes = card(
    'Outcomes',
    [
      stackedBar(
        [
          { key: 'ok', label: 'All connected', value: a.ok, grade: 'good', href: confLink({ status: 'ok' }) },
          { key: 'partiallyFailed', label: 'Partly failed', value: a.partiallyFailed, grade: 'poor', href: confLink({ status: 'partiallyFailed' }) },
          { key: 'failed', label: 'Failed', value: a.failed, grade: 'bad', href: confLink({ status: 'failed' }) },
          { key: 'noFabrics', label: 'No connections', value: a.noFabrics, grade: 'none', href: confLink({ status: 'noFabrics' }) },
        ],
        a.total,
      ),
      h(
        'div.mini-stats',
        h('span', h('strong', { 'data-testid': 'dropped' }, String(a.dropped)), ` dropped (${pct(a.dropped, a.total)})`),
        h('span', h('strong', String(a.relayed)), ` relayed through TURN (${pct(a.relayed, a.total)})`),
      ),
    ],
    { sub: 'How many conferences set up every connection' },
  );

  const setup = card(
    'Setup delay',
    h(
      'div.percentiles',
      (['p50', 'p90', 'p99'] as const).map((k) => {
        const v = a.setupDelayMs[k];
        const max = Math.max(1, a.setupDelayMs.p99 ?? 1);
        return h(
          'div.pct-row',
          h('span.pct-key', k === 'p50' ? 'median' : k),
          h('span.bl-track', h(`span.bl-fill.g-${delayGrade(v)}`, { style: { width: `${v === null ? 0 : (100 * v) / max}%` } })),
          h('span.pct-val', { 'data-testid': `setup-${k}` }, duration(v)),
        );
      }),
    ),
    { sub: 'Time from starting a connection to media flowing' },
  );

  const failures = card(
    'Failure reasons',
    barList(
      Object.entries(a.failureReasons).map(([k, v]) => ({ label: words(k), value: v, grade: 'bad' as const, title: k })),
      { testid: 'failure-reasons', emptyText: 'No connection failed in this range.' },
    ),
    { sub: 'Connections that failed to set up, by reason' },
  );

  const scoreHist = card(
    'Call scores',
    histogram(a.scoreHistogram, {
      grade: (lo) => scoreGrade(lo + 0.5),
      label: (lo, hi) => `${lo}–${hi}`,
      href: (lo, hi) => confLink({ minScore: lo, maxScore: hi }),
      testid: 'score-histogram',
    }),
    { sub: '0 (unusable) to 5 (perfect); click a bar to list those calls' },
  );

  const mosHist = card(
    'Audio quality (MOS)',
    histogram(a.mosHistogram, { grade: (lo, hi) => mosGrade((lo + hi) / 2), label: (lo, hi) => `${lo}–${hi}`, testid: 'mos-histogram' }),
    { sub: 'Mean opinion score of each conference’s audio, estimated from loss, jitter and delay' },
  );

  const fb = card(
    'User feedback',
    barList(
      [5, 4, 3, 2, 1].map((st) => ({ label: h('span.stars', { 'aria-label': `${st} stars` }, '★'.repeat(st), h('span.stars-off', '★'.repeat(5 - st))), value: a.feedback[String(st)] ?? 0, grade: feedbackGrade(st) })),
      { keepOrder: true, testid: 'feedback', emptyText: 'No ratings.' },
    ),
    { sub: 'Overall ratings users gave their calls' },
  );

  const browsers = card(
    'Browsers',
    barList(
      Object.entries(a.browsers).map(([k, v]) => ({ label: k, value: v, href: confLink({ browser: k }) })),
      { testid: 'browsers', total: Object.values(a.browsers).reduce((x, y) => x + y, 0) },
    ),
    { sub: 'Participants by browser' },
  );
  const oses = card('Operating systems', barList(Object.entries(a.oses).map(([k, v]) => ({ label: k, value: v })), { testid: 'oses' }), { sub: 'Participants by OS' });
  const countries = Object.keys(a.countries).length
    ? card('Countries', barList(Object.entries(a.countries).map(([k, v]) => ({ label: k, value: v })), { testid: 'countries' }), { sub: 'Conferences by participant country' })
    : null;

  const worstSorted = [...worst].filter((c) => c.score !== null).sort((x, y) => (x.score ?? 5) - (y.score ?? 5)).slice(0, 8);
  const worstCard = card(
    'Worst calls',
    worstSorted.length
      ? h(
          'table.table.compact',
          { 'data-testid': 'worst' },
          h('tbody', worstSorted.map((c) => h('tr.clickable', { onclick: (e: MouseEvent) => !(e.target as Element).closest('a') && (location.hash = href.conference(appID, c.confID)) }, h('td', scorePill(c.score)), h('td.conf-id', h('a', { href: href.conference(appID, c.confID) }, c.confID)), h('td', setupBadge(c.setupStatus)), h('td.muted', dateTime(c.firstSeen))))),
        )
      : empty('No call scored below 3. 🎉'),
    { sub: 'Lowest scores in this range', actions: h('a.btn.small', { href: confLink({ maxScore: 3, sort: 'score', dir: 'asc' }) }, 'All poor calls →') },
  );

  return h('div.overview', headline, h('div.grid2', outcomes, setup), h('div.grid2', scoreHist, worstCard), h('div.grid3', mosHist, failures, fb), countries ? h('div.grid3', browsers, oses, countries) : h('div.grid2', browsers, oses));
}

