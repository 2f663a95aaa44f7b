/**
 * The public callstats.js API.
 *
 * Contract with the host page, stronger than the original's: no method throws (each body runs
 * inside a guard that turns surprises into `{status:'failure'}`), application callbacks are
 * called inside try/catch, and nothing the server does (absent, slow, refusing) reaches the call.
 * Argument checks answer `{status:'failure', message:'<method>: <reason>'}`.
 *
 * One ticker (1 s) runs while at least one fabric is monitored. It drives state checks, stats
 * polls and userAlive; when the last fabric ends it stops, so an idle page runs no timers (the
 * delivery backlog aside, which itself gives up after a few minutes without a server).
 */

import * as E from './enums';
import { has } from './enums';
import { backoffDelay } from './net/backoff';
import { request } from './net/http';
import { Delivery, TMP_CONFERENCE_ID, type Conference, type Outgoing } from './delivery';
import { deviceId, endpointInfo, truncateUtf8, utf8Length } from './env';
import { Fabric, type Association, type StatsTrack } from './fabric';
import { EVENT_ROUTES, STATS_TYPES } from './routes';
import { Session, type Credentials, type TokenGenerator, type Urls } from './session';
import type { ProxyConfig } from './api';
import { compactStreams } from './stats/compact';
import type { Report } from './stats/report';
import { conferenceIdString, fail, isFn, isObject, isPeerConnection, nonEmpty, ok, userIdString, type Result } from './validate';
import { COMPATIBLE_VERSION, VERSION } from './version';

/** Application logs and error messages are capped at this many bytes (integration guide, step 9). */
export const APP_LOG_LIMIT = 20 * 1024;
/** Quiet time after which userAlive is sent: under the server's 30 s idle close, over the 15 s stats interval, so a call with stats flowing sends none. */
const USER_ALIVE_MS = 20000;
const TICK_MS = 1000;

export interface ConfigParams {
  disableBeforeUnloadHandler?: boolean;
  applicationVersion?: string;
  disablePrecalltest?: boolean;
  siteID?: string;
  additionalIDs?: Record<string, unknown>;
  collectLegacyStats?: boolean;
  collectIP?: boolean;
  [key: string]: unknown;
}

export type { ProxyConfig } from './api';

interface ConferenceState extends Conference {
  fabrics: Fabric[];
  lastAliveAt: number;
  /** Remote ID for conference-level events when no fabric is at hand. */
  remoteID: string;
}

type Handler = (...args: unknown[]) => unknown;

/** Default server base, set by the bundle entry from the URL the SDK was loaded from. */
let defaultBase: string | undefined;
export function setDefaultBase(base: string | undefined): void {
  defaultBase = base;
}

const withSlash = (u: string) => (u.endsWith('/') ? u : u + '/');

function urlsFor(base: string): Urls {
  const b = withSlash(base);
  return { auth: b, collector: b, events: b + 'v1/apps/', stats: b + 'v1/apps/', config: b + 'v1/apps/' };
}

function warn(message: string): void {
  if (typeof console !== 'undefined') console.warn('callstats: ' + message);
}

function safe(fn: unknown, ...args: unknown[]): void {
  if (typeof fn !== 'function') return;
  try {
    fn(...args);
  } catch (e) {
    if (typeof console !== 'undefined') console.warn('callstats: an application callback threw', e);
  }
}

/** What reportError sends about the error object: the original's message/name/stack/messageType. */
export function describeError(err: unknown): { message: string; messageType: string; name?: string; stack?: string } {
  if (err === undefined || err === null) return { message: '', messageType: 'text' };
  if (typeof err === 'string') return { message: err, messageType: 'text' };
  if (typeof err !== 'object') return { message: String(err), messageType: 'text' };
  const o = err as Record<string, unknown>;
  const name = typeof o['name'] === 'string' ? o['name'] : undefined;
  const stack = typeof o['stack'] === 'string' ? o['stack'] : undefined;
  if (typeof o['message'] === 'string' && (err instanceof Error || name !== undefined)) {
    const parts: Record<string, string> = { message: o['message'] };
    if (name !== undefined) parts['name'] = name;
    if (stack !== undefined) parts['stack'] = stack;
    const d: { message: string; messageType: string; name?: string; stack?: string } = { message: JSON.stringify(parts), messageType: 'domError' };
    if (name !== undefined) d.name = name;
    if (stack !== undefined) d.stack = stack;
    return d;
  }
  let message: string;
  try {
    message = JSON.stringify(err);
  } catch {
    message = String(err);
  }
  const d: { message: string; messageType: string; stack?: string } = { message: message ?? String(err), messageType: 'json' };
  if (stack !== undefined) d.stack = stack;
  return d;
}

export class CallstatsClient {
  private session: Session;
  private delivery: Delivery;
  private appSegment = '';
  private localID = '';
  private localUser: unknown;
  private initCallback: Handler | undefined;
  private statsCallback: Handler | undefined;
  private params: ConfigParams = {};
  private handlers: Record<string, Handler> = {};
  private conferences = new Map<string, ConferenceState>();
  private fabrics: Fabric[] = [];
  private ticker: ReturnType<typeof setInterval> | undefined;
  private unloadInstalled = false;
  private wifiHandler: Handler | undefined;
  private appConfig: { default?: Record<string, unknown>; recommended?: Record<string, unknown> } | undefined;
  private configAttempts = 0;
  private initialized = false;
  private proxyWarned = false;
  private readonly device = deviceId();

