// The conference timeline: one lane per participant (present from join to leave, with their
// mutes, screen shares, logs and feedback) and under it one lane per connection (fabric) it
// opened (setting up, then established and coloured by the quality of its streams, holds,
// disruptions, failures). Events are markers at their time; hovering says what happened,
// clicking selects the event in the list below. Hand-built SVG, redrawn on resize.

import { h, replace, s } from '../dom';
import { clock, decodeID, duration, fullTime } from '../format';
import { type Category, categoryOf, describe, spans } from '../events';
import type { ConferenceDetail, Fabric, Submission } from '../api';

export interface TimelineOptions {
  t0: number;
  t1: number;
  visible: Set<Category>;
  selected: number | null;
  onSelect: (ev: Submission) => void;
}

const LABEL_W = 230;
const PAD = 10;

const FABRIC_CATEGORIES = new Set<Category>(['setup', 'failure', 'disruption', 'hold']);

interface Lane {
  kind: 'participant' | 'fabric';
  label: HTMLElement;
  events: Submission[];
  draw: (g: SVGElement, x: (t: number) => number, height: number) => void;
}

function niceStep(spanMs: number, width: number): number {
  const target = Math.max(3, Math.floor(width / 90));
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400].map((x) => x * 1000);
  return steps.find((st) => spanMs / st <= target) ?? 14400_000;
}

export function fabricTimes(f: Fabric, evs: Submission[], fallbackStart: number, end: number) {
  const sorted = [...evs].sort((a, b) => a.timestamp - b.timestamp);
  const setup = sorted.find((e) => e.eventType === 'fabricSetup');
  const failed = sorted.find((e) => e.eventType === 'fabricSetupFailed');
  const endEv = sorted.find((e) => e.eventType === 'fabricTerminated' || e.eventType === 'fabricDropped');
  const first = sorted[0]?.timestamp ?? fallbackStart;
  const setupAt = setup ? setup.timestamp : null;
  const setupStart = setup && f.setupDelayMs ? setup.timestamp - f.setupDelayMs : failed && f.failureDelayMs ? failed.timestamp - f.failureDelayMs : first;
  const stop = endEv ? endEv.timestamp : end;
  return { setupAt, setupStart: Math.min(setupStart, setupAt ?? setupStart), failedAt: failed?.timestamp ?? null, stop, dropped: endEv?.eventType === 'fabricDropped' };
}

