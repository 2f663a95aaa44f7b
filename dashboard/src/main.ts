// The dashboard's entry: checks the session (sign-in page when there is none), draws the top
// bar, and routes #/… hashes to pages. Each page returns a cleanup that stops its polling and
// frees its charts when the user leaves it.

import { api, ApiError, setCsrfToken, setUnauthorizedHandler, type App, type Session } from './api';
import { h, replace } from './dom';
import { parseHash, href, type Route } from './routes';
import { errorBox, loading } from './ui';
import { renderSignIn } from './pages/signin';
import { renderApps } from './pages/apps';
import { renderAccess } from './pages/access';
import { renderIntegration } from './pages/integration';
import { renderSettings } from './pages/settings';
import { renderConferences } from './pages/conferences';
import { renderConference } from './pages/conference';
import { renderOverview } from './pages/overview';

export interface Ctx {
  session: Session;
  apps: App[];
  app: App | null;
  /** Reloads the app list (after a create). */
  refreshApps: () => Promise<void>;
}

type Cleanup = (() => void) | void;
type PageFn = (view: HTMLElement, route: Route, ctx: Ctx) => Cleanup | Promise<Cleanup>;

const PAGES: Record<string, PageFn> = {
  apps: renderApps,
  overview: renderOverview,
  conferences: renderConferences,
  conference: renderConference,
  integration: renderIntegration,
  settings: renderSettings,
  access: renderAccess,
};

const LAST_APP = 'callstats.lastApp';
let session: Session | null = null;
let apps: App[] = [];
let cleanup: Cleanup = undefined;
let renderSeq = 0;
const root = document.getElementById('root') ?? document.body.appendChild(h('div', { id: 'root' }));

function stopPage(): void {
  if (typeof cleanup === 'function') {
    try {
      cleanup();
    } catch {
      /* leaving anyway */
    }
  }
  cleanup = undefined;
}

function showSignIn(message?: string): void {
  stopPage();
  session = null;
  setCsrfToken('');
  document.title = 'Sign in · callstats';
  renderSignIn(root, message, async (s) => {
    session = s;
    setCsrfToken(s.csrfToken);
    await loadApps();
    void route();
  });
}

async function loadApps(): Promise<void> {
  apps = await api.apps();
  apps.sort((a, b) => a.name.localeCompare(b.name) || a.appID - b.appID);
}

const TABS: { page: Route['page']; label: string; to: (id: number) => string }[] = [
  { page: 'overview', label: 'Overview', to: (id) => href.overview(id) },
  { page: 'conferences', label: 'Conferences', to: (id) => href.conferences(id) },
  { page: 'integration', label: 'Integration', to: (id) => href.integration(id) },
  { page: 'settings', label: 'Settings', to: (id) => href.settings(id) },
  { page: 'access', label: 'Keys & access', to: (id) => href.access(id) },
];

function topbar(r: Route, app: App | null): HTMLElement {
  const picker = h(
    'select.app-picker',
    {
      'aria-label': 'App',
      onchange: (e: Event) => {
        const id = Number((e.target as HTMLSelectElement).value);
        if (!id) return;
        const page = r.page === 'conference' ? 'conferences' : TABS.some((t) => t.page === r.page) ? r.page : 'overview';
        location.hash = TABS.find((t) => t.page === page)!.to(id);
      },
    },
    app ? null : h('option', { value: '' }, 'Choose an app…'),
    apps.map((a) => h('option', { value: a.appID, selected: a.appID === app?.appID }, `${a.name} (${a.appID})`)),
  );
  const current = r.page === 'conference' ? 'conferences' : r.page;
  return h(
    'header.topbar',
    h('a.brand', { href: '#/' }, h('span.brand-mark', { 'aria-hidden': 'true' }), 'callstats'),
    apps.length ? picker : null,
    app
      ? h(
          'nav.tabs',
          { 'aria-label': 'App pages' },
          TABS.map((t) => h(`a.tab${current === t.page ? '.on' : ''}`, { href: t.to(app.appID), 'aria-current': current === t.page ? 'page' : undefined }, t.label)),
        )
      : h('nav.tabs'),
    h(
      'div.topbar-right',
      h(`a.tab${r.page === 'apps' ? '.on' : ''}`, { href: href.apps() }, 'All apps'),
      h('span.user', { title: 'Signed in' }, session?.username ?? ''),
      h(
        'button.btn.ghost.small',
        {
          type: 'button',
          onclick: async () => {
            try {
              await api.signOut();
            } catch {
              /* signed out either way */
            }
            showSignIn('You have signed out.');
          },
        },
        'Sign out',
      ),
    ),
  );
}

async function route(): Promise<void> {
  if (!session) return;
  const seq = ++renderSeq;
  stopPage();
  const r = parseHash(location.hash);
  if (r.page === 'home') {
    const last = Number(localStorage.getItem(LAST_APP));
    const target = apps.find((a) => a.appID === last) ?? apps[0];
    location.replace(target ? href.overview(target.appID) : href.apps());
    return;
  }
  let app: App | null = null;
  if (r.appID !== undefined) {
    app = apps.find((a) => a.appID === r.appID) ?? null;
    if (!app) {
      // Perhaps created elsewhere since the list was loaded.
      try {
        await loadApps();
      } catch {
        /* shown below */
      }
      app = apps.find((a) => a.appID === r.appID) ?? null;
    }
    if (app) localStorage.setItem(LAST_APP, String(app.appID));
  }
  if (seq !== renderSeq) return;
  const view = h('main.view', { id: 'view' });
  let bar = topbar(r, app);
  replace(root, bar, view);
  if (r.appID !== undefined && !app) {
    replace(view, errorBox(new Error(`There is no app ${r.appID}.`)), h('p', h('a', { href: href.apps() }, 'See all apps')));
    return;
  }
  const ctx: Ctx = {
    session: session!,
    apps,
    app,
    refreshApps: async () => {
      await loadApps();
      ctx.apps = apps;
      // The app picker in the top bar lists them too.
      const next = topbar(r, app);
      bar.replaceWith(next);
      bar = next;
    },
  };
  view.appendChild(loading());
  try {
    const c = await PAGES[r.page]!(view, r, ctx);
    if (seq !== renderSeq) {
      if (typeof c === 'function') c();
      return;
    }
    cleanup = c;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    if (seq === renderSeq) replace(view, errorBox(err));
  }
  window.scrollTo(0, 0);
}

async function start(): Promise<void> {
  setUnauthorizedHandler(() => showSignIn('Your session has ended. Sign in again.'));
  window.addEventListener('hashchange', () => void route());
  replace(root, loading('Starting…'));
  try {
    session = await api.session();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return showSignIn();
    replace(root, h('div.center', errorBox(err)));
    return;
  }
  setCsrfToken(session.csrfToken);
  try {
    await loadApps();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    replace(root, h('div.center', errorBox(err)));
    return;
  }
  void route();
}

// Hash changes while signed out are kept for after sign-in, but not routed.
void start();
