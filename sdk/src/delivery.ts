/**
 * Getting events and stats to the server, whatever the server is doing.
 *
 * Everything goes through one bounded queue (see net/queue.ts for what is dropped first). An item
 * is sent once the SDK holds a usable token, the clock offset is settled, and its conference has a
 * ucID; user joined only needs the token, and is retried until it succeeds, because the original
 * lost the whole conference when that one request failed. At most a few requests are in flight,
 * user joined first, the rest in order; there is no fixed drip (the original sent one request per
 * 200 ms).
 *
 * Failures are told apart (net/http.ts): a network error or 5xx pauses the whole queue with
 * backoff, since the next request would meet the same outage; an expired token triggers
 * re-authentication and the item waits; a refusal drops just that item, as resending it cannot
 * succeed. When no fabric is active any more and the server stays away, the backlog is given up
 * after a few minutes so that no timer outlives the calls.
 */

import { backoffDelay } from './net/backoff';
import { request, type Response } from './net/http';
import { BoundedQueue, type QueueItem } from './net/queue';
import type { Session } from './session';
import type { CompactEncoder, CompactStream } from './stats/compact';

export interface Conference {
  id: string;
  ucID?: string;
  joinQueued: boolean;
}

export interface Outgoing extends QueueItem {
  eventType: string;
  conf: Conference;
  /** Base URL kind. */
  base: 'events' | 'stats';
  /** Path below the participant; empty for user joined. */
  route: string;
  body: Record<string, unknown>;
  /** Local ms when the event happened; becomes the server-time `timestamp` when sent. */
  createdAt: number;
  /** Told whether the server accepted the item (or why not). */
  done?: (ok: boolean, reason: string) => void;
  /** The `ingestedEvents` name gating this item, if any. */
  gate?: string;
  notBefore: number;
  attempts: number;
  /**
   * The same stats as a numbered compact submission of its fabric: sent to `…/stats/compact`
   * (encoded when sent, against the latest acknowledged one) while the server takes it.
   */
  compact?: { encoder: CompactEncoder; sub: { seq: number; streams: CompactStream[] } };
}

/** Envelope members a compact stats body carries over from the stats body. */
const COMPACT_ENVELOPE = ['localID', 'deviceID', 'remoteID', 'connectionID', 'callstatsVersion'];

export interface DeliveryHooks {
  /** The path segment of the app (its numeric ID). */
  appSegment(): string;
  /** A conference just got its ucID. */
  joined(conf: Conference): void;
  /** The server has forgotten a conference's participant: user joined must be sent again. */
  rejoin(conf: Conference): void;
  /** Something was refused or dropped; for on('error') and the console. */
  problem(message: string): void;
  /** Whether fabrics are still being monitored. */
  active(): boolean;
}

/** Conference ID the original used as "not known yet"; its items wait for setIdentifiers(). */
export const TMP_CONFERENCE_ID = 'csio-conf-id-tmp';

export const QUEUE_CAPACITY = 1000;
const MAX_IN_FLIGHT = 3;
/** Events of one participant sent together through the server's batch extension. */
const MAX_BATCH = 20;
/** Consecutive failed attempts after which an idle SDK abandons its backlog (≈ 4 minutes). */
const IDLE_GIVE_UP = 8;

export class Delivery {
  readonly queue = new BoundedQueue<Outgoing>(QUEUE_CAPACITY);
  private inFlight = 0;
  private failures = 0;
  private blockedUntil = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = 0;
  private pumping = false;
  /** Whether the last exchange with the server worked (the callback's connectionState). */
  reachable = true;

  constructor(private readonly session: Session, private readonly hooks: DeliveryHooks, private readonly now: () => number = Date.now) {}

  enqueue(item: Omit<Outgoing, 'notBefore' | 'attempts'>): void {
    const full = item as Outgoing;
    full.notBefore = 0;
    full.attempts = 0;
    for (const d of this.queue.push(full)) d.done?.(false, 'dropped: the send queue is full');
    this.pump();
  }

  /** A copy of the queued items (setIdentifiers re-homes those of a renamed conference). */
  pending(): Outgoing[] {
    return this.queue.items.slice();
  }

