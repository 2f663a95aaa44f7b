// Small building blocks shared by the pages: cards, badges, score pills, copy boxes, messages,
// and polling that pauses while the tab is hidden.

import { h, type Child } from './dom';
import { type Grade, GRADE_WORD, fixed, scoreGrade, setupGrade, setupWord, fullTime, ago } from './format';
import { ApiError } from './api';

export function card(title: Child, body: Child, opts: { actions?: Child; cls?: string; id?: string; sub?: Child } = {}): HTMLElement {
  return h(
    `section.card${opts.cls ? `.${opts.cls}` : ''}`,
    { id: opts.id },
    title || opts.actions
      ? h('header.card-head', h('div', title ? h('h2', title) : null, opts.sub ? h('p.sub', opts.sub) : null), opts.actions ? h('div.card-actions', opts.actions) : null)
      : null,
    h('div.card-body', body),
  );
}

export function pageHead(title: Child, opts: { sub?: Child; actions?: Child; crumbs?: Child } = {}): HTMLElement {
  return h(
    'div.page-head',
    h('div.page-title', opts.crumbs ? h('nav.crumbs', opts.crumbs) : null, h('h1', title), opts.sub ? h('p.sub', opts.sub) : null),
    opts.actions ? h('div.page-actions', opts.actions) : null,
  );
}

export function badge(text: Child, grade: Grade | 'info' | 'live' = 'none', title?: string): HTMLElement {
  return h(`span.badge.g-${grade}`, { title }, text);
}

/** The 0–5 score as a coloured pill; `big` for the headline. */
export function scorePill(score: number | null | undefined, big = false): HTMLElement {
  const g = scoreGrade(score);
  return h(
    `span.score.g-${g}${big ? '.big' : ''}`,
    { title: score === null || score === undefined ? 'no score yet' : `${GRADE_WORD[g]} (score ${fixed(score, 2)} of 5)`, 'data-score': score ?? '' },
    score === null || score === undefined ? '—' : fixed(score, 1),
  );
}

export function setupBadge(status: string | null | undefined): HTMLElement {
  return badge(setupWord(status), setupGrade(status));
}

export function liveBadge(): HTMLElement {
  return h('span.badge.g-live', h('span.pulse'), 'Ongoing');
}

/** A value shown in full with a button that copies it. */
export function copyBox(value: string, label?: string): HTMLElement {
  const input = h('input.mono', { value, readonly: true, 'aria-label': label ?? 'value', onfocus: (e: Event) => (e.target as HTMLInputElement).select() });
  const btn = h('button.btn.small', { type: 'button' }, 'Copy');
  btn.addEventListener('click', async () => {
    input.select();
    let ok = false;
    try {
      await navigator.clipboard.writeText(value);
      ok = true;
    } catch {
      ok = document.execCommand?.('copy') ?? false;
    }
    btn.textContent = ok ? 'Copied' : 'Select and copy';
    setTimeout(() => (btn.textContent = 'Copy'), 1600);
  });
  return h('div.copy', input, btn);
}

/** A secret the server shows once: warning, value, copy button. */
export function secretOnce(title: string, rows: [string, string][], note = 'Copy it now: it is shown only this once.'): HTMLElement {
  return h(
    'div.secret-once',
    { role: 'status' },
    h('strong', title),
    h('p', note),
    rows.map(([k, v]) => h('label.field', h('span', k), copyBox(v, k))),
  );
}

export function errorBox(err: unknown): HTMLElement {
  const msg = err instanceof ApiError ? err.message : err instanceof Error ? err.message : String(err);
  return h('div.alert.error', { role: 'alert' }, msg);
}

export function okBox(msg: Child): HTMLElement {
  return h('div.alert.ok', { role: 'status' }, msg);
}

export function loading(text = 'Loading…'): HTMLElement {
  return h('div.loading', h('span.spinner'), text);
}

export function empty(text: Child): HTMLElement {
  return h('div.empty', text);
}

/** A time shown as "3 min ago" with the exact time on hover. */
export function when(ms: number | null | undefined): HTMLElement {
  return h('time', { title: fullTime(ms), datetime: ms ? new Date(ms).toISOString() : undefined }, ago(ms));
}

export function kv(rows: [Child, Child][]): HTMLElement {
  return h(
    'dl.kv',
    rows.map(([k, v]) => [h('dt', k), h('dd', v)]),
  );
}

/** A big number with a label, for the headline rows. */
export function stat(label: Child, value: Child, opts: { sub?: Child; grade?: Grade; href?: string; testid?: string } = {}): HTMLElement {
  const inner = [h('div.stat-label', label), h(`div.stat-value${opts.grade ? `.g-${opts.grade}` : ''}`, { 'data-testid': opts.testid }, value), opts.sub ? h('div.stat-sub', opts.sub) : null];
  return opts.href ? h('a.stat', { href: opts.href }, inner) : h('div.stat', inner);
}

/** Shows a transient message at the bottom of the page. */
export function toast(text: string, kind: 'ok' | 'error' = 'ok'): void {
  let host = document.getElementById('toasts');
  if (!host) {
    host = h('div.toasts', { id: 'toasts' });
    document.body.appendChild(host);
  }
  const t = h(`div.toast.${kind}`, { role: 'status' }, text);
  host.appendChild(t);
  setTimeout(() => t.classList.add('gone'), 3500);
  setTimeout(() => t.remove(), 4000);
}

/**
 * Runs `fn` now and then every `ms` while the tab is visible; a hidden tab stops polling and
 * polls at once when shown again. Returns the stop function.
 */
export function poll(fn: () => Promise<void> | void, ms: number, runNow = true): () => void {
  let timer: number | undefined;
  let stopped = false;
  let busy = false;
  const tick = async () => {
    timer = undefined;
    if (stopped || document.visibilityState !== 'visible') return;
    if (!busy) {
      busy = true;
      try {
        await fn();
      } catch {
        /* the page shows its own errors */
      } finally {
        busy = false;
      }
    }
    if (!stopped && document.visibilityState === 'visible') timer = window.setTimeout(tick, ms);
  };
  const onVisibility = () => {
    if (document.visibilityState === 'visible' && timer === undefined && !stopped) void tick();
    else if (document.visibilityState !== 'visible' && timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
  };
  document.addEventListener('visibilitychange', onVisibility);
  if (runNow) void tick();
  else timer = window.setTimeout(tick, ms);
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisibility);
  };
}

/** A button that asks "are you sure" in place before doing something destructive. */
export function confirmButton(label: string, question: string, confirmLabel: string, action: () => Promise<void>): HTMLElement {
  const wrap = h('span.confirm');
  const start = h('button.btn', { type: 'button' }, label);
  const reset = () => {
    wrap.replaceChildren(start);
  };
  start.addEventListener('click', () => {
    const yes = h('button.btn.danger', { type: 'button' }, confirmLabel);
    const no = h('button.btn.ghost', { type: 'button', onclick: reset }, 'Cancel');
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      try {
        await action();
      } finally {
        reset();
      }
    });
    wrap.replaceChildren(h('span.confirm-q', question), yes, no);
  });
  wrap.appendChild(start);
  return wrap;
}

/** Disables a form's submit button while `fn` runs. */
export async function busy<T>(btn: HTMLButtonElement, fn: () => Promise<T>): Promise<T> {
  btn.disabled = true;
  btn.classList.add('busy');
  try {
    return await fn();
  } finally {
    btn.disabled = false;
    btn.classList.remove('busy');
  }
}

export function json(v: unknown): string {
  return JSON.stringify(v, null, 2);
}
