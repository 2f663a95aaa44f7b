/**
 * The SDK's standing with the server: where it is, who we are, the access token, and the clock
 * offset.
 *
 * Authentication differs from the original on purpose (PROTOCOL.md §4.6 lists its defects):
 * transient failures (network, 5xx, 429, garbled replies) are retried with jittered exponential
 * backoff instead of a 110 ms loop; the server's RETRY and GET_NEW_TOKEN actions are honoured
 * instead of dead-ending; REPORT_ERROR and plain 4xx refusals stop and tell the app. The token is
 * refreshed when 90 % of its life has passed, on demand (when something is about to be sent), so
 * an idle page runs no timer at all.
 */

import { decodeClaims, signCode, type AccessClaims } from './auth/jwt';
import { backoffDelay } from './net/backoff';
import { clockOffset, type ClockSample } from './net/clock';
import { request } from './net/http';

export interface Urls {
  auth?: string;
  collector?: string;
  events?: string;
  stats?: string;
  config?: string;
}

export type TokenGenerator = (forceNew: boolean, cb: (err: unknown, token?: string) => void) => unknown;

export interface Credentials {
  /** The app ID as the app gave it (signed into the code JWT as is). */
  appID: string;
  /** The local user ID on the wire (a string, or a user object's aliasName). */
  userID: string;
  secret?: string;
  tokenGenerator?: TokenGenerator;
}

export interface SessionHooks {
  /** csInitCallback. */
  init(status: string, message: string): void;
  /** A new token is usable (first one or a refresh). */
  authenticated(first: boolean): void;
  /** The clock offset is settled (or given up on); held-back sends may go. */
  clockSettled(): void;
  /** Whether anything still needs the server; when not, retries stop instead of going on forever. */
  busy(): boolean;
}

/** Auth error actions of the `urn:x-callstats:auth:errorActions` body. */
const RETRY = 0;
const GET_NEW_TOKEN = 1;
const REPORT_ERROR = 2;

/** Retries that an idle SDK (no fabric, nothing queued) makes before going quiet. */
const IDLE_RETRY_LIMIT = 6;
/** Refresh once this share of the token's life has passed. */
const REFRESH_AT = 0.9;
/** Offsets older than this are measured again on the next authentication, ms. */
const CLOCK_MAX_AGE = 30 * 60 * 1000;

export const AUTH_SUCCESS_MESSAGE = 'SDK authentication successful.';

export class Session {
  urls: Urls = {};
  creds: Credentials | undefined;
  token: string | undefined;
  claims: AccessClaims | undefined;
  /** Local ms after which the token must be refreshed / is unusable. */
  private refreshAt = 0;
  private expiresAt = 0;
  /** 'failed' is final until the app calls initialize() again. */
  state: 'idle' | 'pending' | 'ready' | 'failed' = 'idle';
  private generation = 0;
  private failures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private forceNew = false;
  private outageReported = false;
  private authCount = 0;

  /** Whether the last authentication attempt reached the server (the stats callback's connectionState). */
  reachable = true;
  offset = 0;
  clock: 'unsynced' | 'pending' | 'synced' | 'failed' = 'unsynced';
  private clockAt = 0;

  constructor(private readonly hooks: SessionHooks, private readonly now: () => number = Date.now) {}

  /** Server-synchronised now, ms. */
  serverNow(): number {
    return this.now() + this.offset;
  }

  start(creds: Credentials): void {
    this.generation++;
    this.creds = creds;
    this.token = undefined;
    this.claims = undefined;
    this.state = 'idle';
    this.failures = 0;
    this.forceNew = false;
    this.outageReported = false;
    this.authCount = 0;
    this.clearRetry();
    this.ensure();
  }

  /** Whether the token can be attached to a request now; kicks off a refresh when it is due. */
  usableToken(): string | undefined {
    const now = this.now();
    if (this.token && now >= this.refreshAt) this.ensure();
    return this.token && now < this.expiresAt ? this.token : undefined;
  }

  /** The server refused `token`: forget it and authenticate again. */
  invalidate(token: string | undefined): void {
    if (token && token === this.token) {
      this.token = undefined;
      if (this.state === 'ready') this.state = 'idle';
    }
    this.ensure();
  }

  /** Starts authenticating unless that is under way, waiting for a retry, impossible, or given up. */
  ensure(): void {
    if (!this.creds || !this.urls.auth || this.state === 'pending' || this.state === 'failed' || this.retryTimer) return;
    if (this.token && this.now() < this.refreshAt) return;
    void this.authenticate();
  }

