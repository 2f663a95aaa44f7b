/**
 * The default server address: wherever the SDK itself was loaded from.
 *
 * The server serves the bundle at `/static/callstats.min.js`, so the part of the script URL
 * before `static/` is the server's base (this also holds behind a reverse proxy that mounts the
 * server under a path prefix). A copy served from elsewhere (a CDN, the app's own bundle) has no
 * way to know the server, and the app must call setProxyConfig().
 */

const SDK_FILE = /\/callstats[^/]*\.m?js(?:[?#].*)?$/;

/** Base URL (ending in `/`) for a script URL, or undefined if it does not look like ours. */
export function baseFromScriptUrl(src: string | null | undefined): string | undefined {
  if (!src) return undefined;
  let u: URL;
  try {
    u = new URL(src);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  if (!SDK_FILE.test(u.pathname)) return undefined;
  const i = u.pathname.lastIndexOf('/static/');
  return u.origin + (i >= 0 ? u.pathname.slice(0, i + 1) : '/');
}

/** Must run while the script is being evaluated: currentScript is null afterwards. */
export function detectScriptBase(): string | undefined {
  try {
    if (typeof document === 'undefined') return undefined;
    const cur = document.currentScript as HTMLScriptElement | null;
    const fromCurrent = cur && baseFromScriptUrl(cur.src);
    if (fromCurrent) return fromCurrent;
    // Loaded by an AMD loader or injected some other way: look for our script tag.
    const scripts = document.getElementsByTagName('script');
    for (let i = scripts.length - 1; i >= 0; i--) {
      const b = baseFromScriptUrl(scripts[i]!.src);
      if (b) return b;
    }
  } catch {
    // No DOM worth asking.
  }
  return undefined;
}
