/**
 * The two JWTs the SDK handles: the `code` it signs itself in the AppSecret flow (PROTOCOL.md
 * §4.2), and the access token the server returns, whose payload configures the SDK (§4.5).
 *
 * Unlike the original, the access token is decoded as real base64url: the original's `atob()`
 * choked on `-` and `_` and then re-authenticated in a loop.
 */

import { hmacSha256 } from './sha256';

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export function base64url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]!);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function base64urlDecode(s: string): Uint8Array {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/').replace(/\s+/g, '');
  const bin = atob(b64 + '==='.slice((b64.length + 3) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => (b < 16 ? '0' : '') + b.toString(16)).join('');

type Subtle = Pick<SubtleCrypto, 'importKey' | 'sign'>;

function subtle(): Subtle | undefined {
  try {
    const c = (globalThis as { crypto?: Crypto }).crypto;
    return c && c.subtle && typeof c.subtle.importKey === 'function' ? c.subtle : undefined;
  } catch {
    return undefined;
  }
}

/** HMAC-SHA-256, through WebCrypto when the page has it, otherwise in JavaScript. */
export async function hmac(key: Uint8Array, data: Uint8Array, crypto: Subtle | undefined = subtle()): Promise<Uint8Array> {
  if (crypto) {
    try {
      const k = await crypto.importKey('raw', key as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      return new Uint8Array(await crypto.sign('HMAC', k, data as BufferSource));
    } catch {
      // Some embedded browsers expose subtle but refuse HMAC keys; the fallback is exact.
    }
  }
  return hmacSha256(key, data);
}

/**
 * The AppSecret flow's `code`: `{"alg":"HS256"}` . `{userID, appID, generateTurnCredentials}`,
 * signed with the secret's UTF-8 bytes (which is what our server verifies; for the ASCII secrets
 * it issues this equals the original's byte-per-character key). A secret of the form
 * `<keyIdBase64>:<secret>` is the original's key-ID form: the key ID goes into the payload as hex
 * and only the part after the colon signs.
 */
export async function signCode(userID: string, appID: string, secret: string, crypto?: Subtle): Promise<string> {
  const payload: Record<string, unknown> = { userID, appID, generateTurnCredentials: false };
  let key = secret;
  const colon = secret.indexOf(':');
  if (colon > 0) {
    try {
      payload['keyId'] = hex(base64urlDecode(secret.slice(0, colon)));
      key = secret.slice(colon + 1);
    } catch {
      key = secret;
    }
  }
  const signingInput = base64url(utf8('{"alg":"HS256"}')) + '.' + base64url(utf8(JSON.stringify(payload)));
  const sig = await hmac(utf8(key), utf8(signingInput), crypto === undefined ? subtle() : crypto);
  return signingInput + '.' + base64url(sig);
}

/** What the SDK takes from the access token. */
export interface AccessClaims {
  appID?: number | string;
  userID?: string;
  /** Stats submission period, ms. */
  submissionInterval: number;
  collectSDP: boolean;
  /** `undefined` when the server sent no list: then nothing is gated. */
  ingestedEvents?: string[];
  /** Epoch ms after which the token is refused, if the token says. */
  expiresAt?: number;
}

/** Used when a token has no usable `submissionInterval` (the original then sent no stats at all). */
export const DEFAULT_SUBMISSION_INTERVAL = 15000;

export function decodeClaims(token: string): AccessClaims | null {
  const parts = typeof token === 'string' ? token.split('.') : [];
  if (parts.length < 2) return null;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(new TextDecoder().decode(base64urlDecode(parts[1]!)));
  } catch {
    return null;
  }
  if (!raw || typeof raw !== 'object') return null;
  const si = Number(raw['submissionInterval']);
  const claims: AccessClaims = {
    submissionInterval: si > 0 && isFinite(si) ? si : DEFAULT_SUBMISSION_INTERVAL,
    collectSDP: raw['collectSDP'] === true,
  };
  if (typeof raw['appID'] === 'number' || typeof raw['appID'] === 'string') claims.appID = raw['appID'] as number | string;
  if (typeof raw['userID'] === 'string') claims.userID = raw['userID'];
  if (Array.isArray(raw['ingestedEvents'])) claims.ingestedEvents = raw['ingestedEvents'].filter((e) => typeof e === 'string');
  const expiry = typeof raw['expiry'] === 'string' ? Date.parse(raw['expiry'].replace(' ', 'T')) : NaN;
  if (isFinite(expiry)) claims.expiresAt = expiry;
  else if (typeof raw['exp'] === 'number') claims.expiresAt = raw['exp'] * 1000;
  return claims;
}
