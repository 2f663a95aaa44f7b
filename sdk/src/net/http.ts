/**
 * One HTTP exchange with the server, classified the way every caller needs it.
 *
 * The original looked only at the JSON `status` and ignored HTTP codes; our server sets both, and
 * the SDK uses both: the code decides between "retry later" and "give up", the JSON `msg`
 * recognises an expired token.
 */

export type Outcome =
  /** 2xx and, when the body is JSON with a `status`, `status: "success"`. */
  | 'ok'
  /** The access token was refused or has expired: authenticate again, then retry. */
  | 'auth'
  /** Network failure, timeout, 5xx, 408, 429, or an answer that is not ours (a proxy page): retry later. */
  | 'retry'
  /** Any other refusal: the request itself is wrong and sending it again cannot help. */
  | 'reject';

export interface Response {
  outcome: Outcome;
  status: number;
  body: Record<string, unknown> | undefined;
  /** Human-readable reason for anything but ok. */
  reason: string;
  /** Server's Retry-After, ms, when given. */
  retryAfter?: number;
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  /** Lets the request outlive the page (unload). */
  keepalive?: boolean;
  /**
   * Gzip a body of at least `GZIP_MIN_BYTES` when the browser has CompressionStream, sending
   * `Content-Encoding: gzip` (an extension our server accepts; stats JSON shrinks about
   * fivefold). Without CompressionStream the body goes as it is.
   */
  compress?: boolean;
}

export const GZIP_MIN_BYTES = 1024;

async function gzip(text: string): Promise<ArrayBuffer | undefined> {
  const CS = (globalThis as { CompressionStream?: new (format: string) => TransformStream<Uint8Array, Uint8Array> }).CompressionStream;
  const R = (globalThis as { Response?: typeof globalThis.Response }).Response;
  if (typeof CS !== 'function' || typeof R !== 'function' || typeof Blob !== 'function') return undefined;
  try {
    return await new R(new Blob([text]).stream().pipeThrough(new CS('gzip'))).arrayBuffer();
  } catch {
    return undefined;
  }
}

export const TOKEN_EXPIRED = 'Token has expired';

export function classify(status: number, body: Record<string, unknown> | undefined): Outcome {
  const msg = body && typeof body['msg'] === 'string' ? body['msg'] : '';
  if (status === 401 || msg === TOKEN_EXPIRED) return 'auth';
  if (status === 0 || status >= 500 || status === 408 || status === 429) return 'retry';
  if (status >= 200 && status < 300) {
    if (body === undefined) return 'retry';
    return body['status'] === undefined || body['status'] === 'success' ? 'ok' : 'reject';
  }
  // A 4xx that is not JSON did not come from our server (a proxy or a wrong base URL).
  return body === undefined && status !== 404 ? 'retry' : 'reject';
}

export async function request(url: string, opts: RequestOptions = {}): Promise<Response> {
  const f = (globalThis as { fetch?: typeof fetch }).fetch;
  if (typeof f !== 'function') return { outcome: 'reject', status: 0, body: undefined, reason: 'fetch is not available' };
  const ctl = typeof AbortController === 'function' ? new AbortController() : undefined;
  const timer = ctl ? setTimeout(() => ctl.abort(), opts.timeoutMs ?? 15000) : undefined;
  try {
    const init: RequestInit = { method: opts.method ?? 'GET', credentials: 'omit', mode: 'cors', cache: 'no-store' };
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    let body: string | ArrayBuffer | undefined = opts.body;
    if (opts.compress && opts.body !== undefined && opts.body.length >= GZIP_MIN_BYTES) {
      const packed = await gzip(opts.body);
      if (packed) {
        body = packed;
        headers['Content-Encoding'] = 'gzip';
      }
    }
    if (opts.headers || headers['Content-Encoding']) init.headers = headers;
    if (body !== undefined) init.body = body;
    if (opts.keepalive) init.keepalive = true;
    if (ctl) init.signal = ctl.signal;
    const res = await f(url, init);
    let answer: Record<string, unknown> | undefined;
    try {
      const text = await res.text();
      const parsed = text ? JSON.parse(text) : undefined;
      answer = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : undefined;
    } catch {
      answer = undefined;
    }
    const outcome = classify(res.status, answer);
    const msg = answer && (typeof answer['msg'] === 'string' ? answer['msg'] : typeof answer['errorReason'] === 'string' ? answer['errorReason'] : '');
    const out: Response = { outcome, status: res.status, body: answer, reason: outcome === 'ok' ? '' : `HTTP ${res.status}${msg ? ': ' + msg : ''}` };
    const ra = Number(res.headers && res.headers.get ? res.headers.get('Retry-After') : NaN);
    if (ra > 0) out.retryAfter = ra * 1000;
    return out;
  } catch (e) {
    const aborted = ctl && ctl.signal.aborted;
    return { outcome: 'retry', status: 0, body: undefined, reason: aborted ? 'request timed out' : `network error: ${String((e as Error)?.message ?? e)}` };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