  private schedule(at: number): void {
    if (this.timer !== undefined && this.timerAt <= at) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, Math.max(0, at - this.now()));
  }

  private gated(item: Outgoing): boolean {
    const list = this.session.claims && this.session.claims.ingestedEvents;
    return !!item.gate && !!list && list.indexOf(item.gate) < 0;
  }

  private sendable(item: Outgoing, now: number): boolean {
    if (item.notBefore > now || item.conf.id === TMP_CONFERENCE_ID) return false;
    return item.route === '' ? !item.conf.ucID : !!item.conf.ucID;
  }

  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      this.pumpOnce();
    } finally {
      this.pumping = false;
    }
  }

  private pumpOnce(): void {
    if (!this.queue.size) return;
    const now = this.now();
    if (now < this.blockedUntil) return this.schedule(this.blockedUntil);
    const token = this.session.usableToken();
    // Without a token or a settled clock the session calls back (authenticated/clockSettled).
    if (!token || !this.session.clockSettled()) return;
    for (const item of this.queue.removeWhere((i) => this.gated(i))) item.done?.(false, 'not collected for this app');
    while (this.inFlight < MAX_IN_FLIGHT) {
      const items = this.queue.items;
      let next = items.find((i) => i.route === '' && this.sendable(i, now));
      if (!next) next = items.find((i) => this.sendable(i, now));
      if (!next) break;
      const head = next;
      // Events of the same participant waiting together go in one request (headers are most
      // of what a small event costs), when the server offers the batch extension.
      const group =
        this.batching && head.base === 'events' && head.route !== ''
          ? items
              .filter((i) => i.base === 'events' && i.route !== '' && i.conf === head.conf && this.sendable(i, now))
              .slice(0, MAX_BATCH)
          : [head];
      for (const i of group) this.queue.remove(i);
      void (group.length > 1 ? this.sendBatch(group, token) : this.send(head, token));
    }
    let wake = Infinity;
    for (const i of this.queue.items) if (i.notBefore > now) wake = Math.min(wake, i.notBefore);
    if (wake < Infinity) this.schedule(wake);
  }

  /** Whether the server takes `…/stats/compact`; cleared for good when it says it does not. */
  private compacting = true;

  private compactFor(item: Outgoing): Outgoing['compact'] {
    return this.compacting ? item.compact : undefined;
  }

  url(item: Outgoing): string | undefined {
    const base = item.base === 'stats' ? this.session.urls.stats : this.session.urls.events;
    if (!base) return undefined;
    const conf = `${base}${this.hooks.appSegment()}/conferences/${encodeURIComponent(item.conf.id)}`;
    const route = this.compactFor(item) ? 'stats/compact' : item.route;
    return item.route === '' ? conf : `${conf}/${encodeURIComponent(item.conf.ucID!)}/${route}`;
  }

  /** The JSON actually posted: the item's body with its creation time in server time. */
  wireBody(item: Outgoing): string {
    const timestamp = item.createdAt + this.session.offset;
    const compact = this.compactFor(item);
    if (compact) {
      const body: Record<string, unknown> = {};
      for (const k of COMPACT_ENVELOPE) if (item.body[k] !== undefined) body[k] = item.body[k];
      return JSON.stringify({ ...body, timestamp, ...compact.encoder.encode(compact.sub) });
    }
    return JSON.stringify({ ...item.body, timestamp });
  }

  /**
   * What only a compact stats item needs from an answer: an acknowledged submission becomes the
   * next base; a 409 (the server does not hold the base) means a keyframe; a server without the
   * extension gets report lists from now on. True when the item was requeued.
   */
  private settleCompact(item: Outgoing, res: Response): boolean {
    const compact = this.compactFor(item);
    if (!compact) return false;
    if (res.outcome === 'ok') compact.encoder.acknowledged(compact.sub);
    if (res.outcome !== 'reject') return false;
    const msg = res.body && typeof res.body['msg'] === 'string' ? res.body['msg'] : '';
    if (res.status === 409) {
      // A keyframe cannot meet a 409 from our server; should one come back anyway, the item is
      // refused like any other rather than resent in a loop.
      if (++item.attempts > 2) return false;
      compact.encoder.forgetBase();
    } else if (res.status === 405 || (res.status === 404 && !/ucID/.test(msg))) {
      this.compacting = false;
    } else {
      return false;
    }
    this.requeue(item);
    return true;
  }

  private async send(item: Outgoing, token: string): Promise<void> {
    this.inFlight++;
    let res: Response;
    const url = this.url(item);
    try {
      res = url
        ? await request(url, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
            body: this.wireBody(item),
            timeoutMs: item.kind === 'stats' ? 20000 : 10000,
            compress: true,
          })
        : { outcome: 'reject', status: 0, body: undefined, reason: 'no URL configured for ' + item.base };
    } catch (e) {
      res = { outcome: 'retry', status: 0, body: undefined, reason: String(e) };
    }
    this.inFlight--;
    if (!this.settleCompact(item, res)) this.settle(item, res, token);
    this.pump();
  }

  /** Whether the server takes `…/batch`; cleared for good when it says it does not. */
  private batching = true;

  private async sendBatch(items: Outgoing[], token: string): Promise<void> {
    this.inFlight++;
    const first = items[0]!;
    const url = this.url({ ...first, route: 'batch' });
    let res: Response;
    try {
      res = url
        ? await request(url, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
            body: JSON.stringify({ items: items.map((i) => ({ route: i.route, body: JSON.parse(this.wireBody(i)) })) }),
            timeoutMs: 10000,
            compress: true,
          })
        : { outcome: 'reject', status: 0, body: undefined, reason: 'no URL configured for events' };
    } catch (e) {
      res = { outcome: 'retry', status: 0, body: undefined, reason: String(e) };
    }
    this.inFlight--;
    const results = res.outcome === 'ok' && res.body && Array.isArray(res.body['results']) ? (res.body['results'] as unknown[]) : undefined;
    if (results && results.length === items.length) {
      items.forEach((item, k) => {
        const r = results[k] as Record<string, unknown> | undefined;
        const ok = !!r && r['status'] === 'success';
        const msg = r && typeof r['msg'] === 'string' ? r['msg'] : 'refused';
        this.settle(item, ok ? { outcome: 'ok', status: 200, body: { status: 'success' }, reason: '' } : { outcome: 'reject', status: 400, body: r, reason: msg }, token);
      });
    } else if (res.outcome === 'ok' || (res.outcome === 'reject' && (res.status === 404 || res.status === 405))) {
      // A server without the extension: send one by one from now on.
      this.batching = false;
      for (const i of [...items].reverse()) this.requeue(i);
    } else {
      // One outcome for all: count it once (backoff, re-authentication), keep the others queued.
      this.settle(first, res, token);
      for (const i of items.slice(1).reverse()) {
        if (res.outcome === 'reject') this.settle(i, res, token);
        else this.requeue(i);
      }
    }
    this.pump();
  }

  private requeue(item: Outgoing): void {
    // Back at the front: it is older than anything queued since.
    this.queue.items.unshift(item);
  }

  private settle(item: Outgoing, res: Response, token: string): void {
    const join = item.route === '';
    if (res.outcome === 'ok') {
      const ucID = res.body && res.body['ucID'];
      if (join && (typeof ucID !== 'string' || !ucID) && typeof ucID !== 'number') {
        res = { ...res, outcome: 'retry', reason: 'user joined answered without a ucID' };
      } else {
        this.failures = 0;
        this.blockedUntil = 0;
        this.reachable = true;
        if (join) {
          item.conf.ucID = String(ucID);
          this.hooks.joined(item.conf);
        }
        item.done?.(true, '');
        return;
      }
    }
    if (res.outcome === 'auth') {
      this.requeue(item);
      this.session.invalidate(token);
      return;
    }
    if (res.outcome === 'retry') {
      this.reachable = res.status !== 0 ? this.reachable : false;
      this.failures++;
      if (!this.hooks.active() && this.failures >= IDLE_GIVE_UP) {
        this.requeue(item);
        this.abandon(`the server is unreachable (${res.reason})`);
        return;
      }
      this.blockedUntil = this.now() + Math.max(res.retryAfter ?? 0, backoffDelay(this.failures - 1));
      this.requeue(item);
      return;
    }
    // Refused.
    const msg = res.body && typeof res.body['msg'] === 'string' ? res.body['msg'] : '';
    if (!join && res.status === 404 && /ucID/.test(msg)) {
      // The server no longer knows this participant (its data was reset): join again.
      item.conf.ucID = undefined;
      item.conf.joinQueued = false;
      this.requeue(item);
      this.hooks.rejoin(item.conf);
      return;
    }
    if (join) {
      // Without a ucID nothing else of the conference can be delivered, so user joined is
      // never given up; it is only spaced out.
      item.attempts++;
      item.notBefore = this.now() + backoffDelay(item.attempts - 1);
      this.requeue(item);
      this.hooks.problem(`user joined for conference ${item.conf.id} was refused (${res.reason}); retrying`);
      return;
    }
    this.hooks.problem(`${item.eventType} was refused (${res.reason})`);
    item.done?.(false, res.reason);
  }

  /** Drops everything (the server stayed away after the last call ended). */
  abandon(reason: string): void {
    const dropped = this.queue.removeWhere(() => true);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.failures = 0;
    this.blockedUntil = 0;
    for (const d of dropped) d.done?.(false, reason);
    if (dropped.length) this.hooks.problem(`${dropped.length} queued message(s) dropped: ${reason}`);
  }

  /**
   * Last-chance delivery while the page unloads: `fetch(keepalive)` with the Authorization
   * header. (sendBeacon cannot set headers, and the server accepts the token only in a header.)
   * Browsers cap the bytes of keepalive requests in flight at 64 KB, so events go first and the
   * rest are cut at a budget.
   */
  flushOnUnload(extra: Outgoing[]): void {
    const token = this.session.token;
    if (!token) return;
    let budget = 60 * 1024;
    const items = [...extra, ...this.queue.items.filter((i) => i.kind === 'event')];
    for (const item of items) {
      if (item.route === '' || !item.conf.ucID || this.gated(item)) continue;
      const url = this.url(item);
      const body = this.wireBody(item);
      if (!url || body.length > budget) continue;
      budget -= body.length;
      void request(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body,
        keepalive: true,
      });
    }
    this.queue.removeWhere(() => true);
  }
}
