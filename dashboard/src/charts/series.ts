// Time-series charts of one stream's intervals with uPlot: one small chart per metric, sharing
// the conference's time axis and a synchronised cursor, with the intervals labelled `bad`
// shaded behind the line.

import uPlot from 'uplot';
import { h, replace } from '../dom';
import { clock } from '../format';
import type { Interval } from '../api';

export interface Metric {
  key: string;
  title: string;
  unit: string;
  value: (i: Interval) => number | null;
  /** Text shown in the legend for the interval at `idx` (defaults to value + unit). */
  text?: (i: Interval) => string;
  digits: number;
  kinds: ('audio' | 'video')[];
  /** Fixed y range when it helps reading (MOS, loss). */
  range?: (min: number, max: number) => [number, number];
}

const val = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? null : v);

export const METRICS: Metric[] = [
  { key: 'bitrate', title: 'Bitrate', unit: 'kbps', value: (i) => val(i.bitrateKbps), digits: 0, kinds: ['audio', 'video'], range: (_a, b) => [0, Math.max(b * 1.15, 1)] },
  {
    key: 'loss',
    title: 'Packet loss',
    unit: '%',
    value: (i) => (i.fractionLost === null ? null : val(i.fractionLost * 100)),
    digits: 2,
    kinds: ['audio', 'video'],
    range: (_a, b) => [0, Math.max(b * 1.2, 2)],
  },
  { key: 'jitter', title: 'Jitter', unit: 'ms', value: (i) => val(i.jitterMs), digits: 1, kinds: ['audio', 'video'], range: (_a, b) => [0, Math.max(b * 1.2, 10)] },
  { key: 'rtt', title: 'Round-trip time', unit: 'ms', value: (i) => val(i.rttMs), digits: 0, kinds: ['audio', 'video'], range: (_a, b) => [0, Math.max(b * 1.2, 50)] },
  { key: 'mos', title: 'MOS', unit: '', value: (i) => val(i.mos), digits: 2, kinds: ['audio'], range: () => [1, 5] },
  {
    key: 'concealment',
    title: 'Concealed audio',
    unit: '%',
    value: (i) => (i.concealment === null ? null : val(i.concealment * 100)),
    digits: 1,
    kinds: ['audio'],
    range: (_a, b) => [0, Math.max(b * 1.2, 2)],
  },
  { key: 'fps', title: 'Frame rate', unit: 'fps', value: (i) => val(i.fps), digits: 1, kinds: ['video'], range: (_a, b) => [0, Math.max(b * 1.15, 30)] },
  {
    key: 'resolution',
    title: 'Resolution',
    unit: 'p',
    value: (i) => val(i.height),
    text: (i) => (i.width && i.height ? `${i.width}×${i.height}` : '—'),
    digits: 0,
    kinds: ['video'],
    range: (_a, b) => [0, Math.max(b * 1.15, 360)],
  },
  { key: 'frozen', title: 'Frozen video', unit: 'ms', value: (i) => val(i.frozenMs), digits: 0, kinds: ['video'], range: (_a, b) => [0, Math.max(b * 1.2, 100)] },
];