export function renderTimeline(d: ConferenceDetail, opts: TimelineOptions): HTMLElement {
  const root = h('div.timeline', { 'data-testid': 'timeline' });
  const tip = h('div.tl-tip', { role: 'tooltip' });
  let ro: ResizeObserver | null = null;
  let lastW = 0;

  const lanes = buildLanes(d, opts);
  const draw = () => {
    const width = Math.max(300, root.clientWidth - LABEL_W);
    lastW = root.clientWidth;
    root.replaceChildren();
    const span = Math.max(1, opts.t1 - opts.t0);
    const x = (t: number) => PAD + ((Math.min(Math.max(t, opts.t0), opts.t1) - opts.t0) / span) * (width - 2 * PAD);
    const step = niceStep(span, width);
    const ticks: number[] = [];
    for (let t = 0; t <= span; t += step) ticks.push(opts.t0 + t);

    // Axis
    const axis = s('svg', { class: 'tl-svg', width, height: 22 });
    for (const t of ticks) {
      axis.appendChild(s('line', { x1: x(t), x2: x(t), y1: 16, y2: 22, class: 'tl-tick' }));
      axis.appendChild(s('text', { x: x(t), y: 12, class: 'tl-ticklabel', 'text-anchor': 'middle' }, clock(t - opts.t0)));
    }
    root.appendChild(h('div.tl-row.tl-axis', h('div.tl-label', h('span.muted', 'from ', fullTime(opts.t0).slice(11, 19))), h('div.tl-track', axis)));

    for (const lane of lanes) {
      const height = lane.kind === 'participant' ? 34 : 26;
      const svg = s('svg', { class: 'tl-svg', width, height });
      for (const t of ticks) svg.appendChild(s('line', { x1: x(t), x2: x(t), y1: 0, y2: height, class: 'tl-grid' }));
      const g = s('g');
      svg.appendChild(g);
      lane.draw(g, x, height);
      // Markers on top.
      for (const ev of lane.events) {
        const cat = categoryOf(ev.eventType);
        if (!opts.visible.has(cat)) continue;
        const cx = x(ev.timestamp);
        const cy = height / 2;
        const isBad = cat === 'failure' || cat === 'error';
        const sel = opts.selected === ev.id;
        const r = sel ? 7 : 5;
        const shape = isBad
          ? s('rect', { x: cx - r, y: cy - r, width: 2 * r, height: 2 * r, transform: `rotate(45 ${cx} ${cy})`, class: `tl-mark c-${cat}${sel ? ' sel' : ''}` })
          : s('circle', { cx, cy, r, class: `tl-mark c-${cat}${sel ? ' sel' : ''}` });
        shape.setAttribute('data-event-id', String(ev.id));
        shape.setAttribute('data-event-type', ev.eventType);
        shape.addEventListener('mouseenter', (e) => showTip(e as MouseEvent, ev));
        shape.addEventListener('mousemove', (e) => moveTip(e as MouseEvent));
        shape.addEventListener('mouseleave', hideTip);
        shape.addEventListener('click', () => opts.onSelect(ev));
        svg.appendChild(shape);
      }
      root.appendChild(h(`div.tl-row.tl-${lane.kind}`, h('div.tl-label', lane.label), h('div.tl-track', svg)));
    }
    root.appendChild(tip);
  };

  const showTip = (e: MouseEvent, ev: Submission) => {
    const desc = describe(ev.eventType, ev.body);
    replace(tip, 
      h('strong', ev.eventType),
      h('span.muted', ` at ${clock(ev.timestamp - opts.t0)}`),
      desc ? h('div', desc.length > 160 ? desc.slice(0, 160) + '…' : desc) : null,
      h('div.muted.small', decodeID(ev.userID), ev.remoteID && ev.remoteID !== ev.userID ? ` → ${decodeID(ev.remoteID)}` : ''),
    );
    tip.classList.add('on');
    moveTip(e);
  };
  const showSpanTip = (e: MouseEvent, text: string, a: number, b: number) => {
    replace(tip, h('strong', text), h('div.muted', `${clock(a - opts.t0)} – ${clock(b - opts.t0)} (${duration(b - a)})`));
    tip.classList.add('on');
    moveTip(e);
  };
  const moveTip = (e: MouseEvent) => {
    const r = root.getBoundingClientRect();
    const left = Math.min(e.clientX - r.left + 12, r.width - 260);
    tip.style.left = `${Math.max(0, left)}px`;
    tip.style.top = `${e.clientY - r.top + 14}px`;
  };
  const hideTip = () => tip.classList.remove('on');
  spanTipHost = { show: showSpanTip, move: moveTip, hide: hideTip };

  // Draw once attached; redraw when the width changes.
  requestAnimationFrame(() => {
    draw();
    ro = new ResizeObserver(() => {
      if (Math.abs(root.clientWidth - lastW) > 4) draw();
    });
    ro.observe(root);
  });
  (root as HTMLElement & { destroy?: () => void }).destroy = () => ro?.disconnect();
  return root;
}

// The span tooltip of the timeline being drawn (one timeline per page).
let spanTipHost: { show: (e: MouseEvent, text: string, a: number, b: number) => void; move: (e: MouseEvent) => void; hide: () => void } | null = null;

function spanRect(g: SVGElement, x: (t: number) => number, a: number, b: number, y: number, hgt: number, cls: string, tipText?: string): void {
  const x0 = x(a);
  const x1 = x(b);
  const r = s('rect', { x: x0, y, width: Math.max(2, x1 - x0), height: hgt, rx: 3, class: cls });
  if (tipText) {
    r.addEventListener('mouseenter', (e) => spanTipHost?.show(e as MouseEvent, tipText, a, b));
    r.addEventListener('mousemove', (e) => spanTipHost?.move(e as MouseEvent));
    r.addEventListener('mouseleave', () => spanTipHost?.hide());
  }
  g.appendChild(r);
}

const LABEL_GRADE: Record<string, string> = { excellent: 'good', good: 'good', fair: 'fair', bad: 'bad' };