  private clearRetry(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private scheduleRetry(minDelay = 0): void {
    const gen = this.generation;
    if (!this.hooks.busy() && this.failures > IDLE_RETRY_LIMIT) {
      // Nobody is waiting for the server; the next addNewFabric or send restarts the attempts.
      this.failures = 0;
      return;
    }
    const delay = Math.max(minDelay, backoffDelay(this.failures - 1));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (gen === this.generation) this.ensure();
    }, delay);
  }

  private fail(status: 'authError' | 'tokenGenerationError', message: string): void {
    this.state = 'failed';
    this.token = undefined;
    this.hooks.init(status, message);
  }

  private code(creds: Credentials): Promise<string> {
    if (creds.secret !== undefined) return signCode(creds.userID, creds.appID, creds.secret);
    return new Promise<string>((resolve, reject) => {
      let settled = false;
      const cb = (err: unknown, token?: string) => {
        if (settled) return;
        settled = true;
        if (err) reject(err);
        else if (typeof token === 'string' && token) resolve(token);
        else reject(new Error('the token generator gave no token'));
      };
      const forceNew = this.forceNew;
      this.forceNew = false;
      const r = creds.tokenGenerator!(forceNew, cb) as { then?: unknown } | undefined;
      // Some apps return a promise of the token instead of calling back.
      if (r && typeof r.then === 'function') (r as Promise<string>).then((t) => cb(null, t), (e) => cb(e || new Error('rejected')));
    });
  }

  private async authenticate(): Promise<void> {
    const creds = this.creds!;
    const gen = this.generation;
    this.state = 'pending';
    let code: string;
    try {
      code = await this.code(creds);
    } catch (e) {
      if (gen !== this.generation) return;
      if (creds.secret !== undefined) this.fail('tokenGenerationError', `could not sign the authentication token: ${String(e)}`);
      else this.fail('tokenGenerationError', String(e instanceof Error ? e.message : e));
      return;
    }
    if (gen !== this.generation) return;
    const form = new URLSearchParams({
      client_id: `${creds.userID}@${creds.appID}`,
      code,
      grant_type: 'authorization_code',
    });
    const res = await request(this.urls.auth + 'authenticate', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      timeoutMs: 10000,
    });
    if (gen !== this.generation) return;
    this.reachable = res.status !== 0;
    const body = res.body;
    const actions = body && body['urn:x-callstats:auth:errorActions'];
    if (Array.isArray(actions) && actions.length) {
      this.state = 'idle';
      let retryAfter: number | undefined;
      for (const a of actions as { action?: number; params?: Record<string, unknown> }[]) {
        const params = (a && a.params) || {};
        if (a && a.action === REPORT_ERROR) {
          const reason = typeof params['errorReason'] === 'string' ? params['errorReason'] : res.reason || 'authentication refused';
          this.fail('authError', reason);
          return;
        }
        if (a && a.action === GET_NEW_TOKEN) this.forceNew = true;
        if (a && a.action === RETRY) retryAfter = Number(params['timeout']) || 0;
      }
      this.failures++;
      this.scheduleRetry(retryAfter);
      return;
    }
    const token = body && typeof body['access_token'] === 'string' ? body['access_token'] : undefined;
    const bearer = body && String(body['token_type']).toLowerCase() === 'bearer';
    const claims = token ? decodeClaims(token) : null;
    if (res.status === 200 && token && bearer && claims) {
      this.accept(token, claims, Number(body!['expires_in']));
      return;
    }
    this.state = 'idle';
    const permanent = res.outcome === 'reject' && res.status >= 400 && res.status < 500;
    if (permanent) {
      this.fail('authError', res.reason);
      return;
    }
    this.failures++;
    if (!this.outageReported) {
      this.outageReported = true;
      this.hooks.init('httpError', `authentication failed (${res.reason || 'unusable reply'}); retrying`);
    }
    this.scheduleRetry(res.retryAfter);
  }

  private accept(token: string, claims: AccessClaims, expiresIn: number): void {
    const now = this.now();
    // expires_in is relative and so immune to a wrong local clock; the claim's absolute expiry
    // (server time) is the fallback.
    let lifetime = expiresIn > 0 ? expiresIn * 1000 : claims.expiresAt !== undefined ? claims.expiresAt - this.offset - now : NaN;
    if (!isFinite(lifetime) || lifetime <= 0) lifetime = 3600 * 1000;
    this.token = token;
    this.claims = claims;
    this.expiresAt = now + lifetime;
    this.refreshAt = now + lifetime * REFRESH_AT;
    this.state = 'ready';
    this.failures = 0;
    this.outageReported = false;
    const first = this.authCount++ === 0;
    this.hooks.init('success', AUTH_SUCCESS_MESSAGE);
    this.hooks.authenticated(first);
    if (this.clock === 'unsynced' || this.clock === 'failed' || now - this.clockAt > CLOCK_MAX_AGE) void this.syncClock();
  }

  /** Whether event timestamps can be computed (synchronised, or synchronisation given up). */
  clockSettled(): boolean {
    return this.clock === 'synced' || this.clock === 'failed' || (this.clock === 'pending' && this.clockAt > 0);
  }

  private async syncClock(): Promise<void> {
    if (this.clock === 'pending') return;
    if (!this.urls.collector) {
      // Nothing to measure against; send with the local clock rather than hold everything.
      this.clock = 'failed';
      this.clockAt = this.now();
      this.hooks.clockSettled();
      return;
    }
    this.clock = 'pending';
    const samples: ClockSample[] = [];
    for (let i = 0; i < 3; i++) {
      const sent = this.now();
      const res = await request(this.urls.collector + 'clockSync', { timeoutMs: 5000 });
      const received = this.now();
      const server = res.body ? Number(res.body['now']) : NaN;
      if (res.outcome !== 'ok' || !isFinite(server)) break;
      samples.push({ sent, received, server });
    }
    const offset = clockOffset(samples);
    if (offset !== null) {
      this.offset = offset;
      this.clock = 'synced';
    } else {
      // Keep the previous offset (zero at first): late but ordered timestamps beat holding every
      // event back until the clock endpoint answers.
      this.clock = 'failed';
    }
    this.clockAt = this.now();
    this.hooks.clockSettled();
  }
}