/** The metrics that have at least one value for this stream. */
export function metricsFor(kind: string, intervals: Interval[]): Metric[] {
  const k = kind === 'video' ? 'video' : 'audio';
  return METRICS.filter((m) => m.kinds.includes(k) && intervals.some((i) => m.value(i) !== null));
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

export interface ChartHandle {
  el: HTMLElement;
  destroy(): void;
}

/**
 * One metric of one stream. `t0`/`t1` are the conference's span (epoch ms) so every chart and
 * the timeline above them share one time axis.
 */
export function metricChart(metric: Metric, intervals: Interval[], t0: number, t1: number, syncKey: string): ChartHandle {
  const sorted = [...intervals].sort((a, b) => a.startMs - b.startMs);
  const xs = sorted.map((i) => ((i.startMs + i.endMs) / 2 - t0) / 1000);
  const ys = sorted.map((i) => metric.value(i));
  const bad = sorted.filter((i) => i.label === 'bad').map((i) => [(i.startMs - t0) / 1000, (i.endMs - t0) / 1000] as const);
  const line = cssVar('--chart-line', '#4f46e5');
  const badFill = cssVar('--chart-bad', 'rgba(220, 38, 38, 0.14)');
  const grid = cssVar('--chart-grid', '#e8ebf0');
  const axisText = cssVar('--muted', '#64748b');

  const readout = h('span.chart-readout');
  const el = h(
    'div.chart',
    { 'data-metric': metric.key, 'data-bad': bad.length },
    h('div.chart-title', h('span', metric.title, metric.unit && metric.unit !== 'p' ? h('small', ` ${metric.unit}`) : null), readout),
  );
  const plotHost = h('div.chart-plot');
  el.appendChild(plotHost);
  const height = 120;
  const fmt = (idx: number) => {
    const it = sorted[idx];
    const v = ys[idx];
    if (!it || v === null || v === undefined) return '—';
    if (metric.text) return metric.text(it);
    return `${v.toFixed(metric.digits)}${metric.unit && metric.unit !== 'p' ? ` ${metric.unit}` : ''}`;
  };
  // The latest value until the cursor points at another.
  const showReadout = (idx: number | null | undefined) => {
    const i = idx === null || idx === undefined ? sorted.length - 1 : idx;
    const it = sorted[i];
    if (!it) return replace(readout);
    replace(readout, h('strong', fmt(i)), h('span.muted', ` at ${clock(it.endMs - t0)}`), it.label === 'bad' ? h('span.bad-text', ' · bad') : null);
  };
  showReadout(null);
  const opts: uPlot.Options = {
    width: 320,
    height,
    padding: [6, 16, 0, 0],
    cursor: { sync: { key: syncKey }, points: { size: 7 }, drag: { x: false, y: false } },
    legend: { show: false },
    scales: {
      x: { time: false, range: () => [0, Math.max(1, (t1 - t0) / 1000)] },
      y: { range: (_u, min, max) => (metric.range ? metric.range(min ?? 0, max ?? 1) : [min ?? 0, max ?? 1]) },
    },
    axes: [
      {
        stroke: axisText,
        grid: { stroke: grid, width: 1 },
        ticks: { show: false },
        values: (_u, splits) => splits.map((v) => clock(v * 1000)),
        font: '11px system-ui, sans-serif',
        size: 24,
      },
      {
        stroke: axisText,
        grid: { stroke: grid, width: 1 },
        ticks: { show: false },
        font: '11px system-ui, sans-serif',
        size: 40,
        values: (_u, splits) => splits.map((v) => (Math.abs(v) >= 1000 ? `${+(v / 1000).toFixed(1)}k` : String(+v.toFixed(2)))),
      },
    ],
    series: [
      {},
      {
        label: metric.title,
        stroke: line,
        width: 2,
        fill: line + '18',
        points: { show: true, size: 5, fill: line },
        spanGaps: false,
      },
    ],
    hooks: {
      setCursor: [(u) => showReadout(u.cursor.idx)],
      drawClear: [
        (u) => {
          const ctx = u.ctx;
          ctx.save();
          ctx.fillStyle = badFill;
          for (const [a, b] of bad) {
            const x0 = u.valToPos(a, 'x', true);
            const x1 = u.valToPos(b, 'x', true);
            ctx.fillRect(x0, u.bbox.top, Math.max(2, x1 - x0), u.bbox.height);
          }
          ctx.restore();
        },
      ],
    },
  };
  const u = new uPlot(opts, [xs, ys] as uPlot.AlignedData, plotHost);
  const ro = new ResizeObserver(() => {
    const w = Math.floor(plotHost.clientWidth);
    if (w > 0 && Math.abs(w - u.width) > 1) u.setSize({ width: w, height });
  });
  ro.observe(plotHost);
  return {
    el,
    destroy() {
      ro.disconnect();
      u.destroy();
    },
  };
}
