// The JSON API of the server (crates/callstats-server/openapi.json), and the only way the
// dashboard talks to it: same-origin fetch with the session cookie, the CSRF token on every
// change, and one place that turns a 401 into "sign in again".

export interface NameVersion {
  name: string | null;
  version: string | null;
}

export interface App {
  appID: number;
  name: string;
  createdAt?: number;
  origins?: string[];
  settings?: AppSettings;
}

export interface PcConfig {
  peerConnection?: Record<string, unknown>;
  media?: Record<string, unknown>;
}

export interface AppSettings {
  submissionIntervalMs: number;
  collectSdp: boolean;
  ingestedEvents: string[];
  tokenTtlSecs: number;
  defaultConfig: PcConfig | null;
  recommendedConfig: PcConfig | null;
  retentionDays: number | null;
  webhookUrl: string | null;
  alerts: AlertThresholds;
}

/** Thresholds a closing conference is checked against (all optional). */
export interface AlertThresholds {
  minScore?: number | null;
  minMos?: number | null;
  maxSetupDelayMs?: number | null;
  onSetupFailure?: boolean;
  onDrop?: boolean;
}

/** A threshold a closed conference crossed. */
export interface Alert {
  kind: 'lowScore' | 'lowMos' | 'slowSetup' | 'setupFailure' | 'drop';
  text: string;
}

export interface Conference {
  confID: string;
  firstSeen: number;
  lastSeen: number;
  participantCount: number;
  closedAt: number | null;
  setupStatus: string | null;
  score: number | null;
  avgMos: number | null;
}

export interface Participant {
  ucID: string;
  userID: string;
  deviceID: string;
  browser: NameVersion;
  os: NameVersion;
  sdkVersion: string | null;
  appVersion: string | null;
  joinedAt: number;
  /** ISO 3166-1 alpha-2, when the server trusts a proxy's country header. */
  country: string | null;
  endpoint: Record<string, unknown>;
}

export interface Disruption {
  startMs: number;
  endMs: number | null;
}

export type FabricState = 'initializing' | 'established' | 'hold' | 'failed' | 'dropped' | 'terminated';

export interface Fabric {
  connectionID: string;
  ucID: string;
  localUserID: string;
  remoteUserID: string;
  state: FabricState;
  usage: string | null;
  direction: string | null;
  remoteEndpointType: string | null;
  setupDelayMs: number | null;
  failureDelayMs: number | null;
  failureReason: string | null;
  failureFunction: string | null;
  iceConnectionState: string | null;
  statsCount: number;
  disruptions: Disruption[];
  transportSwitches: number;
  relayed: boolean | null;
}

export interface Submission {
  id: number;
  kind: string;
  eventType: string;
  timestamp: number;
  receivedAt: number;
  ucID: string | null;
  userID: string | null;
  connectionID: string | null;
  remoteID: string | null;
  truncated: boolean;
  sizeBytes: number;
  body: Record<string, unknown>;
}

export interface Interval {
  startMs: number;
  endMs: number;
  bitrateKbps: number | null;
  packetRate: number | null;
  fractionLost: number | null;
  jitterMs: number | null;
  rttMs: number | null;
  fps: number | null;
  width: number | null;
  height: number | null;
  freezes: number | null;
  frozenMs: number | null;
  concealment: number | null;
  /** Audio: share lost, discarded late or concealed (not silence); 1 when nothing arrived. */
  effectiveLoss?: number;
  jitterBufferMs: number | null;
  qualityLimitation: string | null;
  mos: number | null;
  /** The stream had flowed and nothing arrived (or left) in this interval. */
  noMedia?: boolean;
  /** Muted, paused or on hold as the app said: not judged. */
  paused?: boolean;
  /** The verdict's 0–5 score; null when there was nothing to judge. */
  score: number | null;
  label: string | null;
}

export interface Stream {
  connectionID: string;
  ucID: string;
  ssrc: number | string;
  kind: string;
  direction: string;
  codec: string | null;
  intervals: Interval[];
}

export interface Reason {
  metric: string;
  text: string;
  value: number;
  durationMs: number;
}

export interface StreamSummary {
  ssrc: number | string;
  kind: string;
  direction: string;
  codec: string | null;
  durationMs: number;
  avgBitrateKbps: number | null;
  avgFps: number | null;
  avgJitterMs: number | null;
  avgLossPct: number | null;
  avgMos: number | null;
  minMos: number | null;
  avgRttMs: number | null;
  frozenMs: number | null;
  labelShares: Record<string, number>;
  score: number | null;
  reasons: Reason[];
}

export interface FabricSummary {
  connectionID: string;
  ucID: string;
  userID: string;
  remoteUserID: string;
  state: string;
  setupDelayMs: number | null;
  failureReason: string | null;
  holdMs: number;
  disruptions: number;
  disruptedMs: number;
  transportSwitches: number;
  relayed: boolean | null;
  score: number | null;
  reasons: Reason[];
  streams: StreamSummary[];
}

export interface ParticipantSummary {
  ucID: string;
  userID: string;
  browser: string | null;
  browserVersion: string | null;
  os: string | null;
  score: number | null;
  reasons: Reason[];
}

export interface SetupTimes {
  count: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  median: number | null;
}