function buildLanes(d: ConferenceDetail, opts: TimelineOptions): Lane[] {
  const lanes: Lane[] = [];
  const end = opts.t1;
  const byUc = new Map<string, Submission[]>();
  for (const e of d.events) {
    const k = e.ucID ?? '';
    if (!byUc.has(k)) byUc.set(k, []);
    byUc.get(k)!.push(e);
  }
  const participants = [...d.participants].sort((a, b) => a.joinedAt - b.joinedAt);
  const known = new Set(participants.map((p) => p.ucID));
  for (const p of participants) {
    const evs = byUc.get(p.ucID) ?? [];
    const fabrics = d.fabrics.filter((f) => f.ucID === p.ucID);
    const fabricIDs = new Set(fabrics.map((f) => f.connectionID));
    const onFabric = (e: Submission) => !!e.connectionID && fabricIDs.has(e.connectionID) && FABRIC_CATEGORIES.has(categoryOf(e.eventType));
    const own = evs.filter((e) => !onFabric(e));
    const left = evs.find((e) => e.eventType === 'userLeft');
    const leaveAt = left ? left.timestamp : end;
    const who = [p.browser?.name, p.browser?.version?.split('.')[0]].filter(Boolean).join(' ');
    lanes.push({
      kind: 'participant',
      label: h('div.tl-who', h('span.tl-user', { title: p.userID }, decodeID(p.userID)), h('span.tl-agent', [who, p.os?.name].filter(Boolean).join(' · '))),
      events: own,
      draw(g, x, height) {
        spanRect(g, x, p.joinedAt, leaveAt, height / 2 - 7, 14, 'tl-presence', `${decodeID(p.userID)} in the conference`);
        for (const sp of spans(own, leaveAt)) spanRect(g, x, sp.startMs, sp.endMs, height / 2 - 7, 14, `tl-span ${sp.cls}`, sp.label);
      },
    });
    for (const f of fabrics) {
      const fevs = evs.filter((e) => e.connectionID === f.connectionID);
      const laneEvents = fevs.filter(onFabric);
      const streams = d.streams.filter((st) => st.connectionID === f.connectionID && st.ucID === f.ucID);
      lanes.push({
        kind: 'fabric',
        label: h(
          'div.tl-fabric',
          { title: `connection ${f.connectionID}` },
          h('span.tl-arrow', '↳ '),
          h('span', 'to ', h('strong', decodeID(f.remoteUserID) || f.connectionID)),
          f.state === 'terminated' || f.state === 'established' ? null : h(`span.tl-state.st-${f.state}`, f.state),
        ),
        events: laneEvents,
        draw(g, x, height) {
          const t = fabricTimes(f, fevs, p.joinedAt, Math.min(leaveAt, end));
          const y = height / 2 - 5;
          if (t.setupAt === null) {
            // Never set up: the attempt, red when it failed.
            const stop = t.failedAt ?? Math.min(leaveAt, end);
            spanRect(g, x, t.setupStart, stop, y, 10, t.failedAt ? 'tl-failed' : 'tl-setting', t.failedAt ? `setup failed${f.failureReason ? `: ${f.failureReason}` : ''}` : 'setting up');
            return;
          }
          spanRect(g, x, t.setupStart, t.setupAt, y, 10, 'tl-setting', 'setting up');
          spanRect(g, x, t.setupAt, t.stop, y, 10, t.dropped ? 'tl-up dropped' : 'tl-up', t.dropped ? 'connected (then dropped)' : 'connected');
          // Stream quality over the connected time: worst label drawn last, on top.
          const ivs = streams.flatMap((st) => st.intervals.map((i) => ({ ...i, kind: st.kind, direction: st.direction })));
          const order = { excellent: 0, good: 0, fair: 1, bad: 2 } as Record<string, number>;
          ivs.sort((a, b) => (order[a.label ?? ''] ?? -1) - (order[b.label ?? ''] ?? -1));
          for (const i of ivs) {
            const gcls = LABEL_GRADE[i.label ?? ''];
            if (!gcls) continue;
            spanRect(g, x, i.startMs, i.endMs, y, 10, `tl-q g-${gcls}`, `${i.direction === 'outbound' ? 'sent' : 'received'} ${i.kind}: ${i.label}`);
          }
          for (const sp of spans(laneEvents, t.stop)) spanRect(g, x, sp.startMs, sp.endMs, y - 2, 14, `tl-span ${sp.cls}`, sp.label);
          for (const dis of f.disruptions) spanRect(g, x, dis.startMs, dis.endMs ?? t.stop, y - 2, 14, 'tl-span disrupted', 'connectivity disrupted');
        },
      });
    }
  }
  const orphans = d.events.filter((e) => !known.has(e.ucID ?? ''));
  if (orphans.length) {
    lanes.push({ kind: 'participant', label: h('div.tl-who', h('span.tl-user', 'Unattributed')), events: orphans, draw() {} });
  }
  return lanes;
}
