// Integration progress: the steps of the integration guide, which ones the server has seen the
// app do (first and last time, how often), and for the others what to do next. Refreshes every
// 5 s while visible, so a developer sees steps turn green as they integrate.

import { api, type IntegrationStep } from '../api';
import { h, replace } from '../dom';
import { fullTime } from '../format';
import { card, pageHead, poll, when, errorBox } from '../ui';
import type { Ctx } from '../main';
import type { Route } from '../routes';

function stepRow(s: IntegrationStep, n: number): HTMLElement {
  return h(
    `li.step${s.done ? '.done' : '.todo'}`,
    { 'data-step': s.step, 'data-done': String(s.done) },
    h('span.step-icon', { 'aria-label': s.done ? 'done' : 'not seen yet' }, s.done ? '✓' : String(n)),
    h(
      'div.step-body',
      h('div.step-title', h('strong', s.title), h('code.step-key', s.step)),
      s.done
        ? h(
            'div.step-meta',
            `Seen ${s.count.toLocaleString('en-US')} time${s.count === 1 ? '' : 's'} · first `,
            when(s.firstSeen),
            ' · last ',
            when(s.lastSeen),
          )
        : h('div.step-meta', s.count ? `Seen ${s.count} times` : 'Not seen yet', s.lastSeen ? [' · last ', h('span', { title: fullTime(s.lastSeen) }, when(s.lastSeen))] : null),
      !s.done && s.next ? h('div.step-next', h('strong', 'Next: '), s.next) : null,
    ),
  );
}

export async function renderIntegration(view: HTMLElement, _r: Route, ctx: Ctx): Promise<() => void> {
  const app = ctx.app!;
  const progress = h('div.progress');
  const list = h('ol.steps', { 'data-testid': 'steps' });
  const msg = h('div');
  const draw = (steps: IntegrationStep[]) => {
    const done = steps.filter((s) => s.done).length;
    replace(
      progress,
      h('div.progress-text', h('strong', { 'data-testid': 'steps-done' }, `${done} of ${steps.length}`), ' steps seen'),
      h('div.progress-track', h('div.progress-fill', { style: { width: `${steps.length ? (100 * done) / steps.length : 0}%` } })),
    );
    replace(
      list,
      steps.map((s, i) => stepRow(s, i + 1)),
    );
  };
  draw(await api.integration(app.appID));
  replace(
    view,
    pageHead('Integration', { sub: `${app.name} · what the server has seen your app do, step by step through the integration guide` }),
    card(null, [progress, msg, list]),
  );
  return poll(
    async () => {
      try {
        draw(await api.integration(app.appID));
        replace(msg);
      } catch (err) {
        replace(msg, errorBox(err));
        throw err;
      }
    },
    5000,
    false,
  );
}
