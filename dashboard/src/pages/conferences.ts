// Conferences: search by conference ID or user ID, filter by time, outcome, score and browser,
// sort, and open one. The filters live in the address (shareable links); the list refreshes
// every 5 s while the tab is visible, so ongoing conferences update live.

import { api, type Conference } from '../api';
import { h, replace } from '../dom';
import { dateTime, duration, fixed, fullTime, mosGrade } from '../format';
import { href, rangeMs, RANGES } from '../routes';
import { card, errorBox, liveBadge, pageHead, poll, scorePill, setupBadge, empty } from '../ui';
import type { Ctx } from '../main';
import type { Route } from '../routes';

const STATUSES: [string, string][] = [
  ['', 'Any outcome'],
  ['ongoing', 'Ongoing'],
  ['closed', 'Closed'],
  ['ok', 'All connected'],
  ['partiallyFailed', 'Partly failed'],
  ['failed', 'Failed'],
  ['noFabrics', 'No connections'],
];

type SortKey = 'lastSeen' | 'firstSeen' | 'duration' | 'users' | 'score' | 'mos';

/** A datetime-local value ("2026-11-24T08:30") for an epoch ms, in local time. */
function toLocalInput(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '';
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

export async function renderConferences(view: HTMLElement, r: Route, ctx: Ctx): Promise<() => void> {
  const app = ctx.app!;
  const q = { ...r.query };
  let sort: SortKey = (q.sort as SortKey) || 'lastSeen';
  let asc = q.dir === 'asc';

  const input = (name: string, attrs: Record<string, unknown>) => h('input', { name, value: q[name] ?? '', id: `f-${name}`, ...attrs });
  const search = input('q', { type: 'search', placeholder: 'Conference ID contains…', autocomplete: 'off', class: 'search' });
  const user = input('user', { type: 'search', placeholder: 'exact user ID, e.g. alice@example.com', autocomplete: 'off' });
  const status = h('select', { name: 'status', id: 'f-status' }, STATUSES.map(([v, l]) => h('option', { value: v, selected: (q.status ?? '') === v }, l)));
  const minScore = input('minScore', { type: 'number', min: 0, max: 5, step: 0.5, placeholder: '0', class: 'narrow' });
  const maxScore = input('maxScore', { type: 'number', min: 0, max: 5, step: 0.5, placeholder: '5', class: 'narrow' });
  const browser = h('select', { name: 'browser', id: 'f-browser' }, h('option', { value: '' }, 'Any browser'));
  const range = h(
    'select',
    { name: 'range', id: 'f-range' },
    h('option', { value: '' }, 'Any time'),
    RANGES.map((rg) => h('option', { value: rg.key, selected: q.range === rg.key }, rg.label)),
    h('option', { value: 'custom', selected: q.range === 'custom' }, 'Between…'),
  );
  const from = h('input', { type: 'datetime-local', name: 'from', id: 'f-from', value: toLocalInput(q.from ? Number(q.from) : null) });
  const to = h('input', { type: 'datetime-local', name: 'to', id: 'f-to', value: toLocalInput(q.to ? Number(q.to) : null) });
  const custom = h('div.custom-range', h('label.field', { for: 'f-from' }, h('span', 'From'), from), h('label.field', { for: 'f-to' }, h('span', 'To'), to));
  custom.hidden = q.range !== 'custom';

  // Browser names come from the aggregates of the last 30 days (the API's own list).
  const browserNames = new Set<string>(q.browser ? [q.browser] : []);
  api
    .aggregates(app.appID, { from: Date.now() - 30 * 86_400_000, to: Date.now() })
    .then((a) => {
      Object.keys(a.browsers).forEach((b) => browserNames.add(b));
      for (const b of [...browserNames].sort()) browser.appendChild(h('option', { value: b, selected: q.browser === b }, b));
    })
    .catch(() => {
      for (const b of browserNames) browser.appendChild(h('option', { value: b, selected: true }, b));
    });

  const count = h('div.result-count', { 'data-testid': 'result-count' });
  const live = h('span.live-note');
  const tableHost = h('div.table-wrap');
  const msg = h('div');
  let rows: Conference[] = [];
  let lastLoaded = 0;
  const PAGE = 100;
  let shown = PAGE;

  const readForm = () => {
    const next: Record<string, string> = {};
    if (search.value.trim()) next.q = search.value.trim();
    if (user.value.trim()) next.user = user.value.trim();
    if (status.value) next.status = status.value;
    if (minScore.value !== '') next.minScore = minScore.value;
    if (maxScore.value !== '') next.maxScore = maxScore.value;
    if (browser.value) next.browser = browser.value;
    if (range.value) next.range = range.value;
    if (range.value === 'custom') {
      if (from.value) next.from = String(new Date(from.value).getTime());
      if (to.value) next.to = String(new Date(to.value).getTime());
    }
    if (sort !== 'lastSeen') next.sort = sort;
    if (asc) next.dir = 'asc';
    return next;
  };

  const apiQuery = (f: Record<string, string>) => {
    const out: Record<string, string | number> = { limit: 500 };
    for (const k of ['q', 'user', 'status', 'minScore', 'maxScore', 'browser']) if (f[k]) out[k] = f[k]!;
    const rm = rangeMs(f.range);
    if (rm) out.from = Date.now() - rm;
    if (f.range === 'custom') {
      if (f.from) out.from = f.from;
      if (f.to) out.to = f.to;
    }
    return out;
  };

  const sortValue = (c: Conference): number => {
    switch (sort) {
      case 'firstSeen':
        return c.firstSeen;
      case 'duration':
        return c.lastSeen - c.firstSeen;
      case 'users':
        return c.participantCount;
      case 'score':
        return c.score ?? -1;
      case 'mos':
        return c.avgMos ?? -1;
      default:
        return c.lastSeen;
    }
  };

  const th = (key: SortKey, label: string, cls = '') =>
    h(
      `th.sortable${cls}${sort === key ? '.sorted' : ''}`,
      {
        'aria-sort': sort === key ? (asc ? 'ascending' : 'descending') : undefined,
        onclick: () => {
          if (sort === key) asc = !asc;
          else {
            sort = key;
            asc = key === 'score' || key === 'mos';
          }
          update(false);
        },
      },
      label,
      sort === key ? h('span.sort-arrow', asc ? ' ▲' : ' ▼') : null,
    );

  const drawTable = () => {
    const list = [...rows].sort((a, b) => (asc ? sortValue(a) - sortValue(b) : sortValue(b) - sortValue(a)));
    const ongoing = rows.filter((c) => c.closedAt === null).length;
    replace(
      count,
      h('strong', { 'data-count': rows.length }, rows.length.toLocaleString('en-US')),
      ` conference${rows.length === 1 ? '' : 's'}`,
      ongoing ? h('span', ' · ', h('strong', String(ongoing)), ' ongoing') : null,
      rows.length >= 500 ? h('span.muted', ' · showing the 500 most recently active; narrow the filters to see others') : null,
    );
    if (!list.length) {
      replace(tableHost, empty('No conference matches these filters.'));
      return;
    }
    const more = list.length - shown;
    replace(
      tableHost,
      h(
        'table.table.conf-table',
        { 'data-testid': 'conference-table' },
        h(
          'thead',
          h('tr', h('th', 'Status'), h('th', 'Conference'), th('firstSeen', 'Started'), th('duration', 'Duration', '.num'), th('users', 'Users', '.num'), th('score', 'Score', '.num'), th('mos', 'Avg MOS', '.num'), th('lastSeen', 'Last activity')),
        ),
        h(
          'tbody',
          list.slice(0, shown).map((c) => {
            const link = href.conference(app.appID, c.confID);
            return h(
              `tr.clickable${c.closedAt === null ? '.ongoing' : ''}`,
              { 'data-conf': c.confID, onclick: (e: MouseEvent) => !(e.target as Element).closest('a') && (location.hash = link) },
              h('td', c.closedAt === null ? liveBadge() : setupBadge(c.setupStatus)),
              h('td.conf-id', h('a', { href: link }, c.confID)),
              h('td', { title: fullTime(c.firstSeen) }, dateTime(c.firstSeen)),
              h('td.num', c.closedAt === null ? h('span', { title: 'so far' }, duration(Date.now() - c.firstSeen)) : duration(c.lastSeen - c.firstSeen)),
              h('td.num', String(c.participantCount)),
              h('td.num', scorePill(c.score)),
              h('td.num', h(`span.mos.g-${mosGrade(c.avgMos)}`, fixed(c.avgMos, 2))),
              h('td', { title: fullTime(c.lastSeen) }, dateTime(c.lastSeen, true)),
            );
          }),
        ),
      ),
      more > 0
        ? h(
            'div.more',
            h(
              'button.btn',
              {
                type: 'button',
                onclick: () => {
                  shown += PAGE;
                  drawTable();
                },
              },
              `Show ${Math.min(PAGE, more)} more (${more} not shown)`,
            ),
          )
        : null,
    );
  };

  let seq = 0;
  const load = async () => {
    const f = readForm();
    const mine = ++seq;
    try {
      const list = await api.conferences(app.appID, apiQuery(f));
      if (mine !== seq) return;
      rows = list;
      lastLoaded = Date.now();
      replace(msg);
      drawTable();
      updateLive();
    } catch (err) {
      if (mine === seq) replace(msg, errorBox(err));
      throw err;
    }
  };

  const updateLive = () => {
    const f = readForm();
    const isLive = !(f.range === 'custom' && f.to);
    replace(live, isLive ? [h('span.pulse'), `Live · updated ${lastLoaded ? new Date(lastLoaded).toLocaleTimeString() : '—'}`] : h('span.muted', 'Fixed time range: not refreshing'));
  };

  const update = (reload = true) => {
    const f = readForm();
    shown = PAGE;
    custom.hidden = range.value !== 'custom';
    history.replaceState(null, '', href.conferences(app.appID, f));
    if (reload) void load().catch(() => {});
    else drawTable();
    drawChips();
  };

  let timer: number | undefined;
  const debounced = () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => update(), 300);
  };
  for (const el of [search, user, minScore, maxScore]) el.addEventListener('input', debounced);
  for (const el of [status, browser, range, from, to]) el.addEventListener('change', () => update());

  const chipsHost = h('div.chips');
  const chips: { label: string; set: Record<string, string> }[] = [
    { label: 'All', set: {} },
    { label: 'Ongoing', set: { status: 'ongoing' } },
    { label: 'Setup failures', set: { status: 'partiallyFailed' } },
    { label: 'Poor quality (score below 3)', set: { maxScore: '3' } },
    { label: 'Last 24 h', set: { range: '24h' } },
  ];
  const drawChips = () => {
    const f = readForm();
    replace(
      chipsHost,
      chips.map((c) => {
        const keys = Object.keys(c.set);
        const on = keys.length ? keys.every((k) => f[k] === c.set[k]) : !['q', 'user', 'status', 'minScore', 'maxScore', 'browser', 'range'].some((k) => f[k]);
        return h(
          `button.chip${on ? '.on' : ''}`,
          {
            type: 'button',
            onclick: () => {
              if (!keys.length) {
                search.value = user.value = minScore.value = maxScore.value = '';
                status.value = browser.value = range.value = '';
              }
              if (c.set.status !== undefined) status.value = c.set.status;
              if (c.set.maxScore !== undefined) maxScore.value = c.set.maxScore;
              if (c.set.range !== undefined) range.value = c.set.range;
              update();
            },
          },
          c.label,
        );
      }),
    );
  };
  drawChips();

  const filters = h(
    'form.filters',
    { role: 'search', onsubmit: (e: Event) => (e.preventDefault(), update()) },
    h('label.field.grow2', { for: 'f-q' }, h('span', 'Conference'), search),
    h('label.field.grow', { for: 'f-user' }, h('span', 'User'), user),
    h('label.field', { for: 'f-status' }, h('span', 'Outcome'), status),
    h('div.field', h('span', 'Score'), h('div.pair', minScore, h('span.muted', 'to'), maxScore)),
    h('label.field', { for: 'f-browser' }, h('span', 'Browser'), browser),
    h('label.field', { for: 'f-range' }, h('span', 'Time'), range),
    custom,
  );

  await load().catch(() => {});
  replace(
    view,
    pageHead('Conferences', { sub: `${app.name} · most recently active first`, actions: live }),
    card(null, [filters, chipsHost]),
    h('div.results-head', count),
    msg,
    tableHost,
  );
  updateLive();
  const stop = poll(() => (readForm().range === 'custom' && readForm().to ? undefined : load()), 5000, false);
  return () => {
    stop();
    clearTimeout(timer);
  };
}
