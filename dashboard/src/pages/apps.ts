// All apps: one row each with where to go next, and the form that creates an app and shows
// its AppSecret once.

import { api, type App } from '../api';
import { h, replace } from '../dom';
import { dateTime } from '../format';
import { href } from '../routes';
import { busy, card, copyBox, empty, errorBox, pageHead, secretOnce } from '../ui';
import type { Ctx } from '../main';
import type { Route } from '../routes';

export function renderApps(view: HTMLElement, _r: Route, ctx: Ctx): void {
  const list = h('div');
  const drawList = (apps: App[]) => {
    if (!apps.length) {
      replace(list, empty(['No apps yet. Create one below, then point callstats.js at this server with its AppID and AppSecret.']));
      return;
    }
    replace(
      list,
      h(
        'table.table.apps-table',
        { 'data-testid': 'apps-table' },
        h('thead', h('tr', h('th', 'App'), h('th', 'AppID'), h('th', 'Created'), h('th', 'Origins'), h('th', 'Collection'), h('th', ''))),
        h(
          'tbody',
          apps.map((a) =>
            h(
              'tr',
              { 'data-app': a.appID },
              h('td', h('a.strong', { href: href.overview(a.appID) }, a.name)),
              h('td', h('code', String(a.appID))),
              h('td', dateTime(a.createdAt)),
              h('td', a.origins?.length ? a.origins.join(', ') : h('span.muted', 'any origin')),
              h(
                'td',
                a.settings
                  ? h('span.muted', `stats every ${Math.round(a.settings.submissionIntervalMs / 1000)} s${a.settings.collectSdp ? ', SDP' : ''}${a.settings.webhookUrl ? ', webhook' : ''}`)
                  : null,
              ),
              h(
                'td.row-links',
                h('a', { href: href.conferences(a.appID) }, 'Conferences'),
                h('a', { href: href.integration(a.appID) }, 'Integration'),
                h('a', { href: href.settings(a.appID) }, 'Settings'),
                h('a', { href: href.access(a.appID) }, 'Keys & access'),
              ),
            ),
          ),
        ),
      ),
    );
  };

  const name = h('input', { name: 'name', placeholder: 'e.g. Meet (production)', required: true, maxlength: 200, id: 'new-app-name' });
  const submit = h('button.btn.primary', { type: 'submit' }, 'Create app');
  const result = h('div');
  const form = h('form.inline-form', { 'data-testid': 'create-app' }, h('label.field.grow', { for: 'new-app-name' }, h('span', 'Name'), name), submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    replace(result);
    try {
      const created = await busy(submit, () => api.createApp(name.value.trim()));
      await ctx.refreshApps();
      drawList(ctx.apps);
      name.value = '';
      replace(
        result,
        secretOnce(`“${created.name}” is ready`, [
          ['AppID', String(created.appID)],
          ['AppSecret', created.appSecret],
        ]),
        h('p', h('a.btn', { href: href.integration(created.appID) }, 'Follow its integration →')),
      );
    } catch (err) {
      replace(result, errorBox(err));
    }
  });

  drawList(ctx.apps);
  replace(
    view,
    pageHead('Apps', { sub: 'Each app has its own AppID and AppSecret; its conferences, settings and keys are kept apart.' }),
    card('Your apps', list),
    card('Create an app', [form, result], { sub: 'The AppSecret is shown once, right after creating. Keep it on your servers or in your app’s configuration.' }),
    card('Connecting a client', h('div.prose', h('p', 'Load the SDK from this server and initialise it with the AppID and AppSecret:'), copyBox(`<script src="${location.origin}/static/callstats.min.js"></script>`, 'SDK script tag'))),
  );
}
