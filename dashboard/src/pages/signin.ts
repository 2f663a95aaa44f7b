// Sign-in: username and password against POST /api/v1/session. The page the user was on stays
// in the address bar and opens after signing in.

import { api, type Session } from '../api';
import { h, replace } from '../dom';
import { busy, errorBox } from '../ui';

export function renderSignIn(root: HTMLElement, message: string | undefined, done: (s: Session) => Promise<void>): void {
  const user = h('input', { name: 'username', autocomplete: 'username', value: 'admin', required: true, id: 'signin-user' });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, id: 'signin-pass' });
  const err = h('div.form-msg');
  const submit = h('button.btn.primary.wide', { type: 'submit' }, 'Sign in');
  const form = h(
    'form.signin-card',
    { 'data-testid': 'signin' },
    h('div.brand.big', h('span.brand-mark', { 'aria-hidden': 'true' }), 'callstats'),
    h('h1', 'Sign in'),
    h('p.sub', 'Call quality for your WebRTC app.'),
    message ? h('div.alert.info', message) : null,
    h('label.field', { for: 'signin-user' }, h('span', 'Username'), user),
    h('label.field', { for: 'signin-pass' }, h('span', 'Password'), pass),
    err,
    submit,
    h('p.hint', 'The first start of the server prints the admin password; ', h('code', 'callstats admin password'), ' sets a new one.'),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    replace(err);
    try {
      const s = await busy(submit, () => api.signIn(user.value.trim(), pass.value));
      await done(s);
    } catch (ex) {
      replace(err, errorBox(ex));
      pass.select();
    }
  });
  replace(root, h('div.signin', form));
  (user.value ? pass : user).focus();
}