  constructor() {
    this.session = new Session({
      init: (status, msg) => safe(this.initCallback, status, msg),
      authenticated: (first) => {
        if (first || !this.appConfig) void this.fetchConfig();
        this.delivery.pump();
      },
      clockSettled: () => this.delivery.pump(),
      busy: () => this.activeFabrics().length > 0,
    });
    this.delivery = new Delivery(this.session, {
      appSegment: () => this.appSegment,
      joined: () => undefined,
      rejoin: (conf) => this.queueJoin(conf as ConferenceState),
      problem: (msg) => {
        if (typeof console !== 'undefined') console.warn('callstats: ' + msg);
        safe(this.handlers['error'], E.csError.httpError, msg);
      },
      active: () => this.activeFabrics().length > 0,
    });
    if (defaultBase) this.session.urls = urlsFor(defaultBase);
  }

  // ---------------------------------------------------------------- enumerations

  get fabricUsage() {
    return E.fabricUsage;
  }
  get fabricEvent() {
    return E.fabricEvent;
  }
  get webRTCFunctions() {
    return E.webRTCFunctions;
  }
  get csError() {
    return E.csError;
  }
  get qualityRating() {
    return E.qualityRating;
  }
  get callStatsAPIReturnStatus() {
    return E.callStatsAPIReturnStatus;
  }
  get version() {
    return COMPATIBLE_VERSION;
  }
  get sdkVersion() {
    return VERSION;
  }
  get userIDType() {
    return E.userIDType;
  }
  get transmissionDirection() {
    return E.transmissionDirection;
  }
  get endpointType() {
    return E.endpointType;
  }
  get callType() {
    return E.callType;
  }
  get roles() {
    return E.roles;
  }

  // ---------------------------------------------------------------- plumbing

  private guard(name: string, body: () => Result): Result {
    try {
      return body();
    } catch (e) {
      if (typeof console !== 'undefined') console.warn(`callstats: ${name} failed internally`, e);
      return fail(name, `internal error: ${String((e as Error)?.message ?? e)}`);
    }
  }

  private activeFabrics(): Fabric[] {
    return this.fabrics.filter((f) => !f.terminated);
  }

  private fabricOf(pc: unknown): Fabric | undefined {
    for (let i = this.fabrics.length - 1; i >= 0; i--) if (this.fabrics[i]!.pc === pc) return this.fabrics[i];
    return undefined;
  }

  private common(eventType: string, fabric?: Fabric, conf?: ConferenceState): Record<string, unknown> {
    return {
      localID: this.localID,
      deviceID: this.device,
      eventType,
      remoteID: fabric ? fabric.remoteID : conf ? conf.remoteID : this.localID,
      // Without a PC the original sends the encoded local user ID; kept for the server's grouping.
      connectionID: fabric ? fabric.connectionID : encodeURIComponent(this.localID),
      callstatsVersion: 'callstats-sdk/' + VERSION,
    };
  }

  /** The last event time handed out. */
  private lastStamp = 0;

  /**
   * Event time, strictly increasing: events made in the same millisecond (hold then resume)
   * keep their order on the server, which sorts by time, whatever order concurrent requests
   * commit in.
   */
  private stamp(): number {
    this.lastStamp = Math.max(Date.now(), this.lastStamp + 0.001);
    return this.lastStamp;
  }

  private emit(
    conf: ConferenceState,
    eventType: string,
    extra: Record<string, unknown>,
    fabric?: Fabric,
    createdAt?: number,
    done?: (ok: boolean, reason: string) => void,
    compact?: Outgoing['compact'],
  ): void {
    const route = EVENT_ROUTES[eventType];
    if (!route) return;
    const gate = E.gatedEvents[eventType];
    const item: Omit<Outgoing, 'notBefore' | 'attempts'> = {
      kind: eventType === 'stats' ? 'stats' : 'event',
      eventType,
      conf,
      base: STATS_TYPES[eventType] ? 'stats' : 'events',
      route,
      body: { ...extra, ...this.common(eventType, fabric, conf) },
      createdAt: createdAt ?? this.stamp(),
    };
    if (gate) item.gate = gate;
    if (done) item.done = done;
    if (compact) item.compact = compact;
    // Anything the conference sends shows it is alive; userAlive is only for quiet spells (the
    // server closes a conference 30 s after its last request), which saves a request and its
    // headers every 10 s while stats flow.
    if (eventType !== 'userAlive') conf.lastAliveAt = Math.max(conf.lastAliveAt, item.createdAt);
    this.delivery.enqueue(item);
  }

  private conference(id: string, remoteID: string): ConferenceState {
    let conf = this.conferences.get(id);
    if (!conf) {
      conf = { id, joinQueued: false, fabrics: [], lastAliveAt: 0, remoteID };
      this.conferences.set(id, conf);
    }
    if (!conf.joinQueued) this.queueJoin(conf);
    return conf;
  }

