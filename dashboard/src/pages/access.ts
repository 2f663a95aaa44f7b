// Keys & access of one app: its AppID, rotating the AppSecret (the new one shown once), the
// third-party ES256 public keys for the token flow, and the Origin allow-list.

import { api, type AppKey } from '../api';
import { h, replace } from '../dom';
import { dateTime } from '../format';
import { busy, card, confirmButton, copyBox, empty, errorBox, okBox, pageHead, secretOnce, toast } from '../ui';
import type { Ctx } from '../main';
import type { Route } from '../routes';

/** Lines of a textarea as origins; blank lines dropped. */
export function parseOrigins(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim().replace(/\/+$/, ''))
    .filter(Boolean);
}

export async function renderAccess(view: HTMLElement, _r: Route, ctx: Ctx): Promise<void> {
  const app = ctx.app!;
  const keys = await api.keys(app.appID);

  // AppSecret
  const secretResult = h('div');
  const rotate = confirmButton('Rotate AppSecret…', 'Clients using the old secret will fail to authenticate. Rotate?', 'Rotate now', async () => {
    try {
      const r = await api.rotateSecret(app.appID);
      replace(secretResult, secretOnce('New AppSecret', [['AppSecret', r.appSecret]], 'Copy it now: it is shown only this once. The old secret no longer works.'));
    } catch (err) {
      replace(secretResult, errorBox(err));
    }
  });

  // Keys
  const keyList = h('div');
  const drawKeys = (list: AppKey[]) =>
    replace(
      keyList,
      list.length
        ? h(
            'table.table',
            { 'data-testid': 'keys-table' },
            h('thead', h('tr', h('th', 'Key ID'), h('th', 'Algorithm'), h('th', 'Added'), h('th', 'Public key'))),
            h(
              'tbody',
              list.map((k) =>
                h('tr', h('td', h('code', k.keyID)), h('td', k.algorithm), h('td', dateTime(k.createdAt)), h('td', h('details', h('summary', 'PEM'), h('pre.code', k.publicKeyPem)))),
              ),
            ),
          )
        : empty('No third-party keys. Add one to let your servers mint ES256 tokens instead of shipping the AppSecret to browsers.'),
    );
  drawKeys(keys);
  const keyID = h('input', { name: 'keyID', required: true, placeholder: 'e.g. prod-2026', id: 'key-id' });
  const pem = h('textarea.mono', { name: 'pem', rows: 6, required: true, placeholder: '-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----', id: 'key-pem' });
  const keyMsg = h('div.form-msg');
  const keySubmit = h('button.btn.primary', { type: 'submit' }, 'Add key');
  const keyForm = h(
    'form.stack-form',
    { 'data-testid': 'add-key' },
    h('label.field', { for: 'key-id' }, h('span', 'Key ID'), keyID),
    h('label.field', { for: 'key-pem' }, h('span', 'Public key (PEM, EC P-256)'), pem),
    keyMsg,
    h('div', keySubmit),
  );
  keyForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    replace(keyMsg);
    try {
      await busy(keySubmit, () => api.addKey(app.appID, keyID.value.trim(), pem.value.trim()));
      drawKeys(await api.keys(app.appID));
      keyID.value = '';
      pem.value = '';
      toast('Key added');
    } catch (err) {
      replace(keyMsg, errorBox(err));
    }
  });

  // Origins
  const origins = h('textarea.mono', { rows: 4, id: 'origins', placeholder: 'https://meet.example.com\nhttps://staging.example.com:8443', value: (app.origins ?? []).join('\n') });
  const originMsg = h('div.form-msg');
  const originSubmit = h('button.btn.primary', { type: 'submit' }, 'Save origins');
  const originForm = h(
    'form.stack-form',
    { 'data-testid': 'origins' },
    h('label.field', { for: 'origins' }, h('span', 'Allowed origins, one per line'), origins),
    h('p.hint', 'Browsers may send data only from these origins. Leave empty to allow every origin.'),
    originMsg,
    h('div', originSubmit),
  );
  originForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    replace(originMsg);
    const list = parseOrigins(origins.value);
    try {
      await busy(originSubmit, () => api.setOrigins(app.appID, list));
      await ctx.refreshApps();
      origins.value = list.join('\n');
      replace(originMsg, okBox(list.length ? `Saved: ${list.length} origin${list.length === 1 ? '' : 's'} allowed.` : 'Saved: every origin is allowed.'));
    } catch (err) {
      replace(originMsg, errorBox(err));
    }
  });

  replace(
    view,
    pageHead('Keys & access', { sub: `${app.name} · who may send data to this app` }),
    h(
      'div.grid2',
      card('Credentials', [h('label.field', h('span', 'AppID'), copyBox(String(app.appID), 'AppID')), h('p.hint', 'The AppSecret is never shown again after it is made. Rotate it to get a new one.'), rotate, secretResult]),
      card('Origin allow-list', originForm),
    ),
    card('Third-party keys', [keyList, h('h3', 'Add a key'), keyForm], { sub: 'For the token flow: your server signs an ES256 JWT for each user with the private key; the server checks it with the public key registered here.' }),
  );
}
