// Bar charts drawn by hand: histograms (SVG rects stretched to the card's width, with the
// numbers and labels in HTML so text stays crisp), horizontal bar lists, and a stacked bar.

import { h, s, type Child } from '../dom';
import type { Grade } from '../format';
import type { Histogram } from '../api';

export interface HistogramOptions {
  /** Grade of a bin from its lower and upper edge (colours the bar). */
  grade?: (lo: number, hi: number) => Grade;
  /** Label of a bin. */
  label?: (lo: number, hi: number, i: number) => string;
  /** Where a click on a bin goes. */
  href?: (lo: number, hi: number) => string | null;
  unit?: string;
  testid?: string;
}

export function histogram(hist: Histogram, opts: HistogramOptions = {}): HTMLElement {
  const n = hist.counts.length;
  const max = Math.max(1, ...hist.counts);
  const total = hist.counts.reduce((a, b) => a + b, 0);
  const W = 100;
  const H = 100;
  const gap = 14;
  const svg = s('svg', { class: 'hist-bars', viewBox: `0 0 ${W * n} ${H}`, preserveAspectRatio: 'none', 'aria-hidden': 'true' });
  const cols: HTMLElement[] = [];
  const labels: HTMLElement[] = [];
  for (let i = 0; i < n; i++) {
    const lo = hist.edges[i] ?? i;
    const hi = hist.edges[i + 1] ?? lo;
    const c = hist.counts[i] ?? 0;
    const bh = c ? Math.max(1.5, (H * c) / max) : 0;
    const grade = opts.grade?.(lo, hi) ?? 'none';
    svg.appendChild(s('rect', { x: i * W + gap / 2, y: H - bh, width: W - gap, height: bh, class: `bar g-${grade}` }));
    const label = opts.label ? opts.label(lo, hi, i) : `${lo}–${hi}`;
    const share = total ? `${Math.round((100 * c) / total)} %` : '';
    const link = opts.href?.(lo, hi) ?? null;
    const colAttrs = { title: `${label}${opts.unit ? ` ${opts.unit}` : ''}: ${c} (${share || '0 %'})`, 'data-count': c };
    cols.push(link ? h('a.hist-count', { ...colAttrs, href: link }, String(c)) : h('div.hist-count', colAttrs, String(c)));
    labels.push(h('div.hist-label', label));
  }
  const grid = { style: { gridTemplateColumns: `repeat(${n}, 1fr)` } };
  return h(
    'figure.hist',
    { 'data-testid': opts.testid, 'data-total': total },
    h('div.hist-counts', grid, cols),
    svg,
    h('div.hist-labels', grid, labels),
    opts.unit ? h('figcaption', opts.unit) : null,
  );
}

export interface BarItem {
  label: Child;
  value: number;
  grade?: Grade | 'accent';
  href?: string;
  title?: string;
}

/** Horizontal bars, longest first unless `keepOrder`. */
export function barList(items: BarItem[], opts: { keepOrder?: boolean; total?: number; testid?: string; emptyText?: string } = {}): HTMLElement {
  const list = opts.keepOrder ? items : [...items].sort((a, b) => b.value - a.value);
  const max = Math.max(1, ...list.map((i) => i.value));
  const total = opts.total ?? list.reduce((a, b) => a + b.value, 0);
  if (!list.length) return h('div.empty.small', opts.emptyText ?? 'Nothing in this range.');
  return h(
    'div.barlist',
    { 'data-testid': opts.testid },
    list.map((it) => {
      const inner = [
        h('span.bl-label', it.label),
        h('span.bl-track', h(`span.bl-fill.g-${it.grade ?? 'accent'}`, { style: { width: `${(100 * it.value) / max}%` } })),
        h('span.bl-value', String(it.value), total ? h('small', ` ${Math.round((100 * it.value) / total)} %`) : null),
      ];
      return it.href ? h('a.bl-row', { href: it.href, title: it.title }, inner) : h('div.bl-row', { title: it.title }, inner);
    }),
  );
}

export interface StackPart {
  key: string;
  label: string;
  value: number;
  grade: Grade;
  href?: string;
}

/** One bar split by share, with a legend that links each part. */
export function stackedBar(parts: StackPart[], total: number): HTMLElement {
  const shown = parts.filter((p) => p.value > 0);
  return h(
    'div.stack',
    h(
      'div.stack-bar',
      { role: 'img', 'aria-label': parts.map((p) => `${p.label} ${p.value}`).join(', ') },
      shown.length
        ? shown.map((p) => h(`span.stack-part.g-${p.grade}`, { style: { flexGrow: String(p.value) }, title: `${p.label}: ${p.value}` }))
        : h('span.stack-part.g-none', { style: { flexGrow: '1' } }),
    ),
    h(
      'div.stack-legend',
      parts.map((p) => {
        const inner = [h(`span.dot.g-${p.grade}`), h('span', p.label), h('strong', { 'data-testid': `outcome-${p.key}` }, String(p.value)), total ? h('small', `${Math.round((100 * p.value) / total)} %`) : null];
        return p.href ? h('a.legend-item', { href: p.href }, inner) : h('span.legend-item', inner);
      }),
    ),
  );
}
