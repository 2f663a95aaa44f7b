/**
 * What the SDK learns about the browser it runs in: endpoint description for user joined, a
 * persistent device ID, and random IDs. Everything tolerates a missing API (workers, node tests,
 * storage blocked by privacy settings), because none of it may ever break the host page.
 */

export interface EndpointInfo {
  type: 'browser';
  buildName: string;
  buildVersion: string;
  appVersion?: string;
  os: string;
  osVersion: string | null;
  userAgent: string;
}

const match = (ua: string, re: RegExp): string | undefined => {
  const m = re.exec(ua);
  return m ? m[1] : undefined;
};

/** Browser and OS from a user-agent string; order matters (Edge and Opera also say Chrome). */
export function parseUserAgent(ua: string): Omit<EndpointInfo, 'type' | 'appVersion'> {
  let buildName = 'Unknown';
  let buildVersion = '';
  const browsers: [string, RegExp][] = [
    ['Edge', /Edg(?:e|A|iOS)?\/([\d.]+)/],
    ['Opera', /OPR\/([\d.]+)/],
    ['Firefox', /(?:Firefox|FxiOS)\/([\d.]+)/],
    ['Chrome', /(?:Chrome|CriOS)\/([\d.]+)/],
    ['Safari', /Version\/([\d.]+).*Safari/],
  ];
  for (const [name, re] of browsers) {
    const v = match(ua, re);
    if (v) {
      buildName = name;
      buildVersion = v;
      break;
    }
  }
  let os = 'Unknown';
  let osVersion: string | null = null;
  const ver = (s: string | undefined) => (s ? s.replace(/_/g, '.') : null);
  if (/Windows NT/.test(ua)) {
    os = 'Windows';
    osVersion = match(ua, /Windows NT ([\d.]+)/) ?? null;
  } else if (/Android/.test(ua)) {
    os = 'Android';
    osVersion = match(ua, /Android ([\d.]+)/) ?? null;
  } else if (/iPhone|iPad|iPod/.test(ua)) {
    os = 'iOS';
    osVersion = ver(match(ua, /OS ([\d_]+)/));
  } else if (/Mac OS X/.test(ua)) {
    os = 'Mac OS X';
    osVersion = ver(match(ua, /Mac OS X ([\d_.]+)/));
  } else if (/CrOS/.test(ua)) {
    os = 'Chrome OS';
  } else if (/Linux/.test(ua)) {
    os = 'Linux';
  }
  return { buildName, buildVersion, os, osVersion, userAgent: ua };
}

export function endpointInfo(appVersion?: string): EndpointInfo {
  const ua = typeof navigator !== 'undefined' && typeof navigator.userAgent === 'string' ? navigator.userAgent : '';
  const info: EndpointInfo = { type: 'browser', ...parseUserAgent(ua) };
  if (appVersion) info.appVersion = appVersion;
  return info;
}

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  try {
    globalThis.crypto.getRandomValues(out);
  } catch {
    for (let i = 0; i < n; i++) out[i] = Math.floor(Math.random() * 256);
  }
  return out;
}

export const randomHex = (bytes: number): string =>
  Array.from(randomBytes(bytes), (b) => (b < 16 ? '0' : '') + b.toString(16)).join('');

/** A connection ID like the original's: ten base-36 characters. */
export const randomConnectionId = (): string =>
  Array.from(randomBytes(10), (b) => (b % 36).toString(36)).join('');

const DEVICE_KEY = 'callstats.deviceID';
let memoryDeviceId: string | undefined;

/** A random 64-hex ID that survives reloads when localStorage is usable, per page otherwise. */
export function deviceId(): string {
  try {
    const s = globalThis.localStorage;
    const v = s.getItem(DEVICE_KEY);
    if (v && /^[0-9a-f]{64}$/.test(v)) return v;
    const id = randomHex(32);
    s.setItem(DEVICE_KEY, id);
    return id;
  } catch {
    return (memoryDeviceId ??= randomHex(32));
  }
}

/** Byte length of a string in UTF-8. */
export const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

/** Cuts `s` to at most `max` UTF-8 bytes without splitting a character. */
export function truncateUtf8(s: string, max: number): string {
  if (s.length <= max / 3 || utf8Length(s) <= max) return s;
  const bytes = new TextEncoder().encode(s).subarray(0, max);
  // A cut inside a multi-byte sequence decodes to U+FFFD; drop it.
  return new TextDecoder().decode(bytes).replace(/\uFFFD$/, '');
}