export interface Summary {
  startMs: number;
  endMs: number;
  closeReason: string | null;
  setupStatus: string | null;
  dropped: boolean;
  userCount: number;
  users: string[];
  fabricSetupTimes: SetupTimes | null;
  fabricSetupErrors: { connectionID: string; ucID: string; reason: string; function: string | null; delayMs: number | null }[];
  avgMos: number | null;
  relayed: boolean | null;
  feedback: number[];
  participants: ParticipantSummary[];
  fabrics: FabricSummary[];
  score: number | null;
  reasons: Reason[];
  /** Alert thresholds of the app this conference crossed when it closed (absent: none). */
  alerts?: Alert[];
}

export interface ConferenceDetail {
  confID: string;
  firstSeen: number;
  lastSeen: number;
  status: 'ongoing' | 'closed';
  closedAt: number | null;
  participants: Participant[];
  fabrics: Fabric[];
  events: Submission[];
  errors: Submission[];
  feedback: Submission[];
  stats: unknown[];
  streams: Stream[];
  summary: Summary | null;
}

export interface Histogram {
  edges: number[];
  counts: number[];
}

export interface Aggregates {
  from: number;
  to: number;
  total: number;
  ok: number;
  partiallyFailed: number;
  failed: number;
  noFabrics: number;
  dropped: number;
  relayed: number;
  setupDelayMs: { p50: number | null; p90: number | null; p99: number | null };
  failureReasons: Record<string, number>;
  scoreHistogram: Histogram;
  mosHistogram: Histogram;
  feedback: Record<string, number>;
  browsers: Record<string, number>;
  oses: Record<string, number>;
  countries: Record<string, number>;
}

export interface IntegrationStep {
  step: string;
  title: string;
  done: boolean;
  firstSeen: number | null;
  lastSeen: number | null;
  count: number;
  next: string | null;
}

export interface AppKey {
  keyID: string;
  algorithm: string;
  publicKeyPem: string;
  createdAt: number;
}

export interface WebhookDelivery {
  id: number;
  appID: number;
  confID: string;
  url: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

export interface Session {
  username: string;
  csrfToken: string;
  expiresAt: number;
}

/** An answer other than 2xx, with the server's own message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken = '';
let onUnauthorized: () => void = () => {};

/** Called on any 401 from a request that needs a session. */
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

type Query = Record<string, string | number | null | undefined>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}

async function request<T>(method: string, path: string, body?: unknown, opts: { signInOn401?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'The server cannot be reached. Is it running?');
  }
  const text = await res.text();
  let json: unknown = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (!res.ok) {
    const msg = (json as { error?: { message?: string } } | null)?.error?.message || text || res.statusText || `HTTP ${res.status}`;
    if (res.status === 401 && opts.signInOn401 !== false) onUnauthorized();
    throw new ApiError(res.status, msg);
  }
  return json as T;
}

const app = (id: number | string) => `/api/v1/apps/${encodeURIComponent(String(id))}`;

export const api = {
  session: () => request<Session>('GET', '/api/v1/session', undefined, { signInOn401: false }),
  signIn: (username: string, password: string) =>
    request<Session>('POST', '/api/v1/session', { username, password }, { signInOn401: false }),
  signOut: () => request<unknown>('DELETE', '/api/v1/session', undefined, { signInOn401: false }),

  apps: () => request<{ apps: App[] }>('GET', '/api/v1/apps').then((r) => r.apps),
  createApp: (name: string) => request<{ appID: number; name: string; appSecret: string }>('POST', '/api/v1/apps', { name }),
  rotateSecret: (id: number) => request<{ appID: number; appSecret: string }>('POST', `${app(id)}/secret`),
  keys: (id: number) => request<{ keys: AppKey[] }>('GET', `${app(id)}/keys`).then((r) => r.keys),
  addKey: (id: number, keyID: string, publicKeyPem: string) => request<unknown>('POST', `${app(id)}/keys`, { keyID, publicKeyPem }),
  setOrigins: (id: number, origins: string[]) => request<unknown>('PUT', `${app(id)}/origins`, { origins }),
  integration: (id: number) => request<{ steps: IntegrationStep[] }>('GET', `${app(id)}/integration`).then((r) => r.steps),

  settings: (id: number) => request<AppSettings>('GET', `${app(id)}/settings`),
  patchSettings: (id: number, patch: Record<string, unknown>) => request<AppSettings>('PATCH', `${app(id)}/settings`, patch),
  setWebhook: (id: number, url: string | null) => request<{ url: string | null; secret: string | null }>('PUT', `${app(id)}/webhook`, { url }),
  deliveries: (id: number, limit = 50) =>
    request<{ deliveries: WebhookDelivery[] }>('GET', withQuery(`${app(id)}/webhook/deliveries`, { limit })).then((r) => r.deliveries),

  conferences: (id: number, q: Query) =>
    request<{ conferences: Conference[] }>('GET', withQuery(`${app(id)}/conferences`, q)).then((r) => r.conferences),
  conference: (id: number, confID: string) => request<ConferenceDetail>('GET', `${app(id)}/conferences/${encodeURIComponent(confID)}`),
  aggregates: (id: number, q: Query) => request<Aggregates>('GET', withQuery(`${app(id)}/aggregates`, q)),
};