  private queueJoin(conf: ConferenceState): void {
    if (conf.joinQueued) return;
    conf.joinQueued = true;
    const p = this.params;
    const body: Record<string, unknown> = {
      ...this.common('userJoined', undefined, conf),
      endpointInfo: endpointInfo(typeof p.applicationVersion === 'string' ? p.applicationVersion : undefined),
      disableGeoIP: p.collectIP === false,
    };
    delete body['connectionID'];
    const u = this.localUser;
    if (isObject(u)) {
      if (typeof u['userName'] === 'string') body['userName'] = u['userName'];
      if (typeof u['loginID'] === 'string') body['loginID'] = u['loginID'];
    }
    if (typeof p.siteID === 'string') body['siteID'] = p.siteID;
    if (isObject(p.additionalIDs)) body['additionalIDs'] = p.additionalIDs;
    this.delivery.enqueue({ kind: 'event', keep: true, eventType: 'userJoined', conf, base: 'events', route: '', body, createdAt: Date.now() });
    // userDetails follows every join, as in the original. Its localIpAddressInfo came from a
    // STUN probe to callstats.io's own server, which a self-hosted SDK does not contact: empty.
    const userName = isObject(u) && typeof u['userName'] === 'string' ? u['userName'] : null;
    this.emit(conf, 'userDetails', { userName, localIpAddressInfo: [], collectIP: p.collectIP !== false });
    void this.sendDeviceList(conf);
  }

  private async sendDeviceList(conf: ConferenceState): Promise<void> {
    try {
      const md = typeof navigator !== 'undefined' ? navigator.mediaDevices : undefined;
      if (!md || typeof md.enumerateDevices !== 'function') return;
      const devices = await md.enumerateDevices();
      this.emit(conf, 'connectedDeviceList', { mediaDeviceList: normaliseDevices(devices) }, conf.fabrics[0]);
    } catch {
      // Device enumeration is optional information.
    }
  }

  private startTicker(): void {
    if (this.ticker !== undefined) return;
    this.ticker = setInterval(() => this.tick(), TICK_MS);
  }

