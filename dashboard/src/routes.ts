// Hash routes: #/apps, #/apps/123/overview?range=7d, #/apps/123/conferences?user=alice,
// #/apps/123/conferences/<encodeURIComponent(confID)>, …/integration, …/settings, …/access.
// Pure functions (unit-tested).

export type Page = 'apps' | 'overview' | 'conferences' | 'conference' | 'integration' | 'settings' | 'access' | 'home';

export interface Route {
  page: Page;
  appID?: number;
  confID?: string;
  query: Record<string, string>;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const qi = raw.indexOf('?');
  const path = qi >= 0 ? raw.slice(0, qi) : raw;
  const query: Record<string, string> = {};
  if (qi >= 0) new URLSearchParams(raw.slice(qi + 1)).forEach((v, k) => (query[k] = v));
  const parts = path.split('/').filter(Boolean);
  if (parts[0] !== 'apps') return { page: 'home', query };
  if (parts.length === 1) return { page: 'apps', query };
  const appID = Number(parts[1]);
  if (!Number.isSafeInteger(appID)) return { page: 'home', query };
  const sub = parts[2] ?? 'overview';
  if (sub === 'conferences' && parts.length >= 4) {
    let confID: string;
    try {
      confID = decodeURIComponent(parts.slice(3).join('/'));
    } catch {
      confID = parts.slice(3).join('/');
    }
    return { page: 'conference', appID, confID, query };
  }
  const pages: Page[] = ['overview', 'conferences', 'integration', 'settings', 'access'];
  const page = pages.find((p) => p === sub);
  return page ? { page, appID, query } : { page: 'home', query };
}

function qs(query?: Record<string, string | number | null | undefined>): string {
  if (!query) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export const href = {
  apps: () => '#/apps',
  overview: (app: number, q?: Record<string, string | number | null | undefined>) => `#/apps/${app}/overview${qs(q)}`,
  conferences: (app: number, q?: Record<string, string | number | null | undefined>) => `#/apps/${app}/conferences${qs(q)}`,
  conference: (app: number, confID: string) => `#/apps/${app}/conferences/${encodeURIComponent(confID)}`,
  integration: (app: number) => `#/apps/${app}/integration`,
  settings: (app: number) => `#/apps/${app}/settings`,
  access: (app: number) => `#/apps/${app}/access`,
};

/** Time ranges offered by the pickers, in ms. */
export const RANGES: { key: string; label: string; ms: number }[] = [
  { key: '1h', label: 'Last hour', ms: 3_600_000 },
  { key: '24h', label: 'Last 24 h', ms: 86_400_000 },
  { key: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { key: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
];

export function rangeMs(key: string | undefined): number | null {
  return RANGES.find((r) => r.key === key)?.ms ?? null;
}