  private stopTickerIfIdle(): void {
    if (this.ticker !== undefined && !this.activeFabrics().length) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  private tick(): void {
    try {
      const now = Date.now();
      // Renews the token once 90 % of its life has passed, while calls need it (no timer of
      // its own).
      this.session.usableToken();
      for (const f of this.activeFabrics()) f.tick(now);
      this.conferences.forEach((conf) => {
        const live = conf.fabrics.filter((f) => !f.terminated);
        if (live.length && now - conf.lastAliveAt >= USER_ALIVE_MS) {
          conf.lastAliveAt = now;
          this.emit(conf, 'userAlive', {}, live[0]);
        }
      });
    } catch (e) {
      if (typeof console !== 'undefined') console.warn('callstats: monitoring error', e);
    }
    this.stopTickerIfIdle();
  }

  private host() {
    const self = this;
    return {
      now: () => Date.now(),
      emit: (conf: Conference, type: string, extra: Record<string, unknown>, fabric?: Fabric, at?: number) =>
        self.emit(conf as ConferenceState, type, extra, fabric, at),
      submitStats: (fabric: Fabric, reports: unknown[], at: number) => void self.submitStats(fabric, reports, at),
      statsCallback: (fabric: Fabric, tracks: StatsTrack[]) => self.deliverStats(fabric, tracks),
      claims: () => self.session.claims,
      get collectIP() {
        return self.params.collectIP !== false;
      },
      localUserID: () => self.localID,
      fabricEnded: () => self.stopTickerIfIdle(),
    };
  }

  private async submitStats(fabric: Fabric, reports: unknown[], at: number): Promise<void> {
    const extra: Record<string, unknown> = { stats: reports };
    const wifi = this.wifiHandler;
    if (wifi) {
      try {
        const r = await Promise.race([Promise.resolve(wifi()), new Promise((res) => setTimeout(() => res(undefined), 1000))]);
        extra['wifiStats'] = typeof r === 'string' ? JSON.parse(r) : (r ?? null);
      } catch {
        extra['wifiStats'] = null;
      }
    }
    // The server's compact extension carries what its analytics read, as deltas; wifiStats
    // has no place in it, so a page that supplies them sends report lists.
    const compact = extra['wifiStats'] === undefined ? { encoder: fabric.compact, sub: fabric.compact.number(compactStreams(reports as Report[])) } : undefined;
    this.emit(fabric.conf as ConferenceState, 'stats', extra, fabric, at, undefined, compact);
  }

  /** Where the conference can be looked at: the dashboard the server serves at its root. */
  private conferenceURL(conf: Conference): string {
    const base = this.session.urls.auth || '';
    return `${base}#/apps/${this.appSegment}/conferences/${encodeURIComponent(conf.id)}`;
  }

  private deliverStats(fabric: Fabric, tracks: StatsTrack[]): void {
    const streams: Record<string, StatsTrack> = {};
    for (const t of tracks) streams[String(t.ssrc)] = t;
    const online = (typeof navigator === 'undefined' || navigator.onLine !== false) && this.delivery.reachable && this.session.reachable;
    const payload = {
      connectionState: online ? 'online' : 'offline',
      fabricState: fabric.state,
      conferenceURL: this.conferenceURL(fabric.conf),
      remoteUserID: fabric.remoteUser,
      mediaStreamTracks: tracks,
      streams,
    };
    // One stats slot, as in the original: initialize's csStatsCallback and on('stats') both
    // set it, and the later one wins.
    safe(this.statsCallback, payload);
  }

  private async fetchConfig(): Promise<void> {
    const token = this.session.usableToken();
    const base = this.session.urls.config;
    if (!token || !base || this.appConfig) return;
    const res = await request(`${base}${this.appSegment}/configurations`, { headers: { Authorization: `Bearer ${token}` }, timeoutMs: 10000 });
    if (res.outcome === 'ok' && res.body) {
      const obj = (v: unknown) => (isObject(v) ? v : undefined);
      this.appConfig = {};
      const d = obj(res.body['default']);
      const r = obj(res.body['recommended']);
      if (d) this.appConfig.default = d;
      if (r) this.appConfig.recommended = r;
      this.fireConfig('defaultConfig');
      this.fireConfig('recommendedConfig');
    } else if (res.outcome === 'retry' && ++this.configAttempts < 4) {
      setTimeout(() => void this.fetchConfig(), backoffDelay(this.configAttempts - 1));
    } else if (res.outcome === 'auth') {
      this.session.invalidate(token);
    }
  }

  private fireConfig(name: 'defaultConfig' | 'recommendedConfig'): void {
    const cfg = this.appConfig;
    const h = this.handlers[name];
    if (!cfg || !h) return;
    // As the original: the default configuration with missing parts as null; the recommended
    // one with only the parts it has, so `{}` when the app has none (and it is still called).
    const p = (name === 'defaultConfig' ? cfg.default : cfg.recommended) || {};
    if (name === 'recommendedConfig') {
      const out: Record<string, unknown> = {};
      for (const k of ['peerConnection', 'media']) if (p[k]) out[k] = p[k];
      safe(h, out);
    } else {
      safe(h, { peerConnection: p['peerConnection'] || null, media: p['media'] || null });
    }
  }

  private installUnload(): void {
    if (this.unloadInstalled || typeof window === 'undefined' || typeof window.addEventListener !== 'function') return;
    this.unloadInstalled = true;
    // pagehide rather than beforeunload: it fires on mobile and for bfcache, and never for a
    // navigation the user then cancels.
    window.addEventListener('pagehide', () => {
      try {
        this.onUnload();
      } catch {
        // Unloading anyway.
      }
    });
  }

  private onUnload(): void {
    if (this.params.disableBeforeUnloadHandler === true) return;
    const last: Outgoing[] = [];
    const at = Date.now();
    const item = (conf: ConferenceState, eventType: string, fabric?: Fabric): Outgoing => ({
      kind: 'event',
      eventType,
      conf,
      base: 'events',
      route: EVENT_ROUTES[eventType]!,
      body: this.common(eventType, fabric, conf),
      createdAt: at,
      notBefore: 0,
      attempts: 0,
    });
    for (const f of this.activeFabrics()) {
      last.push(item(f.conf as ConferenceState, 'fabricTerminated', f));
      f.terminate(true);
    }
    this.conferences.forEach((conf) => {
      if (conf.ucID && conf.fabrics.length) last.push(item(conf, 'userLeft'));
    });
    this.delivery.flushOnUnload(last);
    this.stopTickerIfIdle();
  }

  // ---------------------------------------------------------------- public API

  initialize(
    appID?: unknown,
    appSecret?: unknown,
    localUserID?: unknown,
    csInitCallback?: unknown,
    csStatsCallback?: unknown,
    configParams?: unknown,
  ): Result {
    return this.guard('initialize', () => {
      const appStr = typeof appID === 'number' ? String(appID) : typeof appID === 'string' ? appID.trim() : '';
      if (!/^\d+$/.test(appStr)) return fail('initialize', 'AppID must be the numeric application ID');
      const appNum = parseInt(appStr, 10);
      if (!(nonEmpty(appSecret) || isFn(appSecret))) return fail('initialize', 'AppSecret must be a non-empty string or a token generator function');
      const user = userIdString(localUserID);
      if (user === null) return fail('initialize', 'localUserID must be a non-empty string or an object with aliasName');
      for (const [n, cb] of [['csInitCallback', csInitCallback], ['csStatsCallback', csStatsCallback]] as const) {
        if (cb !== undefined && cb !== null && !isFn(cb)) return fail('initialize', `${n} must be a function`);
      }
      if (configParams !== undefined && configParams !== null && !isObject(configParams)) return fail('initialize', 'configParams must be an object');
      const creds: Credentials = { appID: appStr, userID: user };
      if (isFn(appSecret)) creds.tokenGenerator = appSecret as TokenGenerator;
      else creds.secret = appSecret as string;
      const s = this.session;
      const same = s.creds && s.creds.appID === creds.appID && s.creds.userID === creds.userID && s.creds.secret === creds.secret && s.creds.tokenGenerator === creds.tokenGenerator;
      this.initCallback = isFn(csInitCallback) ? csInitCallback : undefined;
      // Sets the one stats slot (on('stats') sets it too); without a function it stays.
      if (isFn(csStatsCallback)) this.statsCallback = csStatsCallback;
      this.params = isObject(configParams) ? { ...(configParams as ConfigParams) } : {};
      this.installUnload();
      this.initialized = true;
      if (same && s.state === 'pending') {
        const cb = this.initCallback;
        setTimeout(() => safe(cb, E.csError.authOngoing, 'Authentication on going.'), 0);
        return ok();
      }
      if (!same) {
        this.appSegment = String(appNum);
        this.localID = user;
        this.localUser = localUserID;
        // A different user or app: conferences must be joined again under the new identity.
        this.conferences.forEach((c) => {
          c.ucID = undefined;
          c.joinQueued = false;
          if (c.fabrics.some((f) => !f.terminated)) this.queueJoin(c);
        });
        this.appConfig = undefined;
        this.configAttempts = 0;
      }
      if (!s.urls.auth && !this.proxyWarned) {
        this.proxyWarned = true;
        if (typeof console !== 'undefined') {
          console.warn('callstats: no server address known; load callstats.min.js from the callstats server or call setProxyConfig()');
        }
      }
      s.start(creds);
      return ok();
    });
  }

  setProxyConfig(config?: unknown): Result {
    return this.guard('setProxyConfig', () => {
      if (!isObject(config)) return fail('setProxyConfig', 'config must be an object');
      const keys: [keyof ProxyConfig, keyof Urls][] = [
        ['authServiceURL', 'auth'],
        ['collectorURL', 'collector'],
        ['restEventURL', 'events'],
        ['restStatsURL', 'stats'],
        ['appSettingsURL', 'config'],
      ];
      const next: Urls = { ...this.session.urls };
      let any = false;
      for (const [key, slot] of keys) {
        const v = config[key];
        if (v === undefined || v === null) continue;
        if (!nonEmpty(v)) return fail('setProxyConfig', `${key} must be a non-empty URL string`);
        next[slot] = withSlash(v.trim());
        any = true;
      }
      if (!any) return fail('setProxyConfig', 'no known URL given (authServiceURL, collectorURL, restEventURL, restStatsURL, appSettingsURL)');
      this.session.urls = next;
      this.session.ensure();
      this.delivery.pump();
      return ok();
    });
  }

  addNewFabric(pc?: unknown, remoteUserID?: unknown, fabricUsage?: unknown, conferenceID?: unknown, fabricAttributes?: unknown, pcCallback?: unknown): Result {
    return this.guard('addNewFabric', () => {
      const name = 'addNewFabric';
      if (!this.initialized) return fail(name, 'SDK is not initialized (call initialize() first)');
      if (!isPeerConnection(pc)) return fail(name, 'Invalid PeerConnection object passed');
      const remote = userIdString(remoteUserID);
      if (remote === null) return fail(name, 'remoteUserID must be a non-empty string or an object with aliasName');
      if (!has(E.fabricUsage, fabricUsage)) return fail(name, 'Invalid fabricUsage value');
      const confID = conferenceIdString(conferenceID);
      if (confID === null) return fail(name, 'conferenceID must be a non-empty string or a number');
      // The integration guide itself calls addNewFabric(pc, remote, usage, conf, pcCallback).
      if (isFn(fabricAttributes) && pcCallback === undefined) {
        pcCallback = fabricAttributes;
        fabricAttributes = undefined;
      }
      if (fabricAttributes !== undefined && fabricAttributes !== null && !isObject(fabricAttributes)) return fail(name, 'fabricAttributes must be an object');
      if (pcCallback !== undefined && pcCallback !== null && !isFn(pcCallback)) return fail(name, 'pcCallback must be a function');
      const attrs = (fabricAttributes || {}) as Record<string, unknown>;
      const endpoint = attrs['remoteEndpointType'] ?? E.endpointType.peer;
      const direction = attrs['fabricTransmissionDirection'] ?? E.transmissionDirection.sendrecv;
      if (!has(E.endpointType, endpoint)) return fail(name, E.csError.invalidEndPointType);
      if (!has(E.transmissionDirection, direction)) return fail(name, E.csError.invalidTransmissionDirection);
      const existing = this.fabricOf(pc);
      if (existing && !existing.terminated) {
        if (existing.conf.id === confID) return ok();
        return fail(name, `this PeerConnection is already monitored in conference ${existing.conf.id}`);
      }
      const conf = this.conference(confID, remote);
      const fabric = new Fabric(this.host(), pc, remote, remoteUserID, fabricUsage, conf, { remoteEndpointType: endpoint, fabricTransmissionDirection: direction }, isFn(pcCallback) ? (pcCallback as (s: string, m: string) => void) : undefined);
      this.fabrics = this.fabrics.filter((f) => !f.terminated);
      this.fabrics.push(fabric);
      conf.fabrics = conf.fabrics.filter((f) => !f.terminated);
      conf.fabrics.push(fabric);
      if (!conf.lastAliveAt) conf.lastAliveAt = Date.now();
      this.session.ensure();
      fabric.start();
      this.startTicker();
      this.stopTickerIfIdle();
      return ok();
    });
  }

  reportError(pc?: unknown, conferenceID?: unknown, webRTCFunction?: unknown, domError?: unknown, localSDP?: unknown, remoteSDP?: unknown): Result {
    return this.guard('reportError', () => {
      const name = 'reportError';
      if (!this.initialized) return fail(name, 'SDK is not initialized (call initialize() first)');
      if (!has(E.webRTCFunctions, webRTCFunction)) return fail(name, 'Invalid webRTC functionName value');
      // The original accepts something that is not a PeerConnection and a missing conference
      // ID (and then drops the error); we say so on the console and send what can be sent.
      if (pc !== undefined && pc !== null && !isPeerConnection(pc)) {
        warn(`${name}: not a PeerConnection; the error is reported for the conference alone`);
        pc = undefined;
      }
      const fabric = pc ? this.fabricOf(pc) : undefined;
      const confID = conferenceIdString(conferenceID) ?? (fabric ? fabric.conf.id : null);
      if (confID === null) {
        warn(`${name}: no conference ID and no monitored PeerConnection; the error is not sent`);
        return ok();
      }
      if (conferenceIdString(conferenceID) === null) warn(`${name}: no conference ID; the error is reported in the PeerConnection's conference`);
      const conf = fabric && fabric.conf.id === confID ? (fabric.conf as ConferenceState) : this.conference(confID, fabric ? fabric.remoteID : this.localID);
      const f = fabric && fabric.conf === conf ? fabric : undefined;
      const d = describeError(domError);
      const isLog = webRTCFunction === 'applicationLog' || webRTCFunction === 'applicationError';
      let message = d.message;
      let stack = d.stack;
      if (utf8Length(message) > APP_LOG_LIMIT || (stack !== undefined && utf8Length(stack) > APP_LOG_LIMIT)) {
        if (typeof console !== 'undefined') console.warn(`callstats: ${name}: the error log is larger than 20 KB and was truncated`);
        message = truncateUtf8(message, APP_LOG_LIMIT);
        if (stack !== undefined) stack = truncateUtf8(stack, APP_LOG_LIMIT);
      }
      const extra: Record<string, unknown> = {
        reason: E.failureReason[webRTCFunction],
        function: webRTCFunction,
        delay: f ? Date.now() - f.addedAt : 0,
        level: 'debug',
        message,
        messageType: d.messageType,
        endpoint: endpointInfo(typeof this.params.applicationVersion === 'string' ? this.params.applicationVersion : undefined),
        fabricState: f ? f.state : 'initializing',
      };
      if (d.name !== undefined) extra['name'] = d.name;
      if (stack !== undefined) extra['stack'] = stack;
      if (f) {
        try {
          extra['iceConnectionState'] = f.pc.iceConnectionState;
        } catch {
          // Optional detail.
        }
      }
      if (!isLog && typeof this.params.siteID === 'string') extra['siteID'] = this.params.siteID;
      this.emit(conf, isLog ? 'applicationErrorLog' : 'fabricSetupFailed', extra, f);
      if ((localSDP || remoteSDP) && f) f.checkSdp({ local: localSDP, remote: remoteSDP });
      return ok();
    });
  }

  private fabricFor(name: string, pc: unknown, conferenceID: unknown): Fabric | Result {
    if (!this.initialized) return fail(name, 'SDK is not initialized (call initialize() first)');
    if (!isPeerConnection(pc)) return fail(name, 'Invalid PeerConnection object passed');
    const confID = conferenceIdString(conferenceID);
    if (confID === null) return fail(name, 'conferenceID must be a non-empty string or a number');
    const fabric = this.fabricOf(pc);
    if (!fabric) return fail(name, 'this PeerConnection was not added with addNewFabric()');
    if (fabric.conf.id !== confID) return fail(name, 'conferenceId does not exist for this PeerConnection');
    return fabric;
  }

  sendFabricEvent(pc?: unknown, fabricEvent?: unknown, conferenceID?: unknown, eventData?: unknown): Result {
    return this.guard('sendFabricEvent', () => {
      const name = 'sendFabricEvent';
      if (!has(E.fabricEvent, fabricEvent)) return fail(name, 'Invalid fabricEvents value');
      const fabric = this.fabricFor(name, pc, conferenceID);
      if (!(fabric instanceof Fabric)) return fabric;
      if (eventData !== undefined && eventData !== null && !isObject(eventData)) return fail(name, 'eventData must be an object');
      const data = (eventData || {}) as Record<string, unknown>;
      const conf = fabric.conf as ConferenceState;
      if (fabric.terminated) {
        return fabricEvent === 'fabricTerminated' ? ok() : fail(name, 'the fabric has been terminated');
      }
      switch (fabricEvent) {
        case 'fabricTerminated':
          fabric.terminate();
          return ok();
        case 'fabricHold':
        case 'fabricResume':
          fabric.setHold(fabricEvent === 'fabricHold');
          this.emit(conf, fabricEvent, {}, fabric);
          return ok();
        case 'callUnAnswered':
        case 'dominantSpeaker':
          this.emit(conf, fabricEvent, {}, fabric);
          return ok();
        case 'audioMute':
        case 'audioUnmute':
        case 'videoPause':
        case 'videoResume':
        case 'screenShareStart':
        case 'screenShareStop': {
          if (fabricEvent === 'audioMute' || fabricEvent === 'audioUnmute') fabric.muted.audio = fabricEvent === 'audioMute';
          if (fabricEvent === 'videoPause' || fabricEvent === 'videoResume') fabric.muted.video = fabricEvent === 'videoPause';
          const extra: Record<string, unknown> = {};
          for (const k of Object.keys(data)) extra[k] = k === 'ssrc' && data[k] != null ? String(data[k]) : data[k];
          this.emit(conf, fabricEvent, extra, fabric);
          return ok();
        }
        case 'activeDeviceList': {
          const list = data['deviceList'];
          if (!Array.isArray(list)) return fail(name, 'activeDeviceList needs eventData.deviceList (an array of devices)');
          this.emit(conf, 'activeDeviceList', { mediaDeviceList: normaliseDevices(list) }, fabric);
          return ok();
        }
        case 'applicationErrorLog':
          return this.reportError(pc, conferenceID, 'applicationLog', eventData);
        case 'callDetails':
          return this.sendCallDetails(pc, conferenceID, eventData);
        default:
          // fabricSetupFailed and fabricUsageEvent are in the enumeration but produced by the
          // SDK itself (or by nothing, in the original).
          return fail(name, `Unsupported fabricEvent ${String(fabricEvent)}`);
      }
    });
  }

  sendCallDetails(pc?: unknown, conferenceID?: unknown, callAttributes?: unknown): Result {
    return this.guard('sendCallDetails', () => {
      const name = 'sendCallDetails';
      const fabric = this.fabricFor(name, pc, conferenceID);
      if (!(fabric instanceof Fabric)) return fabric;
      if (!isObject(callAttributes)) return fail(name, 'callAttributes must be an object');
      const t = callAttributes['callType'];
      const r = callAttributes['role'];
      if (t !== undefined && !has(E.callType, t)) return fail(name, 'callType must be one of callstats.callType');
      if (r !== undefined && !has(E.roles, r)) return fail(name, 'role must be one of callstats.roles');
      this.emit(fabric.conf as ConferenceState, 'callDetails', { ...callAttributes }, fabric);
      return ok();
    });
  }

  associateMstWithUserID(pc?: unknown, userID?: unknown, conferenceID?: unknown, ssrc?: unknown, usageLabel?: unknown, associatedVideoTag?: unknown): Result {
    return this.guard('associateMstWithUserID', () => {
      const name = 'associateMstWithUserID';
      const fabric = this.fabricFor(name, pc, conferenceID);
      if (!(fabric instanceof Fabric)) return fabric;
      const user = userIdString(userID);
      if (user === null) return fail(name, 'userID must be a non-empty string or an object with aliasName');
      const s = typeof ssrc === 'number' ? String(ssrc) : typeof ssrc === 'string' ? ssrc.trim() : '';
      if (!/^\d+$/.test(s)) return fail(name, 'SSRC must be a number or a string of digits');
      if (usageLabel !== undefined && usageLabel !== null && typeof usageLabel !== 'string') return fail(name, 'usageLabel must be a string');
      if (associatedVideoTag !== undefined && associatedVideoTag !== null && typeof associatedVideoTag !== 'string') return fail(name, 'associatedVideoTag must be a string');
      const a: Association = { userID: user };
      if (typeof usageLabel === 'string') a.usageLabel = usageLabel;
      if (typeof associatedVideoTag === 'string') a.associatedVideoTag = associatedVideoTag;
      fabric.associate(String(Number(s)), a);
      return ok();
    });
  }

  sendUserFeedback(conferenceID?: unknown, feedback?: unknown, pcCallback?: unknown): Result {
    return this.guard('sendUserFeedback', () => {
      const name = 'sendUserFeedback';
      if (!this.initialized) return fail(name, 'SDK is not initialized (call initialize() first)');
      const confID = conferenceIdString(conferenceID);
      if (confID === null) return fail(name, 'conferenceID must be a non-empty string or a number');
      if (!isObject(feedback)) return fail(name, 'feedback must be an object');
      if (pcCallback !== undefined && pcCallback !== null && !isFn(pcCallback)) return fail(name, 'pcCallback must be a function');
      // Ratings are sent as given, like the original; one outside 1-5 (or a missing overall
      // rating) is said on the console, not dropped.
      const out: Record<string, unknown> = {};
      for (const [k, wire] of [
        ['overall', 'overallRating'],
        ['video', 'videoQualityRating'],
        ['audio', 'audioQualityRating'],
        ['screen', 'screenQualityRating'],
      ] as const) {
        const v = feedback[k];
        if (v === undefined || v === null) {
          if (k === 'overall') warn(`${name}: feedback.overall is missing`);
          continue;
        }
        const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
        if (!(Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 5)) warn(`${name}: feedback.${k} should be an integer from 1 to 5`);
        out[wire] = typeof n === 'number' && !isNaN(n) ? n : v;
      }
      const comment = feedback['comment'] ?? feedback['comments'];
      if (comment !== undefined && comment !== null) out['comments'] = String(comment);
      const conf = this.conference(confID, this.localID);
      const cb = isFn(pcCallback) ? pcCallback : undefined;
      this.emit(conf, 'userFeedbackEvent', { feedback: out }, undefined, undefined, (good, reason) =>
        good ? safe(cb, E.csError.success, 'userFeedback Event sent successfully') : safe(cb, E.csError.httpError, `userFeedback not delivered: ${reason}`),
      );
      return ok();
    });
  }

  sendCustomEvent(pc?: unknown, conferenceID?: unknown, eventList?: unknown): Result {
    return this.guard('sendCustomEvent', () => {
      const name = 'sendCustomEvent';
      const fabric = this.fabricFor(name, pc, conferenceID);
      if (!(fabric instanceof Fabric)) return fabric;
      const list = Array.isArray(eventList) ? eventList : isObject(eventList) ? [eventList] : null;
      if (!list || !list.length) return fail(name, 'eventList must be a non-empty array (or one event object)');
      const first = list[0];
      if (list.length === 1 && isObject(first) && first['type'] === 'conferenceSummary') {
        const extra = { ...first };
        delete extra['type'];
        this.emit(fabric.conf as ConferenceState, 'conferenceSummary', extra, fabric);
      } else {
        this.emit(fabric.conf as ConferenceState, 'customEvent', { eventList: list }, fabric);
      }
      return ok();
    });
  }

  sendCustomStats(pc?: unknown, conferenceID?: unknown, stats?: unknown): Result {
    return this.guard('sendCustomStats', () => {
      const name = 'sendCustomStats';
      const fabric = this.fabricFor(name, pc, conferenceID);
      if (!(fabric instanceof Fabric)) return fabric;
      if (!stats || typeof stats !== 'object') return fail(name, 'stats must be an object or an array');
      this.emit(fabric.conf as ConferenceState, 'customStats', { stats }, fabric);
      return ok();
    });
  }

  setIdentifiers(identifiers?: unknown, pc?: unknown): Result {
    return this.guard('setIdentifiers', () => {
      const name = 'setIdentifiers';
      if (!isObject(identifiers)) return fail(name, 'identifiers must be an object');
      if (pc !== undefined && pc !== null && !isPeerConnection(pc)) return fail(name, 'Invalid PeerConnection object passed');
      const rawConference = identifiers['conferenceID'];
      const conferenceID = rawConference === undefined ? undefined : conferenceIdString(rawConference);
      const remote = identifiers['remoteUserID'] === undefined ? undefined : userIdString(identifiers['remoteUserID']);
      if (conferenceID === null) return fail(name, 'conferenceID must be a non-empty string or a number');
      if (remote === null) return fail(name, 'remoteUserID must be a non-empty string or an object with aliasName');
      if (conferenceID === undefined && remote === undefined) return fail(name, 'nothing to set (conferenceID, remoteUserID)');
      const targets = pc ? [this.fabricOf(pc)].filter((f): f is Fabric => !!f) : this.activeFabrics();
      if (pc && !targets.length) return fail(name, 'this PeerConnection was not added with addNewFabric()');
      if (remote !== undefined) {
        for (const f of targets) {
          f.remoteID = remote;
          f.remoteUser = identifiers['remoteUserID'];
        }
      }
      if (conferenceID !== undefined) {
        // Only a conference started under the original's placeholder ID can be renamed: the
        // server has not heard of it yet.
        const tmp = this.conferences.get(TMP_CONFERENCE_ID);
        if (tmp && targets.some((f) => f.conf === tmp)) {
          this.conferences.delete(TMP_CONFERENCE_ID);
          const existing = this.conferences.get(conferenceID);
          if (existing) {
            for (const f of tmp.fabrics) {
              f.conf = existing;
              existing.fabrics.push(f);
            }
            for (const item of this.delivery.pending()) if (item.conf === tmp && item.route !== '') item.conf = existing;
            this.delivery.queue.removeWhere((i) => i.conf === tmp);
          } else {
            tmp.id = conferenceID;
            this.conferences.set(conferenceID, tmp);
          }
        }
      }
      this.delivery.pump();
      return ok();
    });
  }

  on(event?: unknown, callback?: unknown): Result {
    return this.guard('on', () => {
      if (!has(E.callbackNames, event)) return fail('on', `unknown event name ${String(event)}; expected one of ${Object.keys(E.callbackNames).join(', ')}`);
      if (!isFn(callback)) return fail('on', 'callback must be a function');
      if (event === 'stats') this.statsCallback = callback;
      else this.handlers[event] = callback;
      if (event === 'defaultConfig' || event === 'recommendedConfig') {
        // Registered after the configuration arrived: still told, once.
        if (this.appConfig) setTimeout(() => this.fireConfig(event), 0);
      }
      return ok();
    });
  }

  attachWifiStatsHandler(getWifiStats?: unknown): Result {
    return this.guard('attachWifiStatsHandler', () => {
      if (!isFn(getWifiStats)) return fail('attachWifiStatsHandler', 'getWifiStats must be a function returning a Promise');
      this.wifiHandler = getWifiStats;
      return ok();
    });
  }

  resetWifiStatsHandler(): Result {
    this.wifiHandler = undefined;
    return ok();
  }

  // Pre-call tests need TURN servers run by the service; this server offers none.
  startPrecallTests(_iceServers?: unknown, _interval?: unknown): Result {
    return fail('startPrecallTests', 'pre-call tests are not offered by this server');
  }

  stopPrecallTests(): Result {
    return ok();
  }

  makePrecallTest(_iceServers?: unknown, _a?: unknown, _b?: unknown): Result {
    return fail('makePrecallTest', 'pre-call tests are not offered by this server');
  }

  getSctResults(): Result {
    return fail('getSctResults', 'pre-call tests are not offered by this server');
  }

  getTurnCredentials(_forceNew?: unknown, _cb?: unknown): Result {
    return fail('getTurnCredentials', 'TURN credentials are not offered by this server');
  }
}

/** The wire form of a device list entry (MediaDeviceInfo or a plain object from the app). */
export function normaliseDevices(list: unknown[]): Record<string, unknown>[] {
  return list.filter(isObjectLike).map((d) => ({
    mediaDeviceID: d['deviceId'] ?? d['mediaDeviceID'] ?? '',
    groupID: d['groupId'] ?? d['groupID'] ?? '',
    kind: d['kind'] ?? '',
    label: d['label'] ?? '',
  }));
}

const isObjectLike = (d: unknown): d is Record<string, unknown> => !!d && typeof d === 'object';
