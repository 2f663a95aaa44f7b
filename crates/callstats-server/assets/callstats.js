(function (root, factory) {
  if (typeof define === "function" && define.amd) define([], factory);
  else {
    var f = factory();
    if (root) root.callstats = f;
    if (typeof module === "object" && module) module.exports = f;
  }
})(typeof self !== "undefined" ? self : this, function () {
"use strict";
var __callstats = (() => {
  var __defProp = Object.defineProperty;
  var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
  var __getOwnPropNames = Object.getOwnPropertyNames;
  var __hasOwnProp = Object.prototype.hasOwnProperty;
  var __export = (target, all) => {
    for (var name in all)
      __defProp(target, name, { get: all[name], enumerable: true });
  };
  var __copyProps = (to, from, except, desc) => {
    if (from && typeof from === "object" || typeof from === "function") {
      for (let key of __getOwnPropNames(from))
        if (!__hasOwnProp.call(to, key) && key !== except)
          __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
    }
    return to;
  };
  var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);

  // src/umd.ts
  var umd_exports = {};
  __export(umd_exports, {
    default: () => umd_default
  });

  // src/enums.ts
  var same = (...keys) => {
    const o = {};
    for (const k of keys) o[k] = k;
    return Object.freeze(o);
  };
  var fabricUsage = same("audio", "video", "data", "screen", "multiplex", "unbundled");
  var fabricEvent = same(
    "fabricSetupFailed",
    "fabricHold",
    "fabricResume",
    "audioMute",
    "audioUnmute",
    "videoPause",
    "videoResume",
    "fabricUsageEvent",
    "fabricTerminated",
    "screenShareStart",
    "screenShareStop",
    "dominantSpeaker",
    "activeDeviceList",
    "applicationErrorLog",
    "callDetails",
    "callUnAnswered"
  );
  var webRTCFunctions = same(
    "createOffer",
    "createAnswer",
    "setLocalDescription",
    "setRemoteDescription",
    "addIceCandidate",
    "getUserMedia",
    "iceConnectionFailure",
    "signalingError",
    "applicationError",
    "applicationLog"
  );
  var csError = Object.freeze({
    httpError: "httpError",
    authError: "authError",
    wsChannelFailure: "wsChannelFailure",
    success: "success",
    csProtoError: "csProtoError",
    appConnectivityError: "appConnectivityError",
    tokenGenerationError: "tokenGenerationError",
    ok: "OK",
    authOngoing: "authOngoing",
    invalidWebRTCFunctionName: "Invalid WebRTC function name",
    invalidEndPointType: "Invalid EndPoint Type",
    invalidTransmissionDirection: "Invalid fabric transmission direction"
  });
  var qualityRating = Object.freeze({ excellent: 5, good: 4, fair: 3, poor: 2, bad: 1 });
  var callStatsAPIReturnStatus = same("success", "failure");
  var userIDType = same("local", "remote");
  var transmissionDirection = same("sendonly", "receiveonly", "sendrecv", "inactive");
  var endpointType = same("peer", "server");
  var callType = same("unknown", "inbound", "outbound", "monitoring");
  var roles = same("agent", "participant");
  var failureReason = Object.freeze({
    createOffer: "NegotiationFailure",
    createAnswer: "NegotiationFailure",
    setRemoteDescription: "NegotiationFailure",
    setLocalDescription: "SDPGenerationError",
    addIceCandidate: "SDPGenerationError",
    getUserMedia: "MediaConfigError",
    iceConnectionFailure: "IceConnectionFailure",
    signalingError: "SignalingError",
    applicationLog: "ApplicationLog",
    // The original reports applicationError as ApplicationLog through an operator-precedence slip;
    // its own reason table has ApplicationError, which is what the function means.
    applicationError: "ApplicationError"
  });
  var callbackNames = same(
    "stats",
    "defaultConfig",
    "recommendedConfig",
    "preCallTestResults",
    "preCallTest",
    "connectionRecommendation",
    "mediaDisruption",
    "pctConnectionQualityChange",
    "error"
  );
  var gatedEvents = Object.freeze({
    circuitBreaker: "circuitBreaker",
    oneWayMediaStart: "oneWayMediaStart",
    oneWayMediaStop: "oneWayMediaStop",
    applicationErrorLog: "applicationErrorLog",
    sdpSubmissionEvent: "sdpSubmissionEvent",
    userFeedbackEvent: "userFeedback",
    activeDeviceList: "activeDeviceList",
    connectedDeviceList: "connectedDeviceList",
    dominantSpeaker: "dominantSpeaker",
    mediaPlaybackStart: "mediaPlaybackStart",
    mediaPlaybackSuspended: "mediaPlaybackSuspended"
  });
  var has = (o, k) => typeof k === "string" && Object.prototype.hasOwnProperty.call(o, k);

  // src/net/backoff.ts
  var DEFAULT_BACKOFF = { base: 1e3, max: 6e4 };
  function backoffDelay(attempt, policy = DEFAULT_BACKOFF, random = Math.random) {
    const n = Math.max(0, Math.min(30, Math.floor(attempt) || 0));
    const ceiling = Math.min(policy.max, policy.base * Math.pow(2, n));
    const r = Math.min(1, Math.max(0, random()));
    return Math.max(policy.base, Math.round(ceiling / 2 + ceiling / 2 * r));
  }

  // src/net/http.ts
  var GZIP_MIN_BYTES = 1024;
  async function gzip(text) {
    const CS = globalThis.CompressionStream;
    const R = globalThis.Response;
    if (typeof CS !== "function" || typeof R !== "function" || typeof Blob !== "function") return void 0;
    try {
      return await new R(new Blob([text]).stream().pipeThrough(new CS("gzip"))).arrayBuffer();
    } catch {
      return void 0;
    }
  }
  var TOKEN_EXPIRED = "Token has expired";
  function classify(status, body) {
    const msg = body && typeof body["msg"] === "string" ? body["msg"] : "";
    if (status === 401 || msg === TOKEN_EXPIRED) return "auth";
    if (status === 0 || status >= 500 || status === 408 || status === 429) return "retry";
    if (status >= 200 && status < 300) {
      if (body === void 0) return "retry";
      return body["status"] === void 0 || body["status"] === "success" ? "ok" : "reject";
    }
    return body === void 0 && status !== 404 ? "retry" : "reject";
  }
  async function request(url, opts = {}) {
    const f = globalThis.fetch;
    if (typeof f !== "function") return { outcome: "reject", status: 0, body: void 0, reason: "fetch is not available" };
    const ctl = typeof AbortController === "function" ? new AbortController() : void 0;
    const timer = ctl ? setTimeout(() => ctl.abort(), opts.timeoutMs ?? 15e3) : void 0;
    try {
      const init = { method: opts.method ?? "GET", credentials: "omit", mode: "cors", cache: "no-store" };
      const headers = { ...opts.headers ?? {} };
      let body = opts.body;
      if (opts.compress && opts.body !== void 0 && opts.body.length >= GZIP_MIN_BYTES) {
        const packed = await gzip(opts.body);
        if (packed) {
          body = packed;
          headers["Content-Encoding"] = "gzip";
        }
      }
      if (opts.headers || headers["Content-Encoding"]) init.headers = headers;
      if (body !== void 0) init.body = body;
      if (opts.keepalive) init.keepalive = true;
      if (ctl) init.signal = ctl.signal;
      const res = await f(url, init);
      let answer;
      try {
        const text = await res.text();
        const parsed = text ? JSON.parse(text) : void 0;
        answer = parsed && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : void 0;
      } catch {
        answer = void 0;
      }
      const outcome = classify(res.status, answer);
      const msg = answer && (typeof answer["msg"] === "string" ? answer["msg"] : typeof answer["errorReason"] === "string" ? answer["errorReason"] : "");
      const out = { outcome, status: res.status, body: answer, reason: outcome === "ok" ? "" : `HTTP ${res.status}${msg ? ": " + msg : ""}` };
      const ra = Number(res.headers && res.headers.get ? res.headers.get("Retry-After") : NaN);
      if (ra > 0) out.retryAfter = ra * 1e3;
      return out;
    } catch (e) {
      const aborted = ctl && ctl.signal.aborted;
      return { outcome: "retry", status: 0, body: void 0, reason: aborted ? "request timed out" : `network error: ${String(e?.message ?? e)}` };
    } finally {
      if (timer !== void 0) clearTimeout(timer);
    }
  }

  // src/net/queue.ts
  var BoundedQueue = class {
    constructor(capacity) {
      this.capacity = capacity;
      this.items = [];
    }
    get size() {
      return this.items.length;
    }
    /** Appends `item`, returning whatever had to be dropped to make room (possibly `item` itself). */
    push(item) {
      const dropped = [];
      while (this.items.length >= this.capacity) {
        const victim = this.victimIndex();
        if (victim < 0 || item.kind === "stats" && this.items[victim].kind !== "stats") {
          dropped.push(item);
          return dropped;
        }
        dropped.push(this.items.splice(victim, 1)[0]);
      }
      this.items.push(item);
      return dropped;
    }
    remove(item) {
      const i = this.items.indexOf(item);
      if (i >= 0) this.items.splice(i, 1);
      return i >= 0;
    }
    /** Removes every item matching `pred`, returning them. */
    removeWhere(pred) {
      const out = [];
      for (let i = this.items.length - 1; i >= 0; i--) {
        if (pred(this.items[i])) out.unshift(this.items.splice(i, 1)[0]);
      }
      return out;
    }
    victimIndex() {
      const stats = this.items.findIndex((i) => i.kind === "stats");
      if (stats >= 0) return stats;
      return this.items.findIndex((i) => !i.keep);
    }
  };

  // src/delivery.ts
  var COMPACT_ENVELOPE = ["localID", "deviceID", "remoteID", "connectionID", "callstatsVersion"];
  var TMP_CONFERENCE_ID = "csio-conf-id-tmp";
  var QUEUE_CAPACITY = 1e3;
  var MAX_IN_FLIGHT = 3;
  var MAX_BATCH = 20;
  var IDLE_GIVE_UP = 8;
  var Delivery = class {
    constructor(session, hooks, now = Date.now) {
      this.session = session;
      this.hooks = hooks;
      this.now = now;
      this.queue = new BoundedQueue(QUEUE_CAPACITY);
      this.inFlight = 0;
      this.failures = 0;
      this.blockedUntil = 0;
      this.timerAt = 0;
      this.pumping = false;
      /** Whether the last exchange with the server worked (the callback's connectionState). */
      this.reachable = true;
      /** Whether the server takes `…/stats/compact`; cleared for good when it says it does not. */
      this.compacting = true;
      /** Whether the server takes `…/batch`; cleared for good when it says it does not. */
      this.batching = true;
    }
    enqueue(item) {
      const full = item;
      full.notBefore = 0;
      full.attempts = 0;
      for (const d of this.queue.push(full)) d.done?.(false, "dropped: the send queue is full");
      this.pump();
    }
    /** A copy of the queued items (setIdentifiers re-homes those of a renamed conference). */
    pending() {
      return this.queue.items.slice();
    }
    schedule(at) {
      if (this.timer !== void 0 && this.timerAt <= at) return;
      if (this.timer !== void 0) clearTimeout(this.timer);
      this.timerAt = at;
      this.timer = setTimeout(() => {
        this.timer = void 0;
        this.pump();
      }, Math.max(0, at - this.now()));
    }
    gated(item) {
      const list = this.session.claims && this.session.claims.ingestedEvents;
      return !!item.gate && !!list && list.indexOf(item.gate) < 0;
    }
    sendable(item, now) {
      if (item.notBefore > now || item.conf.id === TMP_CONFERENCE_ID) return false;
      return item.route === "" ? !item.conf.ucID : !!item.conf.ucID;
    }
    pump() {
      if (this.pumping) return;
      this.pumping = true;
      try {
        this.pumpOnce();
      } finally {
        this.pumping = false;
      }
    }
    pumpOnce() {
      if (!this.queue.size) return;
      const now = this.now();
      if (now < this.blockedUntil) return this.schedule(this.blockedUntil);
      const token = this.session.usableToken();
      if (!token || !this.session.clockSettled()) return;
      for (const item of this.queue.removeWhere((i) => this.gated(i))) item.done?.(false, "not collected for this app");
      while (this.inFlight < MAX_IN_FLIGHT) {
        const items = this.queue.items;
        let next = items.find((i) => i.route === "" && this.sendable(i, now));
        if (!next) next = items.find((i) => this.sendable(i, now));
        if (!next) break;
        const head = next;
        const group = this.batching && head.base === "events" && head.route !== "" ? items.filter((i) => i.base === "events" && i.route !== "" && i.conf === head.conf && this.sendable(i, now)).slice(0, MAX_BATCH) : [head];
        for (const i of group) this.queue.remove(i);
        void (group.length > 1 ? this.sendBatch(group, token) : this.send(head, token));
      }
      let wake = Infinity;
      for (const i of this.queue.items) if (i.notBefore > now) wake = Math.min(wake, i.notBefore);
      if (wake < Infinity) this.schedule(wake);
    }
    compactFor(item) {
      return this.compacting ? item.compact : void 0;
    }
    url(item) {
      const base = item.base === "stats" ? this.session.urls.stats : this.session.urls.events;
      if (!base) return void 0;
      const conf = `${base}${this.hooks.appSegment()}/conferences/${encodeURIComponent(item.conf.id)}`;
      const route = this.compactFor(item) ? "stats/compact" : item.route;
      return item.route === "" ? conf : `${conf}/${encodeURIComponent(item.conf.ucID)}/${route}`;
    }
    /** The JSON actually posted: the item's body with its creation time in server time. */
    wireBody(item) {
      const timestamp = item.createdAt + this.session.offset;
      const compact = this.compactFor(item);
      if (compact) {
        const body = {};
        for (const k of COMPACT_ENVELOPE) if (item.body[k] !== void 0) body[k] = item.body[k];
        return JSON.stringify({ ...body, timestamp, ...compact.encoder.encode(compact.sub) });
      }
      return JSON.stringify({ ...item.body, timestamp });
    }
    /**
     * What only a compact stats item needs from an answer: an acknowledged submission becomes the
     * next base; a 409 (the server does not hold the base) means a keyframe; a server without the
     * extension gets report lists from now on. True when the item was requeued.
     */
    settleCompact(item, res) {
      const compact = this.compactFor(item);
      if (!compact) return false;
      if (res.outcome === "ok") compact.encoder.acknowledged(compact.sub);
      if (res.outcome !== "reject") return false;
      const msg = res.body && typeof res.body["msg"] === "string" ? res.body["msg"] : "";
      if (res.status === 409) {
        if (++item.attempts > 2) return false;
        compact.encoder.forgetBase();
      } else if (res.status === 405 || res.status === 404 && !/ucID/.test(msg)) {
        this.compacting = false;
      } else {
        return false;
      }
      this.requeue(item);
      return true;
    }
    async send(item, token) {
      this.inFlight++;
      let res;
      const url = this.url(item);
      try {
        res = url ? await request(url, {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
          body: this.wireBody(item),
          timeoutMs: item.kind === "stats" ? 2e4 : 1e4,
          compress: true
        }) : { outcome: "reject", status: 0, body: void 0, reason: "no URL configured for " + item.base };
      } catch (e) {
        res = { outcome: "retry", status: 0, body: void 0, reason: String(e) };
      }
      this.inFlight--;
      if (!this.settleCompact(item, res)) this.settle(item, res, token);
      this.pump();
    }
    async sendBatch(items, token) {
      this.inFlight++;
      const first = items[0];
      const url = this.url({ ...first, route: "batch" });
      let res;
      try {
        res = url ? await request(url, {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
          body: JSON.stringify({ items: items.map((i) => ({ route: i.route, body: JSON.parse(this.wireBody(i)) })) }),
          timeoutMs: 1e4,
          compress: true
        }) : { outcome: "reject", status: 0, body: void 0, reason: "no URL configured for events" };
      } catch (e) {
        res = { outcome: "retry", status: 0, body: void 0, reason: String(e) };
      }
      this.inFlight--;
      const results = res.outcome === "ok" && res.body && Array.isArray(res.body["results"]) ? res.body["results"] : void 0;
      if (results && results.length === items.length) {
        items.forEach((item, k) => {
          const r = results[k];
          const ok2 = !!r && r["status"] === "success";
          const msg = r && typeof r["msg"] === "string" ? r["msg"] : "refused";
          this.settle(item, ok2 ? { outcome: "ok", status: 200, body: { status: "success" }, reason: "" } : { outcome: "reject", status: 400, body: r, reason: msg }, token);
        });
      } else if (res.outcome === "ok" || res.outcome === "reject" && (res.status === 404 || res.status === 405)) {
        this.batching = false;
        for (const i of [...items].reverse()) this.requeue(i);
      } else {
        this.settle(first, res, token);
        for (const i of items.slice(1).reverse()) {
          if (res.outcome === "reject") this.settle(i, res, token);
          else this.requeue(i);
        }
      }
      this.pump();
    }
    requeue(item) {
      this.queue.items.unshift(item);
    }
    settle(item, res, token) {
      const join = item.route === "";
      if (res.outcome === "ok") {
        const ucID = res.body && res.body["ucID"];
        if (join && (typeof ucID !== "string" || !ucID) && typeof ucID !== "number") {
          res = { ...res, outcome: "retry", reason: "user joined answered without a ucID" };
        } else {
          this.failures = 0;
          this.blockedUntil = 0;
          this.reachable = true;
          if (join) {
            item.conf.ucID = String(ucID);
            this.hooks.joined(item.conf);
          }
          item.done?.(true, "");
          return;
        }
      }
      if (res.outcome === "auth") {
        this.requeue(item);
        this.session.invalidate(token);
        return;
      }
      if (res.outcome === "retry") {
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
      const msg = res.body && typeof res.body["msg"] === "string" ? res.body["msg"] : "";
      if (!join && res.status === 404 && /ucID/.test(msg)) {
        item.conf.ucID = void 0;
        item.conf.joinQueued = false;
        this.requeue(item);
        this.hooks.rejoin(item.conf);
        return;
      }
      if (join) {
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
    abandon(reason) {
      const dropped = this.queue.removeWhere(() => true);
      if (this.timer !== void 0) clearTimeout(this.timer);
      this.timer = void 0;
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
    flushOnUnload(extra) {
      const token = this.session.token;
      if (!token) return;
      let budget = 60 * 1024;
      const items = [...extra, ...this.queue.items.filter((i) => i.kind === "event")];
      for (const item of items) {
        if (item.route === "" || !item.conf.ucID || this.gated(item)) continue;
        const url = this.url(item);
        const body = this.wireBody(item);
        if (!url || body.length > budget) continue;
        budget -= body.length;
        void request(url, {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
          body,
          keepalive: true
        });
      }
      this.queue.removeWhere(() => true);
    }
  };

  // src/env.ts
  var match = (ua, re) => {
    const m = re.exec(ua);
    return m ? m[1] : void 0;
  };
  function parseUserAgent(ua) {
    let buildName = "Unknown";
    let buildVersion = "";
    const browsers = [
      ["Edge", /Edg(?:e|A|iOS)?\/([\d.]+)/],
      ["Opera", /OPR\/([\d.]+)/],
      ["Firefox", /(?:Firefox|FxiOS)\/([\d.]+)/],
      ["Chrome", /(?:Chrome|CriOS)\/([\d.]+)/],
      ["Safari", /Version\/([\d.]+).*Safari/]
    ];
    for (const [name, re] of browsers) {
      const v = match(ua, re);
      if (v) {
        buildName = name;
        buildVersion = v;
        break;
      }
    }
    let os = "Unknown";
    let osVersion = null;
    const ver = (s) => s ? s.replace(/_/g, ".") : null;
    if (/Windows NT/.test(ua)) {
      os = "Windows";
      osVersion = match(ua, /Windows NT ([\d.]+)/) ?? null;
    } else if (/Android/.test(ua)) {
      os = "Android";
      osVersion = match(ua, /Android ([\d.]+)/) ?? null;
    } else if (/iPhone|iPad|iPod/.test(ua)) {
      os = "iOS";
      osVersion = ver(match(ua, /OS ([\d_]+)/));
    } else if (/Mac OS X/.test(ua)) {
      os = "Mac OS X";
      osVersion = ver(match(ua, /Mac OS X ([\d_.]+)/));
    } else if (/CrOS/.test(ua)) {
      os = "Chrome OS";
    } else if (/Linux/.test(ua)) {
      os = "Linux";
    }
    return { buildName, buildVersion, os, osVersion, userAgent: ua };
  }
  function endpointInfo(appVersion) {
    const ua = typeof navigator !== "undefined" && typeof navigator.userAgent === "string" ? navigator.userAgent : "";
    const info = { type: "browser", ...parseUserAgent(ua) };
    if (appVersion) info.appVersion = appVersion;
    return info;
  }
  function randomBytes(n) {
    const out = new Uint8Array(n);
    try {
      globalThis.crypto.getRandomValues(out);
    } catch {
      for (let i = 0; i < n; i++) out[i] = Math.floor(Math.random() * 256);
    }
    return out;
  }
  var randomHex = (bytes) => Array.from(randomBytes(bytes), (b) => (b < 16 ? "0" : "") + b.toString(16)).join("");
  var randomConnectionId = () => Array.from(randomBytes(10), (b) => (b % 36).toString(36)).join("");
  var DEVICE_KEY = "callstats.deviceID";
  var memoryDeviceId;
  function deviceId() {
    try {
      const s = globalThis.localStorage;
      const v = s.getItem(DEVICE_KEY);
      if (v && /^[0-9a-f]{64}$/.test(v)) return v;
      const id = randomHex(32);
      s.setItem(DEVICE_KEY, id);
      return id;
    } catch {
      return memoryDeviceId ?? (memoryDeviceId = randomHex(32));
    }
  }
  var utf8Length = (s) => new TextEncoder().encode(s).length;
  function truncateUtf8(s, max) {
    if (s.length <= max / 3 || utf8Length(s) <= max) return s;
    const bytes = new TextEncoder().encode(s).subarray(0, max);
    return new TextDecoder().decode(bytes).replace(/\uFFFD$/, "");
  }

  // src/auth/sha256.ts
  var K = [];
  var H0 = [];
  (() => {
    const frac = (x) => (x - Math.floor(x)) * 4294967296 | 0;
    let n = 2;
    while (K.length < 64) {
      let prime = true;
      for (let d = 2; d * d <= n; d++) if (n % d === 0) prime = false;
      if (prime) {
        if (H0.length < 8) H0.push(frac(Math.sqrt(n)));
        K.push(frac(Math.cbrt(n)));
      }
      n++;
    }
  })();
  function sha256(data) {
    const bitLen = data.length * 8;
    const padded = new Uint8Array(data.length + 9 + 63 >> 6 << 6);
    padded.set(data);
    padded[data.length] = 128;
    const view = new DataView(padded.buffer);
    view.setUint32(padded.length - 8, Math.floor(bitLen / 4294967296));
    view.setUint32(padded.length - 4, bitLen >>> 0);
    const h = H0.slice();
    const w = new Array(64);
    for (let off = 0; off < padded.length; off += 64) {
      for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4) | 0;
      for (let i = 16; i < 64; i++) {
        const a2 = w[i - 15], b2 = w[i - 2];
        const s0 = (a2 >>> 7 | a2 << 25) ^ (a2 >>> 18 | a2 << 14) ^ a2 >>> 3;
        const s1 = (b2 >>> 17 | b2 << 15) ^ (b2 >>> 19 | b2 << 13) ^ b2 >>> 10;
        w[i] = w[i - 16] + s0 + w[i - 7] + s1 | 0;
      }
      let [a, b, c, d, e, f, g, hh] = h;
      for (let i = 0; i < 64; i++) {
        const S1 = (e >>> 6 | e << 26) ^ (e >>> 11 | e << 21) ^ (e >>> 25 | e << 7);
        const t1 = hh + S1 + (e & f ^ ~e & g) + K[i] + w[i] | 0;
        const S0 = (a >>> 2 | a << 30) ^ (a >>> 13 | a << 19) ^ (a >>> 22 | a << 10);
        const t2 = S0 + (a & b ^ a & c ^ b & c) | 0;
        hh = g;
        g = f;
        f = e;
        e = d + t1 | 0;
        d = c;
        c = b;
        b = a;
        a = t1 + t2 | 0;
      }
      h[0] = h[0] + a | 0;
      h[1] = h[1] + b | 0;
      h[2] = h[2] + c | 0;
      h[3] = h[3] + d | 0;
      h[4] = h[4] + e | 0;
      h[5] = h[5] + f | 0;
      h[6] = h[6] + g | 0;
      h[7] = h[7] + hh | 0;
    }
    const out = new Uint8Array(32);
    const ov = new DataView(out.buffer);
    h.forEach((x, i) => ov.setUint32(i * 4, x >>> 0));
    return out;
  }
  function hmacSha256(key, message) {
    let k = key.length > 64 ? sha256(key) : key;
    const block = new Uint8Array(64);
    block.set(k);
    const inner = new Uint8Array(64 + message.length);
    const outer = new Uint8Array(64 + 32);
    for (let i = 0; i < 64; i++) {
      inner[i] = block[i] ^ 54;
      outer[i] = block[i] ^ 92;
    }
    inner.set(message, 64);
    outer.set(sha256(inner), 64);
    return sha256(outer);
  }

  // src/auth/jwt.ts
  var utf8 = (s) => new TextEncoder().encode(s);
  function base64url(bytes) {
    let bin = "";
    for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function base64urlDecode(s) {
    const b64 = s.replace(/-/g, "+").replace(/_/g, "/").replace(/\s+/g, "");
    const bin = atob(b64 + "===".slice((b64.length + 3) % 4));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  var hex = (bytes) => Array.from(bytes, (b) => (b < 16 ? "0" : "") + b.toString(16)).join("");
  function subtle() {
    try {
      const c = globalThis.crypto;
      return c && c.subtle && typeof c.subtle.importKey === "function" ? c.subtle : void 0;
    } catch {
      return void 0;
    }
  }
  async function hmac(key, data, crypto = subtle()) {
    if (crypto) {
      try {
        const k = await crypto.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
        return new Uint8Array(await crypto.sign("HMAC", k, data));
      } catch {
      }
    }
    return hmacSha256(key, data);
  }
  async function signCode(userID, appID, secret, crypto) {
    const payload = { userID, appID, generateTurnCredentials: false };
    let key = secret;
    const colon = secret.indexOf(":");
    if (colon > 0) {
      try {
        payload["keyId"] = hex(base64urlDecode(secret.slice(0, colon)));
        key = secret.slice(colon + 1);
      } catch {
        key = secret;
      }
    }
    const signingInput = base64url(utf8('{"alg":"HS256"}')) + "." + base64url(utf8(JSON.stringify(payload)));
    const sig = await hmac(utf8(key), utf8(signingInput), crypto === void 0 ? subtle() : crypto);
    return signingInput + "." + base64url(sig);
  }
  var DEFAULT_SUBMISSION_INTERVAL = 15e3;
  function decodeClaims(token) {
    const parts = typeof token === "string" ? token.split(".") : [];
    if (parts.length < 2) return null;
    let raw;
    try {
      raw = JSON.parse(new TextDecoder().decode(base64urlDecode(parts[1])));
    } catch {
      return null;
    }
    if (!raw || typeof raw !== "object") return null;
    const si = Number(raw["submissionInterval"]);
    const claims = {
      submissionInterval: si > 0 && isFinite(si) ? si : DEFAULT_SUBMISSION_INTERVAL,
      collectSDP: raw["collectSDP"] === true
    };
    if (typeof raw["appID"] === "number" || typeof raw["appID"] === "string") claims.appID = raw["appID"];
    if (typeof raw["userID"] === "string") claims.userID = raw["userID"];
    if (Array.isArray(raw["ingestedEvents"])) claims.ingestedEvents = raw["ingestedEvents"].filter((e) => typeof e === "string");
    const expiry = typeof raw["expiry"] === "string" ? Date.parse(raw["expiry"].replace(" ", "T")) : NaN;
    if (isFinite(expiry)) claims.expiresAt = expiry;
    else if (typeof raw["exp"] === "number") claims.expiresAt = raw["exp"] * 1e3;
    return claims;
  }

  // src/sdp.ts
  function parseSsrcs(sdp) {
    const out = /* @__PURE__ */ new Map();
    if (typeof sdp !== "string") return out;
    let mediaType;
    let mid;
    let sectionMsid;
    let sectionSsrcs = [];
    const closeSection = () => {
      for (const s of sectionSsrcs) if (!s.msid && sectionMsid) s.msid = sectionMsid;
      sectionSsrcs = [];
    };
    for (const line of sdp.split(/\r\n|\r|\n/)) {
      if (line.startsWith("m=")) {
        closeSection();
        mediaType = line.slice(2).split(" ")[0];
        mid = void 0;
        sectionMsid = void 0;
        continue;
      }
      if (line.startsWith("a=mid:")) {
        mid = line.slice(6).trim();
        for (const s of sectionSsrcs) s.mid = mid;
      } else if (line.startsWith("a=msid:")) {
        sectionMsid = line.slice(7).trim();
      } else if (line.startsWith("a=ssrc:")) {
        const m = /^a=ssrc:(\d+) ([\w-]+)(?::(.*))?$/.exec(line);
        if (!m) continue;
        let info = out.get(m[1]);
        if (!info) {
          info = { mediaType, mid };
          out.set(m[1], info);
          sectionSsrcs.push(info);
        }
        if (m[2] === "cname") info.cname = m[3];
        else if (m[2] === "msid") info.msid = m[3];
      }
    }
    closeSection();
    return out;
  }

  // src/stats/report.ts
  function toSnapshot(reports) {
    const snap = /* @__PURE__ */ new Map();
    const add = (r) => {
      if (r && typeof r === "object" && typeof r.id === "string" && typeof r.type === "string") {
        snap.set(r.id, { ...r });
      }
    };
    if (!reports || typeof reports !== "object") return snap;
    if (Array.isArray(reports)) reports.forEach(add);
    else if (typeof reports.forEach === "function") reports.forEach((r) => add(r));
    else Object.keys(reports).forEach((k) => add(reports[k]));
    return snap;
  }
  function num(r, field) {
    const v = r ? r[field] : void 0;
    return typeof v === "number" && isFinite(v) ? v : void 0;
  }
  function str(r, field) {
    const v = r ? r[field] : void 0;
    return typeof v === "string" ? v : void 0;
  }
  function ofType(snap, type) {
    const out = [];
    snap.forEach((r) => {
      if (r.type === type) out.push(r);
    });
    return out;
  }
  function selectedPair(snap) {
    for (const t of ofType(snap, "transport")) {
      const id = str(t, "selectedCandidatePairId");
      const p = id ? snap.get(id) : void 0;
      if (p) return p;
    }
    const pairs = ofType(snap, "candidate-pair");
    return pairs.find((p) => p["selected"] === true) || pairs.find((p) => p["nominated"] === true && p["state"] === "succeeded");
  }

  // src/stats/metrics.ts
  function counterDelta(prev, cur, field) {
    const a = num(prev, field);
    const b = num(cur, field);
    return a === void 0 || b === void 0 ? null : b - a;
  }
  var ratio = (n, d) => n === null || d === null || d <= 0 ? null : n / d;
  var ms = (seconds2) => seconds2 === void 0 ? null : seconds2 * 1e3;
  var RESET_COUNTERS = {
    inbound: ["bytesReceived", "packetsReceived", "framesDecoded", "totalSamplesReceived"],
    outbound: ["bytesSent", "packetsSent", "framesEncoded"]
  };
  function isReset(prev, cur, direction) {
    return RESET_COUNTERS[direction].some((f) => {
      const d = counterDelta(prev, cur, f);
      return d !== null && d < 0;
    });
  }
  function remoteOf(snap, local) {
    const type = local.type === "outbound-rtp" ? "remote-inbound-rtp" : "remote-outbound-rtp";
    const byId = str(local, "remoteId");
    const r = byId ? snap.get(byId) : void 0;
    if (r && r.type === type) return r;
    let found;
    snap.forEach((c) => {
      if (found || c.type !== type) return;
      if (c["localId"] === local.id || c["ssrc"] === local["ssrc"] && c["kind"] === local["kind"]) found = c;
    });
    return found;
  }
  function streamMetrics(cur, curSnap, prev, prevSnap) {
    const direction = cur.type === "outbound-rtp" ? "outbound" : "inbound";
    const inbound = direction === "inbound";
    const kind = str(cur, "kind") ?? str(cur, "mediaType");
    const dtMs = prev ? cur.timestamp - prev.timestamp : 0;
    const reset = !!prev && isReset(prev, cur, direction);
    const usable = !!prev && dtMs > 0 && !reset;
    const p = usable ? prev : void 0;
    const perSecond = (field) => {
      const d = counterDelta(p, cur, field);
      return d === null ? null : d * 1e3 / dtMs;
    };
    const remote = remoteOf(curSnap, cur);
    const prevRemote = p && prevSnap ? remoteOf(prevSnap, prev) : void 0;
    const pair = selectedPair(curSnap);
    const bytesPerSec = perSecond(inbound ? "bytesReceived" : "bytesSent");
    const packetRate = perSecond(inbound ? "packetsReceived" : "packetsSent");
    let fractionLost = null;
    let packetsLost = null;
    let jitter;
    let rtt = null;
    if (inbound) {
      const lost = counterDelta(p, cur, "packetsLost");
      const received = counterDelta(p, cur, "packetsReceived");
      if (lost !== null && received !== null) {
        packetsLost = Math.max(0, lost);
        fractionLost = packetsLost + received > 0 ? packetsLost / (packetsLost + received) : 0;
      }
      jitter = ms(num(cur, "jitter"));
      rtt = ms(num(remote, "roundTripTime"));
    } else {
      const f = num(remote, "fractionLost");
      fractionLost = f === void 0 ? null : Math.min(1, Math.max(0, f));
      const lost = counterDelta(prevRemote, remote, "packetsLost");
      packetsLost = lost === null ? null : Math.max(0, lost);
      jitter = ms(num(remote, "jitter"));
      const n = counterDelta(prevRemote, remote, "roundTripTimeMeasurements");
      const total = counterDelta(prevRemote, remote, "totalRoundTripTime");
      rtt = n && n > 0 && total !== null ? total / n * 1e3 : ms(num(remote, "roundTripTime"));
    }
    if (rtt === null) rtt = ms(num(pair, "currentRoundTripTime"));
    const framesField = inbound ? "framesDecoded" : "framesEncoded";
    const fpsFromCounters = perSecond(framesField);
    const fps = fpsFromCounters ?? num(cur, "framesPerSecond") ?? null;
    const freezes = counterDelta(p, cur, "freezeCount");
    const freezeSeconds = counterDelta(p, cur, "totalFreezesDuration");
    const concealed = counterDelta(p, cur, "concealedSamples");
    const samples = counterDelta(p, cur, "totalSamplesReceived");
    const jbDelay = counterDelta(p, cur, "jitterBufferDelay");
    const jbCount = counterDelta(p, cur, "jitterBufferEmittedCount");
    let audioLevel = num(cur, "audioLevel") ?? null;
    if (!inbound && audioLevel === null) {
      const srcId = str(cur, "mediaSourceId");
      audioLevel = num(srcId ? curSnap.get(srcId) : void 0, "audioLevel") ?? null;
    }
    const jbRatio = ratio(jbDelay, jbCount);
    return {
      id: cur.id,
      ssrc: num(cur, "ssrc") ?? 0,
      direction,
      kind,
      intervalMs: usable ? dtMs : null,
      reset,
      bitrate: bytesPerSec === null ? null : bytesPerSec * 8,
      packetRate,
      fractionLost,
      packetsLost,
      jitter,
      rtt,
      framesPerSecond: kind === "audio" ? null : fps,
      frameWidth: num(cur, "frameWidth") ?? null,
      frameHeight: num(cur, "frameHeight") ?? null,
      freezeCount: freezes,
      freezeDuration: freezeSeconds === null ? null : freezeSeconds * 1e3,
      concealmentRatio: ratio(concealed, samples),
      jitterBufferDelay: jbRatio === null ? null : jbRatio * 1e3,
      audioLevel,
      qualityLimitationReason: str(cur, "qualityLimitationReason") ?? null
    };
  }
  function allStreamMetrics(cur, prev) {
    const out = [];
    cur.forEach((r) => {
      if (r.type !== "inbound-rtp" && r.type !== "outbound-rtp") return;
      const before = prev ? prev.get(r.id) : void 0;
      out.push(streamMetrics(r, cur, before && before.type === r.type ? before : void 0, prev));
    });
    return out;
  }
  var RunningAverage = class {
    constructor() {
      this.sums = /* @__PURE__ */ new Map();
    }
    add(key, value) {
      let s = this.sums.get(key);
      if (value !== null && isFinite(value)) {
        if (!s) this.sums.set(key, s = { n: 0, sum: 0 });
        s.n++;
        s.sum += value;
      }
      return s && s.n ? s.sum / s.n : null;
    }
  };

  // src/stats/quality.ts
  var THRESHOLDS = {
    /** Interval bitrate, kbps; higher is better. */
    bitrateKbps: { video: { green: 1024, red: 256 }, audio: { green: 30, red: 8 } },
    /** Interval fraction lost, 0..1; lower is better. */
    fractionLost: { video: { green: 0.1, red: 0.5 }, audio: { green: 0.15, red: 0.3 } },
    /** Round-trip time, ms, for video; lower is better. */
    rttMs: { video: { green: 400, red: 1e3 } },
    /** Audio delay estimate (RTT plus 40 ms of coding and buffering), ms; lower is better. */
    audioDelayMs: { audio: { green: 240, red: 400 } },
    /** Frame rate now over frame rate in the previous interval; higher is better. */
    frameRateRatio: { video: { green: 0.8, red: 0.3 } }
  };
  var AUDIO_DELAY_ALLOWANCE_MS = 40;
  var higherIsBetter = (v, b) => v >= b.green ? 5 : v > b.red ? 3 : 1;
  var lowerIsBetter = (v, b) => v > b.red ? 1 : v >= b.green ? 3 : 5;
  function combine(ratings) {
    if (!ratings.length) return "unknown";
    const mean = Math.floor(ratings.reduce((a, b) => a + b, 0) / ratings.length);
    return mean >= 5 ? "excellent" : mean >= 2 ? "fair" : "bad";
  }
  var positive = (v) => typeof v === "number" && v > 0;
  function streamQuality(m, previousFps) {
    const ratings = [];
    const video = m.kind === "video";
    const kbps = m.bitrate === null ? null : m.bitrate / 1e3;
    if (positive(kbps)) ratings.push(higherIsBetter(kbps, video ? THRESHOLDS.bitrateKbps.video : THRESHOLDS.bitrateKbps.audio));
    if (positive(m.fractionLost)) {
      ratings.push(lowerIsBetter(m.fractionLost, video ? THRESHOLDS.fractionLost.video : THRESHOLDS.fractionLost.audio));
    }
    if (positive(m.rtt)) {
      ratings.push(
        video ? lowerIsBetter(m.rtt, THRESHOLDS.rttMs.video) : lowerIsBetter(m.rtt + AUDIO_DELAY_ALLOWANCE_MS, THRESHOLDS.audioDelayMs.audio)
      );
    }
    if (video && positive(m.framesPerSecond) && positive(previousFps)) {
      ratings.push(higherIsBetter(m.framesPerSecond / Math.max(previousFps, 1), THRESHOLDS.frameRateRatio.video));
    }
    return combine(ratings);
  }

  // src/stats/compact.ts
  var COUNTERS = ["b", "p", "l", "f", "fc", "cs", "sc", "pd", "ts", "be"];
  var VALUES = ["t", "c", "fec", "fl", "j", "r", "w", "h", "fd", "bd", "q"];
  function set(s, k, v) {
    if (v !== void 0) s[k] = v;
  }
  function compactStreams(list) {
    const byId = /* @__PURE__ */ new Map();
    for (const r of list) if (typeof r.id === "string") byId.set(r.id, r);
    let pair;
    for (const t of list) {
      const id = t.type === "transport" ? str(t, "selectedCandidatePairId") : void 0;
      if (id !== void 0) {
        pair = byId.get(id);
        break;
      }
    }
    if (!pair) pair = list.find((p) => p.type === "candidate-pair" && p["nominated"] === true && p["state"] === "succeeded");
    const transportRtt = num(pair, "currentRoundTripTime");
    const remoteOf2 = (id, type) => list.find((r) => r.type === type && r["localId"] === id);
    const anyRtt = (type, kind) => {
      let other;
      for (const r of list) {
        const rtt = r.type === type ? num(r, "roundTripTime") : void 0;
        if (rtt === void 0) continue;
        if ((str(r, "kind") ?? str(r, "mediaType")) === kind) return rtt;
        if (other === void 0) other = rtt;
      }
      return other;
    };
    const out = [];
    for (const r of list) {
      const inbound = r.type === "inbound-rtp";
      if (!inbound && r.type !== "outbound-rtp") continue;
      const kind = str(r, "kind") ?? str(r, "mediaType");
      const ssrc = num(r, "ssrc");
      if (kind !== "audio" && kind !== "video" || ssrc === void 0) continue;
      const codecId = str(r, "codecId");
      const codec = codecId !== void 0 ? byId.get(codecId) : void 0;
      const mime = str(codec, "mimeType") ?? str(r, "mimeType");
      const fmtp = str(codec, "sdpFmtpLine") ?? str(r, "sdpFmtpLine");
      const s = { i: 0, ssrc, k: kind === "audio" ? "a" : "v", d: inbound ? "i" : "o", t: num(r, "timestamp") ?? 0 };
      set(s, "c", mime !== void 0 ? mime.slice(mime.lastIndexOf("/") + 1) : void 0);
      s.fec = fmtp !== void 0 && fmtp.indexOf("useinbandfec=1") >= 0;
      set(s, "w", num(r, "frameWidth"));
      set(s, "h", num(r, "frameHeight"));
      const id = typeof r.id === "string" ? r.id : "";
      if (inbound) {
        set(s, "b", num(r, "bytesReceived"));
        set(s, "p", num(r, "packetsReceived"));
        set(s, "l", num(r, "packetsLost"));
        set(s, "j", num(r, "jitter"));
        set(s, "f", num(r, "framesDecoded"));
        set(s, "fc", num(r, "freezeCount"));
        set(s, "fd", num(r, "totalFreezesDuration"));
        set(s, "cs", num(r, "concealedSamples"));
        set(s, "sc", num(r, "silentConcealedSamples"));
        set(s, "pd", num(r, "packetsDiscarded"));
        set(s, "ts", num(r, "totalSamplesReceived"));
        set(s, "bd", num(r, "jitterBufferDelay"));
        set(s, "be", num(r, "jitterBufferEmittedCount"));
        set(
          s,
          "r",
          transportRtt ?? anyRtt("remote-inbound-rtp", kind) ?? num(remoteOf2(id, "remote-outbound-rtp"), "roundTripTime") ?? anyRtt("remote-outbound-rtp", kind)
        );
      } else {
        set(s, "b", num(r, "bytesSent"));
        set(s, "p", num(r, "packetsSent"));
        set(s, "f", num(r, "framesEncoded"));
        set(s, "q", str(r, "qualityLimitationReason"));
        const remote = remoteOf2(id, "remote-inbound-rtp");
        set(s, "l", num(remote, "packetsLost"));
        set(s, "fl", num(remote, "fractionLost"));
        set(s, "j", num(remote, "jitter"));
        set(
          s,
          "r",
          transportRtt ?? num(remote, "roundTripTime") ?? anyRtt("remote-inbound-rtp", kind) ?? anyRtt("remote-outbound-rtp", kind)
        );
      }
      out.push(s);
    }
    return out;
  }
  function delta(cur, prev, t) {
    if (cur.ssrc !== prev.ssrc || cur.k !== prev.k || cur.d !== prev.d) return void 0;
    const out = { i: cur.i };
    for (const k of COUNTERS) {
      const c = cur[k];
      const p = prev[k];
      if (c === void 0 && p !== void 0) return void 0;
      if (c === void 0) continue;
      if (p === void 0) {
        out[k] = c;
        continue;
      }
      const d = c - p;
      if (!Number.isInteger(c) || !Number.isInteger(p) || p + d !== c) return void 0;
      if (d !== 0) out[k] = d;
    }
    for (const k of VALUES) {
      const c = cur[k];
      if (c === void 0 && prev[k] !== void 0 && k !== "t") return void 0;
      if (k === "t" ? c !== t : c !== prev[k]) set(out, k, c);
    }
    return out;
  }
  var CompactEncoder = class {
    constructor() {
      this.numbers = /* @__PURE__ */ new Map();
      this.seq = 0;
    }
    /** Numbers the streams of one submission (stable per SSRC, kind and direction). */
    number(streams) {
      for (const s of streams) {
        const key = `${s.ssrc}:${s.k}:${s.d}`;
        let i = this.numbers.get(key);
        if (i === void 0) {
          i = this.numbers.size;
          this.numbers.set(key, i);
        }
        s.i = i;
      }
      return { seq: ++this.seq, streams };
    }
    /** The frame to send for a numbered submission, against the latest acknowledged one. */
    encode(sub) {
      const t = sub.streams.length ? sub.streams[0].t ?? 0 : 0;
      const full = () => ({ seq: sub.seq, t, s: sub.streams.map((s2) => s2.t === t ? { ...s2, t: void 0 } : { ...s2 }) });
      const base = this.acked;
      if (!base || base.seq >= sub.seq) return full();
      const s = [];
      for (const cur of sub.streams) {
        const prev = base.streams.find((p) => p.i === cur.i);
        if (!prev) {
          s.push(cur.t === t ? { ...cur, t: void 0 } : { ...cur });
          continue;
        }
        const d = delta(cur, prev, t);
        if (!d) return full();
        s.push(d);
      }
      return { seq: sub.seq, base: base.seq, t, s };
    }
    /** The server stored this submission: later ones may be deltas against it. */
    acknowledged(sub) {
      if (!this.acked || sub.seq > this.acked.seq) this.acked = sub;
    }
    /** The server does not hold the base (restart, another node): keyframes until acknowledged. */
    forgetBase() {
      this.acked = void 0;
    }
  };

  // src/stats/oneway.ts
  function flow(cur, prev, field) {
    let moving = false;
    let silent;
    for (const r of cur) {
      const before = num(prev.get(r.id), field);
      const now = num(r, field);
      if (before === void 0 || now === void 0) continue;
      if (now > before) moving = true;
      else if (!silent) silent = r;
    }
    return { moving, silent };
  }
  function oneWayChanges(prev, cur, active, muted) {
    const out = [];
    for (const kind of ["audio", "video"]) {
      const ofKind = (type) => ofType(cur, type).filter((r) => (str(r, "kind") ?? str(r, "mediaType")) === kind);
      const inbound = flow(ofKind("inbound-rtp"), prev, "packetsReceived");
      const outbound = flow(ofKind("outbound-rtp"), prev, "packetsSent");
      let silent;
      if (outbound.moving && !inbound.moving && inbound.silent) silent = inbound.silent;
      else if (inbound.moving && !outbound.moving && outbound.silent && !muted[kind]) silent = outbound.silent;
      const ongoing = active.get(kind);
      if (silent && ongoing === void 0) {
        const ssrc = String(num(silent, "ssrc") ?? 0);
        active.set(kind, ssrc);
        out.push({ eventType: "oneWayMediaStart", mediaType: kind, disruptionType: "oneWayMedia", ssrc });
      } else if (!silent && ongoing !== void 0 && (inbound.moving || outbound.moving)) {
        active.delete(kind);
        out.push({ eventType: "oneWayMediaStop", mediaType: kind, disruptionType: "oneWayMedia", ssrc: ongoing });
      }
    }
    return out;
  }

  // src/stats/trim.ts
  var ID = ["id", "type", "timestamp"];
  var RTP = [...ID, "kind", "ssrc", "codecId", "transportId", "mid"];
  var KEPT_FIELDS = {
    "inbound-rtp": [
      ...RTP,
      "remoteId",
      "trackIdentifier",
      "playoutId",
      "packetsReceived",
      "packetsLost",
      "packetsDiscarded",
      "bytesReceived",
      "headerBytesReceived",
      "jitter",
      "lastPacketReceivedTimestamp",
      "nackCount",
      "pliCount",
      "firCount",
      "fecPacketsReceived",
      "fecPacketsDiscarded",
      "retransmittedPacketsReceived",
      "retransmittedBytesReceived",
      "framesReceived",
      "framesDecoded",
      "keyFramesDecoded",
      "framesDropped",
      "framesPerSecond",
      "frameWidth",
      "frameHeight",
      "freezeCount",
      "totalFreezesDuration",
      "pauseCount",
      "totalPausesDuration",
      "qpSum",
      "totalDecodeTime",
      "totalInterFrameDelay",
      "totalSquaredInterFrameDelay",
      "totalProcessingDelay",
      "decoderImplementation",
      "audioLevel",
      "totalAudioEnergy",
      "totalSamplesReceived",
      "totalSamplesDuration",
      "concealedSamples",
      "silentConcealedSamples",
      "concealmentEvents",
      "insertedSamplesForDeceleration",
      "removedSamplesForAcceleration",
      "jitterBufferDelay",
      "jitterBufferTargetDelay",
      "jitterBufferMinimumDelay",
      "jitterBufferEmittedCount"
    ],
    "outbound-rtp": [
      ...RTP,
      "remoteId",
      "mediaSourceId",
      "rid",
      "encodingIndex",
      "active",
      "packetsSent",
      "bytesSent",
      "headerBytesSent",
      "retransmittedPacketsSent",
      "retransmittedBytesSent",
      "targetBitrate",
      "nackCount",
      "pliCount",
      "firCount",
      "totalPacketSendDelay",
      "framesEncoded",
      "keyFramesEncoded",
      "framesSent",
      "hugeFramesSent",
      "framesPerSecond",
      "frameWidth",
      "frameHeight",
      "qpSum",
      "totalEncodeTime",
      "qualityLimitationReason",
      "qualityLimitationDurations",
      "qualityLimitationResolutionChanges",
      "encoderImplementation",
      "scalabilityMode"
    ],
    "remote-inbound-rtp": [
      ...RTP,
      "localId",
      "packetsLost",
      "fractionLost",
      "jitter",
      "roundTripTime",
      "totalRoundTripTime",
      "roundTripTimeMeasurements"
    ],
    "remote-outbound-rtp": [
      ...RTP,
      "localId",
      "packetsSent",
      "bytesSent",
      "remoteTimestamp",
      "reportsSent",
      "roundTripTime",
      "totalRoundTripTime",
      "roundTripTimeMeasurements"
    ],
    "candidate-pair": [
      ...ID,
      "transportId",
      "localCandidateId",
      "remoteCandidateId",
      "state",
      "nominated",
      "currentRoundTripTime",
      "totalRoundTripTime",
      "responsesReceived",
      "availableOutgoingBitrate",
      "availableIncomingBitrate",
      "bytesSent",
      "bytesReceived",
      "packetsSent",
      "packetsReceived",
      "lastPacketSentTimestamp",
      "lastPacketReceivedTimestamp"
    ],
    "local-candidate": [...ID, "transportId", "candidateType", "protocol", "relayProtocol", "networkType", "address", "port", "url"],
    "remote-candidate": [...ID, "transportId", "candidateType", "protocol", "address", "port"],
    transport: [
      ...ID,
      "bytesSent",
      "bytesReceived",
      "packetsSent",
      "packetsReceived",
      "dtlsState",
      "iceState",
      "iceRole",
      "selectedCandidatePairId",
      "selectedCandidatePairChanges",
      "tlsVersion",
      "dtlsCipher",
      "srtpCipher"
    ],
    codec: [...ID, "transportId", "payloadType", "mimeType", "clockRate", "channels", "sdpFmtpLine"],
    "media-source": [
      ...ID,
      "kind",
      "trackIdentifier",
      "audioLevel",
      "totalAudioEnergy",
      "totalSamplesDuration",
      "echoReturnLoss",
      "echoReturnLossEnhancement",
      "width",
      "height",
      "frames",
      "framesPerSecond"
    ],
    "media-playout": [
      ...ID,
      "kind",
      "synthesizedSamplesDuration",
      "synthesizedSamplesEvents",
      "totalSamplesDuration",
      "totalPlayoutDelay",
      "totalSamplesCount"
    ]
  };
  function pick(r, fields) {
    const out = {};
    for (const f of fields) if (r[f] !== void 0) out[f] = r[f];
    return out;
  }
  function trimSnapshot(snap, opts = {}) {
    const pair = selectedPair(snap);
    const wanted = /* @__PURE__ */ new Set();
    if (pair) {
      wanted.add(pair.id);
      const l = str(pair, "localCandidateId");
      const r = str(pair, "remoteCandidateId");
      if (l) wanted.add(l);
      if (r) wanted.add(r);
    }
    snap.forEach((r) => {
      const codec = str(r, "codecId");
      if (codec && (r.type === "inbound-rtp" || r.type === "outbound-rtp")) wanted.add(codec);
    });
    const out = [];
    snap.forEach((r) => {
      const fields = KEPT_FIELDS[r.type];
      if (!fields) return;
      const selectiveType = r.type === "candidate-pair" || r.type === "codec" || r.type.endsWith("-candidate");
      if (selectiveType && !wanted.has(r.id)) return;
      const t = pick(r, fields);
      if (opts.collectIP === false && "address" in t) t["address"] = r.id;
      out.push(t);
    });
    return out;
  }
  function describeCandidate(c, collectIP = true) {
    if (!c) return void 0;
    const d = {
      id: c.id,
      type: c.type,
      transport: c["protocol"],
      ip: collectIP ? c["address"] ?? c["ip"] : c.id,
      port: c["port"],
      candidateType: c["candidateType"]
    };
    for (const f of ["networkType", "relayProtocol", "url"]) if (c[f] !== void 0) d[f] = c[f];
    return d;
  }

  // src/fabric.ts
  var STATE_PROPS = ["signalingState", "iceConnectionState", "iceGatheringState", "connectionState"];
  var EVENT_FOR = {
    signalingState: "signalingstatechange",
    iceConnectionState: "iceconnectionstatechange",
    iceGatheringState: "icegatheringstatechange",
    connectionState: "connectionstatechange"
  };
  var REPORTED = { signalingState: true, iceConnectionState: true, iceGatheringState: true };
  var CONNECTED = (s) => s === "connected" || s === "completed";
  var CALLBACK_INTERVAL_MS = 1e4;
  var POLL_MAX_MS = 5e3;
  var GETSTATS_TIMEOUT_MS = 5e3;
  function getStats(pc) {
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(/* @__PURE__ */ new Map()), GETSTATS_TIMEOUT_MS);
      const done = (r) => {
        clearTimeout(t);
        resolve(toSnapshot(r));
      };
      try {
        Promise.resolve(pc.getStats()).then(done, () => done(void 0));
      } catch {
        done(void 0);
      }
    });
  }
  var seconds = (ms2) => ms2 === null ? null : ms2 / 1e3;
  var Fabric = class {
    constructor(host, pc, remoteID, remoteUser, usage, conf, attributes, pcCallback) {
      this.host = host;
      this.pc = pc;
      this.remoteID = remoteID;
      this.remoteUser = remoteUser;
      this.usage = usage;
      this.conf = conf;
      this.attributes = attributes;
      this.pcCallback = pcCallback;
      this.connectionID = randomConnectionId();
      /** Kinds the app silenced on its side (audioMute, videoPause): not one-way media. */
      this.muted = { audio: false, video: false };
      /** Ongoing one-way media episodes: kind -> the silent stream's SSRC. */
      this.oneWay = /* @__PURE__ */ new Map();
      /** Numbers and delta-encodes this fabric's stats submissions (the compact extension). */
      this.compact = new CompactEncoder();
      this.state = "initializing";
      this.terminated = false;
      this.hold = false;
      this.setupDone = false;
      this.associations = /* @__PURE__ */ new Map();
      this.states = {};
      this.listeners = [];
      this.failedReported = false;
      this.pollDueAt = 0;
      this.polling = false;
      this.lastSubmitAt = -Infinity;
      this.lastCallbackAt = 0;
      this.ssrcKey = "";
      this.sdp = {};
      this.prevFps = /* @__PURE__ */ new Map();
      this.averages = { jitter: new RunningAverage(), rtt: new RunningAverage() };
      /** Video elements already watched, by element id. */
      this.watched = /* @__PURE__ */ new Set();
      this.elementListeners = [];
      this.addedAt = host.now();
    }
    start() {
      for (const p of STATE_PROPS) this.states[p] = this.read(p);
      if (this.states.iceGatheringState === "gathering") this.gatheringAt = this.addedAt;
      if (this.states.iceConnectionState === "checking") this.checkingAt = this.addedAt;
      const pc = this.pc;
      if (typeof pc.addEventListener === "function") {
        for (const p of STATE_PROPS) {
          const fn = () => this.guard(() => this.checkStates());
          pc.addEventListener(EVENT_FOR[p], fn);
          this.listeners.push([EVENT_FOR[p], fn]);
        }
      }
      if (typeof pc.addEventListener === "function") {
        const onTrack = (ev) => this.guard(() => this.trackStarted(ev));
        pc.addEventListener("track", onTrack);
        this.listeners.push(["track", onTrack]);
      }
      if (CONNECTED(this.states.iceConnectionState)) this.setup();
      if (this.states.signalingState === "closed" || this.states.connectionState === "closed") this.terminate();
    }
    /**
     * mediaPlaybackStart when a remote track arrives, as the original sends it: the SSRC from the
     * remote SDP section of the track's transceiver (`"0"` when it cannot be matched).
     */
    trackStarted(ev) {
      const track = ev && ev.track;
      if (!track) return;
      const mid = ev.transceiver ? ev.transceiver.mid : null;
      let ssrc = "0";
      this.ssrcInfo("inbound").forEach((info, s) => {
        if (ssrc !== "0") return;
        if (mid !== null && info.mid === mid || info.msid !== void 0 && info.msid.split(" ")[1] === track.id) ssrc = s;
      });
      const highResTs = typeof performance !== "undefined" ? performance.now() : 0;
      this.emit("mediaPlaybackStart", { ssrc, highResTs, kind: track.kind });
    }
    guard(fn) {
      try {
        fn();
      } catch (e) {
        if (typeof console !== "undefined") console.warn("callstats: fabric monitoring error", e);
      }
    }
    read(p) {
      try {
        const v = this.pc[p];
        return typeof v === "string" ? v : void 0;
      } catch {
        return void 0;
      }
    }
    emit(eventType, extra = {}, createdAt) {
      this.host.emit(this.conf, eventType, extra, this, createdAt);
    }
    notify(status, message) {
      if (!this.pcCallback) return;
      try {
        this.pcCallback(status, message);
      } catch {
      }
    }
    checkStates() {
      if (this.terminated) return;
      for (const p of STATE_PROPS) {
        const cur = this.read(p);
        const prev = this.states[p];
        if (cur === prev || cur === void 0) continue;
        this.states[p] = cur;
        this.onChange(p, prev, cur);
        if (this.terminated) return;
      }
    }
    onChange(p, prev, cur) {
      const now = this.host.now();
      if (REPORTED[p]) this.emit("fabricStateChange", { changedState: p, prevState: prev ?? "", newState: cur });
      if (p === "iceGatheringState") {
        if (cur === "gathering") this.gatheringAt = now;
        else if (cur === "complete" && this.gatheringAt !== void 0) this.gatheringDelay = now - this.gatheringAt;
      } else if (p === "iceConnectionState") {
        this.onIce(prev, cur, now);
      }
      if (p === "connectionState" && cur === "failed") {
        const ice = this.states.iceConnectionState;
        this.onFailed(ice, ice ?? cur, now);
      }
      if ((p === "signalingState" || p === "connectionState") && cur === "closed") this.terminate();
    }
    pairInfo(snap, id) {
      const pair = snap && (id ? snap.get(id) : selectedPair(snap));
      if (!pair || !snap) return void 0;
      const info = pick(pair, KEPT_FIELDS["candidate-pair"]);
      const local = describeCandidate(snap.get(String(pair["localCandidateId"])), this.host.collectIP);
      const remote = describeCandidate(snap.get(String(pair["remoteCandidateId"])), this.host.collectIP);
      if (local) info["localCandidate"] = local;
      if (remote) info["remoteCandidate"] = remote;
      return info;
    }
    onIce(prev, cur, now) {
      const ice = { prevIceConnectionState: prev ?? "", currIceConnectionState: cur };
      if (cur === "checking") {
        if (prev && prev !== "new") this.emit("iceRestarted", ice);
        this.checkingAt = now;
        this.failedReported = false;
      } else if (CONNECTED(cur)) {
        if (!this.setupDone) {
          this.setup();
        } else if (this.disruptedAt !== void 0) {
          this.emit("iceDisruptionEnd", { ...ice, delay: now - this.disruptedAt, currIceCandidatePair: this.pairInfo(this.lastSnap) });
          this.disruptedAt = void 0;
        }
        if (this.state === "disrupted" || this.state === "failed") this.state = this.hold ? "hold" : "established";
      } else if (cur === "disconnected" && this.setupDone) {
        this.disruptedAt = now;
        this.state = "disrupted";
        this.emit("iceDisruptionStart", { ...ice, currIceCandidatePair: this.pairInfo(this.lastSnap) });
        this.notify("appConnectivityError", "ICE connection disrupted");
      } else if (cur === "failed") {
        this.onFailed(prev, cur, now);
      }
    }
    /** The connection failed: before setup that is a setup failure, after it a drop. Once. */
    onFailed(prev, cur, now) {
      const ice = { prevIceConnectionState: prev ?? "", currIceConnectionState: cur };
      if (!this.failedReported) {
        this.failedReported = true;
        const since = this.disruptedAt ?? this.checkingAt ?? this.addedAt;
        this.emit("iceFailed", { ...ice, delay: now - since });
        if (!this.setupDone) {
          this.emit("fabricSetupFailed", {
            reason: "IceConnectionFailure",
            function: "iceConnectionFailure",
            delay: now - this.addedAt,
            fabricState: this.state,
            iceConnectionState: cur
          });
        } else {
          this.emit("fabricDropped", { ...ice, delay: now - since, currIceCandidatePair: this.pairInfo(this.lastSnap) });
        }
        this.state = "failed";
        this.notify("appConnectivityError", "ICE connection failed");
      }
    }
    pollInterval() {
      const c = this.host.claims();
      return Math.min(POLL_MAX_MS, c ? c.submissionInterval : POLL_MAX_MS);
    }
    setup() {
      this.setupDone = true;
      if (this.state === "initializing") this.state = this.hold ? "hold" : "established";
      const now = this.host.now();
      const connectivityDelay = now - (this.checkingAt ?? this.addedAt);
      this.polling = true;
      void getStats(this.pc).then(
        (snap) => this.guard(() => {
          this.polling = false;
          if (this.terminated) return;
          const pair = selectedPair(snap);
          const collectIP = this.host.collectIP;
          let iceServers = [];
          try {
            const cfg = typeof this.pc.getConfiguration === "function" ? this.pc.getConfiguration() : void 0;
            iceServers = (cfg && cfg.iceServers || []).flatMap((s) => {
              const urls = s.urls ?? s.url;
              return (Array.isArray(urls) ? urls : [urls]).filter((u) => typeof u === "string");
            });
          } catch {
            iceServers = [];
          }
          this.emit(
            "fabricSetup",
            {
              delay: now - this.addedAt,
              iceGatheringDelay: this.gatheringDelay ?? 0,
              iceConnectivityDelay: connectivityDelay,
              localIceCandidates: ofType(snap, "local-candidate").map((c) => describeCandidate(c, collectIP)),
              remoteIceCandidates: ofType(snap, "remote-candidate").map((c) => describeCandidate(c, collectIP)),
              iceCandidatePairs: ofType(snap, "candidate-pair").map((p) => pick(p, KEPT_FIELDS["candidate-pair"])),
              selectedCandidatePairID: pair ? pair.id : null,
              fabricTransmissionDirection: this.attributes.fabricTransmissionDirection,
              remoteEndpointType: this.attributes.remoteEndpointType,
              fabricUsage: this.usage,
              iceServers,
              sdpSemantics: "unified-plan"
            },
            now
          );
          this.selectedPairId = pair ? pair.id : void 0;
          this.notify("success", "fabric set up");
          this.onPoll(snap);
        })
      );
    }
    setHold(hold) {
      this.hold = hold;
      if (hold) this.state = "hold";
      else if (this.state === "hold") this.state = this.setupDone ? "established" : "initializing";
      this.pollDueAt = 0;
    }
    associate(ssrc, a) {
      this.associations.set(ssrc, a);
      this.ssrcKey = "";
      if (a.associatedVideoTag) this.watchVideo(ssrc, a.associatedVideoTag);
    }
    /**
     * The original watched the video element named in associateMstWithUserID: `canplay` gives
     * mediaPlaybackStart, `suspend` mediaPlaybackSuspended, both with the associated SSRC.
     */
    watchVideo(ssrc, tag) {
      const doc = globalThis.document;
      const el = doc && typeof doc.getElementById === "function" ? doc.getElementById(tag) : null;
      if (!el || typeof el.addEventListener !== "function" || this.watched.has(tag)) return;
      this.watched.add(tag);
      const highResTs = () => typeof performance !== "undefined" ? performance.now() : 0;
      const onPlay = () => this.guard(() => !this.terminated && this.emit("mediaPlaybackStart", { ssrc, highResTs: highResTs(), kind: "video" }));
      const onSuspend = () => this.guard(() => !this.terminated && this.emit("mediaPlaybackSuspended", { ssrc, highResTs: highResTs() }));
      el.addEventListener("canplay", onPlay);
      el.addEventListener("suspend", onSuspend);
      this.elementListeners.push([el, "canplay", onPlay], [el, "suspend", onSuspend]);
    }
    tick(now) {
      this.checkStates();
      if (this.terminated || !this.setupDone || this.hold || this.polling || now < this.pollDueAt) return;
      this.polling = true;
      void getStats(this.pc).then(
        (snap) => this.guard(() => {
          this.polling = false;
          if (!this.terminated) this.onPoll(snap);
        })
      );
    }
    onPoll(snap) {
      const now = this.host.now();
      this.pollDueAt = now + this.pollInterval() - 250;
      if (!snap.size) return;
      const pair = selectedPair(snap);
      if (pair && this.selectedPairId && pair.id !== this.selectedPairId) {
        const prevPair = this.pairInfo(this.lastSnap, this.selectedPairId);
        const currPair = this.pairInfo(snap, pair.id);
        const local = snap.get(String(pair["localCandidateId"]));
        const extra = { prevIceCandidatePair: prevPair ?? { id: this.selectedPairId }, currIceCandidatePair: currPair };
        if (local && local["candidateType"] === "relay") extra["relayType"] = local["relayProtocol"] ?? local["protocol"];
        this.emit("fabricTransportSwitch", extra);
      }
      if (pair) this.selectedPairId = pair.id;
      if (this.lastSnap) {
        for (const e of oneWayChanges(this.lastSnap, snap, this.oneWay, this.muted)) {
          this.emit(e.eventType, { mediaType: e.mediaType, disruptionType: e.disruptionType, ssrc: e.ssrc });
        }
      }
      this.announceSsrcs(snap, now);
      this.checkSdp();
      const claims = this.host.claims();
      const interval = claims ? claims.submissionInterval : DEFAULT_SUBMISSION_INTERVAL;
      if (now - this.lastSubmitAt >= interval - this.pollInterval() / 2) {
        this.lastSubmitAt = now;
        this.host.submitStats(this, trimSnapshot(snap, { collectIP: this.host.collectIP }), now);
      }
      if (!this.callbackSnap) {
        this.callbackSnap = snap;
        this.lastCallbackAt = now - CALLBACK_INTERVAL_MS / 2;
      } else if (now - this.lastCallbackAt >= CALLBACK_INTERVAL_MS - 500) {
        this.host.statsCallback(this, this.tracks(snap, this.callbackSnap));
        this.callbackSnap = snap;
        this.lastCallbackAt = now;
      }
      this.lastSnap = snap;
    }
    ssrcInfo(direction) {
      try {
        const d = direction === "outbound" ? this.pc.localDescription : this.pc.remoteDescription;
        return parseSsrcs(d && d.sdp);
      } catch {
        return /* @__PURE__ */ new Map();
      }
    }
    owner(ssrc, direction) {
      const a = this.associations.get(ssrc);
      if (a) return a.userID;
      return direction === "outbound" ? this.host.localUserID() : this.remoteID;
    }
    announceSsrcs(snap, now) {
      const rtp = [...ofType(snap, "outbound-rtp"), ...ofType(snap, "inbound-rtp")];
      const key = rtp.map((r) => `${r.type}:${r["ssrc"]}`).sort().join(",");
      if (!rtp.length || key === this.ssrcKey) return;
      this.ssrcKey = key;
      const sdp = { inbound: this.ssrcInfo("inbound"), outbound: this.ssrcInfo("outbound") };
      const ssrcData = rtp.map((r) => {
        const direction = r.type === "outbound-rtp" ? "outbound" : "inbound";
        const ssrc = String(r["ssrc"]);
        const info = sdp[direction].get(ssrc) || {};
        const a = this.associations.get(ssrc);
        const entry = {
          ssrc,
          streamType: direction,
          reportType: direction === "outbound" ? "local" : "remote",
          mediaType: r["kind"] ?? info.mediaType,
          userID: this.owner(ssrc, direction),
          localUserID: this.host.localUserID(),
          remoteUserID: this.remoteID,
          localStartTime: now
        };
        const optional = {
          cname: info.cname,
          msid: info.msid,
          mid: r["mid"] ?? info.mid,
          trackIdentifier: r["trackIdentifier"],
          usageLabel: a && a.usageLabel,
          associatedVideoTag: a && a.associatedVideoTag
        };
        for (const k in optional) if (optional[k] !== void 0) entry[k] = optional[k];
        return entry;
      });
      this.emit("ssrcMap", { ssrcData });
    }
    /** Sends changed SDPs (the unchanged side as ''), only when the token asks for SDPs. */
    checkSdp(force) {
      const c = this.host.claims();
      if (!c || !c.collectSDP) return;
      const text = (d) => typeof d === "string" ? d : d && typeof d.sdp === "string" ? d.sdp : void 0;
      let local;
      let remote;
      try {
        local = force ? text(force.local) : text(this.pc.localDescription);
        remote = force ? text(force.remote) : text(this.pc.remoteDescription);
      } catch {
        return;
      }
      const localChanged = local !== void 0 && local !== this.sdp.local;
      const remoteChanged = remote !== void 0 && remote !== this.sdp.remote;
      if (!localChanged && !remoteChanged) return;
      if (localChanged) this.sdp.local = local;
      if (remoteChanged) this.sdp.remote = remote;
      this.emit("sdpSubmissionEvent", { localSDP: localChanged ? local : "", remoteSDP: remoteChanged ? remote : "" });
    }
    tracks(cur, prev) {
      const sdp = { inbound: this.ssrcInfo("inbound"), outbound: this.ssrcInfo("outbound") };
      return allStreamMetrics(cur, prev).map((m) => {
        const ssrc = String(m.ssrc);
        const info = sdp[m.direction].get(ssrc) || {};
        const a = this.associations.get(ssrc);
        const quality = streamQuality(m, this.prevFps.get(m.id));
        this.prevFps.set(m.id, m.framesPerSecond);
        const track = {
          remoteUserID: this.remoteUser,
          statsType: m.direction === "inbound" ? "inbound-rtp" : "outbound-rtp",
          ssrc: m.ssrc,
          mediaType: m.kind,
          bitrate: m.bitrate === null ? null : m.bitrate / 1e3,
          packetRate: m.packetRate,
          fractionLoss: m.fractionLost,
          packetLossPercentage: m.fractionLost === null ? null : m.fractionLost * 100,
          // The metrics are in ms (the quality labels read them so); the app gets seconds.
          jitter: seconds(m.jitter),
          averageJitter: seconds(this.averages.jitter.add(ssrc + m.direction, m.jitter)),
          rtt: seconds(m.rtt),
          averageRTT: seconds(this.averages.rtt.add(ssrc + m.direction, m.rtt)),
          quality
        };
        if (info.cname) track.cname = info.cname;
        if (info.msid) track.msid = info.msid;
        if (a && a.usageLabel !== void 0) track.usageLabel = a.usageLabel;
        if (a && a.associatedVideoTag !== void 0) track.associatedVideoTag = a.associatedVideoTag;
        if (m.kind === "audio") {
          track.audioLevel = m.audioLevel;
          if (m.direction === "inbound") {
            track.concealmentRatio = m.concealmentRatio;
            track.jitterBufferDelay = m.jitterBufferDelay;
          }
        } else {
          track.framesPerSecond = m.framesPerSecond;
          track.frameWidth = m.frameWidth;
          track.frameHeight = m.frameHeight;
          if (m.direction === "inbound") {
            track.freezeCount = m.freezeCount;
            track.totalFreezesDuration = m.freezeDuration;
            track.jitterBufferDelay = m.jitterBufferDelay;
          } else {
            track.qualityLimitationReason = m.qualityLimitationReason;
          }
        }
        return track;
      });
    }
    /** Stops monitoring; `silent` when the caller delivers fabricTerminated itself (page unload). */
    terminate(silent = false) {
      if (this.terminated) return;
      this.terminated = true;
      this.state = "terminated";
      const pc = this.pc;
      for (const [type, fn] of this.listeners) {
        try {
          pc.removeEventListener(type, fn);
        } catch {
        }
      }
      this.listeners = [];
      for (const [el, type, fn] of this.elementListeners) el.removeEventListener(type, fn);
      this.elementListeners = [];
      if (!silent) this.emit("fabricTerminated");
      this.host.fabricEnded(this);
    }
  };

  // src/routes.ts
  var EVENT_ROUTES = Object.freeze({
    userAlive: "events/user/alive",
    userLeft: "events/user/left",
    userDetails: "events/userdetails",
    connectedDeviceList: "events/devices/list",
    activeDeviceList: "events/devices/list",
    fabricStateChange: "events/fabric/statechange",
    fabricSetup: "events/fabric/setup",
    fabricSetupFailed: "events/fabric/setupfailed",
    applicationErrorLog: "events/app/logs",
    sdpSubmissionEvent: "events/sdp",
    ssrcMap: "events/ssrcmap",
    audioMute: "events/media/actions",
    audioUnmute: "events/media/actions",
    videoPause: "events/media/actions",
    videoResume: "events/media/actions",
    screenShareStart: "events/media/actions",
    screenShareStop: "events/media/actions",
    fabricHold: "events/fabric/actions",
    fabricResume: "events/fabric/actions",
    callUnAnswered: "events/fabric/actions",
    fabricTerminated: "events/fabric/terminated",
    dominantSpeaker: "events/dominantspeaker",
    mediaPlaybackStart: "events/media/pipeline",
    mediaPlaybackSuspended: "events/media/pipeline",
    oneWayMediaStart: "events/fabric/disruptions",
    oneWayMediaStop: "events/fabric/disruptions",
    iceDisruptionStart: "events/ice/status",
    iceDisruptionEnd: "events/ice/status",
    iceFailed: "events/ice/status",
    iceRestarted: "events/ice/status",
    fabricDropped: "events/fabric/status",
    fabricTransportSwitch: "events/fabric/transportchange",
    callDetails: "events/fabric/details",
    customEvent: "events/customevent",
    conferenceSummary: "events/conferencesummary",
    userFeedbackEvent: "events/feedback",
    stats: "stats",
    customStats: "customstats"
  });
  var STATS_TYPES = Object.freeze({ stats: true, customStats: true });

  // src/net/clock.ts
  function clockOffset(samples) {
    let best;
    for (const s of samples) {
      if (!(s.received >= s.sent) || !isFinite(s.server)) continue;
      if (!best || s.received - s.sent < best.received - best.sent) best = s;
    }
    return best ? best.server + (best.received - best.sent) / 2 - best.received : null;
  }

  // src/session.ts
  var RETRY = 0;
  var GET_NEW_TOKEN = 1;
  var REPORT_ERROR = 2;
  var IDLE_RETRY_LIMIT = 6;
  var REFRESH_AT = 0.9;
  var CLOCK_MAX_AGE = 30 * 60 * 1e3;
  var AUTH_SUCCESS_MESSAGE = "SDK authentication successful.";
  var Session = class {
    constructor(hooks, now = Date.now) {
      this.hooks = hooks;
      this.now = now;
      this.urls = {};
      /** Local ms after which the token must be refreshed / is unusable. */
      this.refreshAt = 0;
      this.expiresAt = 0;
      /** 'failed' is final until the app calls initialize() again. */
      this.state = "idle";
      this.generation = 0;
      this.failures = 0;
      this.forceNew = false;
      this.outageReported = false;
      this.authCount = 0;
      /** Whether the last authentication attempt reached the server (the stats callback's connectionState). */
      this.reachable = true;
      this.offset = 0;
      this.clock = "unsynced";
      this.clockAt = 0;
    }
    /** Server-synchronised now, ms. */
    serverNow() {
      return this.now() + this.offset;
    }
    start(creds) {
      this.generation++;
      this.creds = creds;
      this.token = void 0;
      this.claims = void 0;
      this.state = "idle";
      this.failures = 0;
      this.forceNew = false;
      this.outageReported = false;
      this.authCount = 0;
      this.clearRetry();
      this.ensure();
    }
    /** Whether the token can be attached to a request now; kicks off a refresh when it is due. */
    usableToken() {
      const now = this.now();
      if (this.token && now >= this.refreshAt) this.ensure();
      return this.token && now < this.expiresAt ? this.token : void 0;
    }
    /** The server refused `token`: forget it and authenticate again. */
    invalidate(token) {
      if (token && token === this.token) {
        this.token = void 0;
        if (this.state === "ready") this.state = "idle";
      }
      this.ensure();
    }
    /** Starts authenticating unless that is under way, waiting for a retry, impossible, or given up. */
    ensure() {
      if (!this.creds || !this.urls.auth || this.state === "pending" || this.state === "failed" || this.retryTimer) return;
      if (this.token && this.now() < this.refreshAt) return;
      void this.authenticate();
    }
    clearRetry() {
      if (this.retryTimer !== void 0) clearTimeout(this.retryTimer);
      this.retryTimer = void 0;
    }
    scheduleRetry(minDelay = 0) {
      const gen = this.generation;
      if (!this.hooks.busy() && this.failures > IDLE_RETRY_LIMIT) {
        this.failures = 0;
        return;
      }
      const delay = Math.max(minDelay, backoffDelay(this.failures - 1));
      this.retryTimer = setTimeout(() => {
        this.retryTimer = void 0;
        if (gen === this.generation) this.ensure();
      }, delay);
    }
    fail(status, message) {
      this.state = "failed";
      this.token = void 0;
      this.hooks.init(status, message);
    }
    code(creds) {
      if (creds.secret !== void 0) return signCode(creds.userID, creds.appID, creds.secret);
      return new Promise((resolve, reject) => {
        let settled = false;
        const cb = (err, token) => {
          if (settled) return;
          settled = true;
          if (err) reject(err);
          else if (typeof token === "string" && token) resolve(token);
          else reject(new Error("the token generator gave no token"));
        };
        const forceNew = this.forceNew;
        this.forceNew = false;
        const r = creds.tokenGenerator(forceNew, cb);
        if (r && typeof r.then === "function") r.then((t) => cb(null, t), (e) => cb(e || new Error("rejected")));
      });
    }
    async authenticate() {
      const creds = this.creds;
      const gen = this.generation;
      this.state = "pending";
      let code;
      try {
        code = await this.code(creds);
      } catch (e) {
        if (gen !== this.generation) return;
        if (creds.secret !== void 0) this.fail("tokenGenerationError", `could not sign the authentication token: ${String(e)}`);
        else this.fail("tokenGenerationError", String(e instanceof Error ? e.message : e));
        return;
      }
      if (gen !== this.generation) return;
      const form = new URLSearchParams({
        client_id: `${creds.userID}@${creds.appID}`,
        code,
        grant_type: "authorization_code"
      });
      const res = await request(this.urls.auth + "authenticate", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: form.toString(),
        timeoutMs: 1e4
      });
      if (gen !== this.generation) return;
      this.reachable = res.status !== 0;
      const body = res.body;
      const actions = body && body["urn:x-callstats:auth:errorActions"];
      if (Array.isArray(actions) && actions.length) {
        this.state = "idle";
        let retryAfter;
        for (const a of actions) {
          const params = a && a.params || {};
          if (a && a.action === REPORT_ERROR) {
            const reason = typeof params["errorReason"] === "string" ? params["errorReason"] : res.reason || "authentication refused";
            this.fail("authError", reason);
            return;
          }
          if (a && a.action === GET_NEW_TOKEN) this.forceNew = true;
          if (a && a.action === RETRY) retryAfter = Number(params["timeout"]) || 0;
        }
        this.failures++;
        this.scheduleRetry(retryAfter);
        return;
      }
      const token = body && typeof body["access_token"] === "string" ? body["access_token"] : void 0;
      const bearer = body && String(body["token_type"]).toLowerCase() === "bearer";
      const claims = token ? decodeClaims(token) : null;
      if (res.status === 200 && token && bearer && claims) {
        this.accept(token, claims, Number(body["expires_in"]));
        return;
      }
      this.state = "idle";
      const permanent = res.outcome === "reject" && res.status >= 400 && res.status < 500;
      if (permanent) {
        this.fail("authError", res.reason);
        return;
      }
      this.failures++;
      if (!this.outageReported) {
        this.outageReported = true;
        this.hooks.init("httpError", `authentication failed (${res.reason || "unusable reply"}); retrying`);
      }
      this.scheduleRetry(res.retryAfter);
    }
    accept(token, claims, expiresIn) {
      const now = this.now();
      let lifetime = expiresIn > 0 ? expiresIn * 1e3 : claims.expiresAt !== void 0 ? claims.expiresAt - this.offset - now : NaN;
      if (!isFinite(lifetime) || lifetime <= 0) lifetime = 3600 * 1e3;
      this.token = token;
      this.claims = claims;
      this.expiresAt = now + lifetime;
      this.refreshAt = now + lifetime * REFRESH_AT;
      this.state = "ready";
      this.failures = 0;
      this.outageReported = false;
      const first = this.authCount++ === 0;
      this.hooks.init("success", AUTH_SUCCESS_MESSAGE);
      this.hooks.authenticated(first);
      if (this.clock === "unsynced" || this.clock === "failed" || now - this.clockAt > CLOCK_MAX_AGE) void this.syncClock();
    }
    /** Whether event timestamps can be computed (synchronised, or synchronisation given up). */
    clockSettled() {
      return this.clock === "synced" || this.clock === "failed" || this.clock === "pending" && this.clockAt > 0;
    }
    async syncClock() {
      if (this.clock === "pending") return;
      if (!this.urls.collector) {
        this.clock = "failed";
        this.clockAt = this.now();
        this.hooks.clockSettled();
        return;
      }
      this.clock = "pending";
      const samples = [];
      for (let i = 0; i < 3; i++) {
        const sent = this.now();
        const res = await request(this.urls.collector + "clockSync", { timeoutMs: 5e3 });
        const received = this.now();
        const server = res.body ? Number(res.body["now"]) : NaN;
        if (res.outcome !== "ok" || !isFinite(server)) break;
        samples.push({ sent, received, server });
      }
      const offset = clockOffset(samples);
      if (offset !== null) {
        this.offset = offset;
        this.clock = "synced";
      } else {
        this.clock = "failed";
      }
      this.clockAt = this.now();
      this.hooks.clockSettled();
    }
  };

  // src/validate.ts
  var isFn = (f) => typeof f === "function";
  var isObject = (o) => !!o && typeof o === "object" && !Array.isArray(o);
  var nonEmpty = (s) => typeof s === "string" && s.trim().length > 0;
  function conferenceIdString(c) {
    if (typeof c === "number" && isFinite(c)) return String(c);
    return nonEmpty(c) ? c : null;
  }
  function userIdString(u) {
    if (typeof u === "number" && isFinite(u)) return String(u);
    if (nonEmpty(u)) return u;
    if (isObject(u) && nonEmpty(u["aliasName"])) return u["aliasName"];
    return null;
  }
  function isPeerConnection(pc) {
    return !!pc && typeof pc === "object" && typeof pc.getStats === "function";
  }
  var ok = (message) => message ? { status: "success", message } : { status: "success" };
  var fail = (fn, message) => {
    const text = `${fn}: ${message}`;
    return { status: "failure", message: text, msg: text };
  };

  // src/version.ts
  var COMPATIBLE_VERSION = "3.73.16";
  var VERSION = true ? "0.1.0" : "0.0.0-dev";

  // src/client.ts
  var APP_LOG_LIMIT = 20 * 1024;
  var USER_ALIVE_MS = 2e4;
  var TICK_MS = 1e3;
  var defaultBase;
  function setDefaultBase(base) {
    defaultBase = base;
  }
  var withSlash = (u) => u.endsWith("/") ? u : u + "/";
  function urlsFor(base) {
    const b = withSlash(base);
    return { auth: b, collector: b, events: b + "v1/apps/", stats: b + "v1/apps/", config: b + "v1/apps/" };
  }
  function warn(message) {
    if (typeof console !== "undefined") console.warn("callstats: " + message);
  }
  function safe(fn, ...args) {
    if (typeof fn !== "function") return;
    try {
      fn(...args);
    } catch (e) {
      if (typeof console !== "undefined") console.warn("callstats: an application callback threw", e);
    }
  }
  function describeError(err) {
    if (err === void 0 || err === null) return { message: "", messageType: "text" };
    if (typeof err === "string") return { message: err, messageType: "text" };
    if (typeof err !== "object") return { message: String(err), messageType: "text" };
    const o = err;
    const name = typeof o["name"] === "string" ? o["name"] : void 0;
    const stack = typeof o["stack"] === "string" ? o["stack"] : void 0;
    if (typeof o["message"] === "string" && (err instanceof Error || name !== void 0)) {
      const parts = { message: o["message"] };
      if (name !== void 0) parts["name"] = name;
      if (stack !== void 0) parts["stack"] = stack;
      const d2 = { message: JSON.stringify(parts), messageType: "domError" };
      if (name !== void 0) d2.name = name;
      if (stack !== void 0) d2.stack = stack;
      return d2;
    }
    let message;
    try {
      message = JSON.stringify(err);
    } catch {
      message = String(err);
    }
    const d = { message: message ?? String(err), messageType: "json" };
    if (stack !== void 0) d.stack = stack;
    return d;
  }
  var CallstatsClient = class {
    constructor() {
      this.appSegment = "";
      this.localID = "";
      this.params = {};
      this.handlers = {};
      this.conferences = /* @__PURE__ */ new Map();
      this.fabrics = [];
      this.unloadInstalled = false;
      this.configAttempts = 0;
      this.initialized = false;
      this.proxyWarned = false;
      this.device = deviceId();
      /** The last event time handed out. */
      this.lastStamp = 0;
      this.session = new Session({
        init: (status, msg) => safe(this.initCallback, status, msg),
        authenticated: (first) => {
          if (first || !this.appConfig) void this.fetchConfig();
          this.delivery.pump();
        },
        clockSettled: () => this.delivery.pump(),
        busy: () => this.activeFabrics().length > 0
      });
      this.delivery = new Delivery(this.session, {
        appSegment: () => this.appSegment,
        joined: () => void 0,
        rejoin: (conf) => this.queueJoin(conf),
        problem: (msg) => {
          if (typeof console !== "undefined") console.warn("callstats: " + msg);
          safe(this.handlers["error"], csError.httpError, msg);
        },
        active: () => this.activeFabrics().length > 0
      });
      if (defaultBase) this.session.urls = urlsFor(defaultBase);
    }
    // ---------------------------------------------------------------- enumerations
    get fabricUsage() {
      return fabricUsage;
    }
    get fabricEvent() {
      return fabricEvent;
    }
    get webRTCFunctions() {
      return webRTCFunctions;
    }
    get csError() {
      return csError;
    }
    get qualityRating() {
      return qualityRating;
    }
    get callStatsAPIReturnStatus() {
      return callStatsAPIReturnStatus;
    }
    get version() {
      return COMPATIBLE_VERSION;
    }
    get sdkVersion() {
      return VERSION;
    }
    get userIDType() {
      return userIDType;
    }
    get transmissionDirection() {
      return transmissionDirection;
    }
    get endpointType() {
      return endpointType;
    }
    get callType() {
      return callType;
    }
    get roles() {
      return roles;
    }
    // ---------------------------------------------------------------- plumbing
    guard(name, body) {
      try {
        return body();
      } catch (e) {
        if (typeof console !== "undefined") console.warn(`callstats: ${name} failed internally`, e);
        return fail(name, `internal error: ${String(e?.message ?? e)}`);
      }
    }
    activeFabrics() {
      return this.fabrics.filter((f) => !f.terminated);
    }
    fabricOf(pc) {
      for (let i = this.fabrics.length - 1; i >= 0; i--) if (this.fabrics[i].pc === pc) return this.fabrics[i];
      return void 0;
    }
    common(eventType, fabric, conf) {
      return {
        localID: this.localID,
        deviceID: this.device,
        eventType,
        remoteID: fabric ? fabric.remoteID : conf ? conf.remoteID : this.localID,
        // Without a PC the original sends the encoded local user ID; kept for the server's grouping.
        connectionID: fabric ? fabric.connectionID : encodeURIComponent(this.localID),
        callstatsVersion: "callstats-sdk/" + VERSION
      };
    }
    /**
     * Event time, strictly increasing: events made in the same millisecond (hold then resume)
     * keep their order on the server, which sorts by time, whatever order concurrent requests
     * commit in.
     */
    stamp() {
      this.lastStamp = Math.max(Date.now(), this.lastStamp + 1e-3);
      return this.lastStamp;
    }
    emit(conf, eventType, extra, fabric, createdAt, done, compact) {
      const route = EVENT_ROUTES[eventType];
      if (!route) return;
      const gate = gatedEvents[eventType];
      const item = {
        kind: eventType === "stats" ? "stats" : "event",
        eventType,
        conf,
        base: STATS_TYPES[eventType] ? "stats" : "events",
        route,
        body: { ...extra, ...this.common(eventType, fabric, conf) },
        createdAt: createdAt ?? this.stamp()
      };
      if (gate) item.gate = gate;
      if (done) item.done = done;
      if (compact) item.compact = compact;
      if (eventType !== "userAlive") conf.lastAliveAt = Math.max(conf.lastAliveAt, item.createdAt);
      this.delivery.enqueue(item);
    }
    conference(id, remoteID) {
      let conf = this.conferences.get(id);
      if (!conf) {
        conf = { id, joinQueued: false, fabrics: [], lastAliveAt: 0, remoteID };
        this.conferences.set(id, conf);
      }
      if (!conf.joinQueued) this.queueJoin(conf);
      return conf;
    }
    queueJoin(conf) {
      if (conf.joinQueued) return;
      conf.joinQueued = true;
      const p = this.params;
      const body = {
        ...this.common("userJoined", void 0, conf),
        endpointInfo: endpointInfo(typeof p.applicationVersion === "string" ? p.applicationVersion : void 0),
        disableGeoIP: p.collectIP === false
      };
      delete body["connectionID"];
      const u = this.localUser;
      if (isObject(u)) {
        if (typeof u["userName"] === "string") body["userName"] = u["userName"];
        if (typeof u["loginID"] === "string") body["loginID"] = u["loginID"];
      }
      if (typeof p.siteID === "string") body["siteID"] = p.siteID;
      if (isObject(p.additionalIDs)) body["additionalIDs"] = p.additionalIDs;
      this.delivery.enqueue({ kind: "event", keep: true, eventType: "userJoined", conf, base: "events", route: "", body, createdAt: Date.now() });
      const userName = isObject(u) && typeof u["userName"] === "string" ? u["userName"] : null;
      this.emit(conf, "userDetails", { userName, localIpAddressInfo: [], collectIP: p.collectIP !== false });
      void this.sendDeviceList(conf);
    }
    async sendDeviceList(conf) {
      try {
        const md = typeof navigator !== "undefined" ? navigator.mediaDevices : void 0;
        if (!md || typeof md.enumerateDevices !== "function") return;
        const devices = await md.enumerateDevices();
        this.emit(conf, "connectedDeviceList", { mediaDeviceList: normaliseDevices(devices) }, conf.fabrics[0]);
      } catch {
      }
    }
    startTicker() {
      if (this.ticker !== void 0) return;
      this.ticker = setInterval(() => this.tick(), TICK_MS);
    }
    stopTickerIfIdle() {
      if (this.ticker !== void 0 && !this.activeFabrics().length) {
        clearInterval(this.ticker);
        this.ticker = void 0;
      }
    }
    tick() {
      try {
        const now = Date.now();
        this.session.usableToken();
        for (const f of this.activeFabrics()) f.tick(now);
        this.conferences.forEach((conf) => {
          const live = conf.fabrics.filter((f) => !f.terminated);
          if (live.length && now - conf.lastAliveAt >= USER_ALIVE_MS) {
            conf.lastAliveAt = now;
            this.emit(conf, "userAlive", {}, live[0]);
          }
        });
      } catch (e) {
        if (typeof console !== "undefined") console.warn("callstats: monitoring error", e);
      }
      this.stopTickerIfIdle();
    }
    host() {
      const self = this;
      return {
        now: () => Date.now(),
        emit: (conf, type, extra, fabric, at) => self.emit(conf, type, extra, fabric, at),
        submitStats: (fabric, reports, at) => void self.submitStats(fabric, reports, at),
        statsCallback: (fabric, tracks) => self.deliverStats(fabric, tracks),
        claims: () => self.session.claims,
        get collectIP() {
          return self.params.collectIP !== false;
        },
        localUserID: () => self.localID,
        fabricEnded: () => self.stopTickerIfIdle()
      };
    }
    async submitStats(fabric, reports, at) {
      const extra = { stats: reports };
      const wifi = this.wifiHandler;
      if (wifi) {
        try {
          const r = await Promise.race([Promise.resolve(wifi()), new Promise((res) => setTimeout(() => res(void 0), 1e3))]);
          extra["wifiStats"] = typeof r === "string" ? JSON.parse(r) : r ?? null;
        } catch {
          extra["wifiStats"] = null;
        }
      }
      const compact = extra["wifiStats"] === void 0 ? { encoder: fabric.compact, sub: fabric.compact.number(compactStreams(reports)) } : void 0;
      this.emit(fabric.conf, "stats", extra, fabric, at, void 0, compact);
    }
    /** Where the conference can be looked at: the dashboard the server serves at its root. */
    conferenceURL(conf) {
      const base = this.session.urls.auth || "";
      return `${base}#/apps/${this.appSegment}/conferences/${encodeURIComponent(conf.id)}`;
    }
    deliverStats(fabric, tracks) {
      const streams = {};
      for (const t of tracks) streams[String(t.ssrc)] = t;
      const online = (typeof navigator === "undefined" || navigator.onLine !== false) && this.delivery.reachable && this.session.reachable;
      const payload = {
        connectionState: online ? "online" : "offline",
        fabricState: fabric.state,
        conferenceURL: this.conferenceURL(fabric.conf),
        remoteUserID: fabric.remoteUser,
        mediaStreamTracks: tracks,
        streams
      };
      safe(this.statsCallback, payload);
    }
    async fetchConfig() {
      const token = this.session.usableToken();
      const base = this.session.urls.config;
      if (!token || !base || this.appConfig) return;
      const res = await request(`${base}${this.appSegment}/configurations`, { headers: { Authorization: `Bearer ${token}` }, timeoutMs: 1e4 });
      if (res.outcome === "ok" && res.body) {
        const obj = (v) => isObject(v) ? v : void 0;
        this.appConfig = {};
        const d = obj(res.body["default"]);
        const r = obj(res.body["recommended"]);
        if (d) this.appConfig.default = d;
        if (r) this.appConfig.recommended = r;
        this.fireConfig("defaultConfig");
        this.fireConfig("recommendedConfig");
      } else if (res.outcome === "retry" && ++this.configAttempts < 4) {
        setTimeout(() => void this.fetchConfig(), backoffDelay(this.configAttempts - 1));
      } else if (res.outcome === "auth") {
        this.session.invalidate(token);
      }
    }
    fireConfig(name) {
      const cfg = this.appConfig;
      const h = this.handlers[name];
      if (!cfg || !h) return;
      const p = (name === "defaultConfig" ? cfg.default : cfg.recommended) || {};
      if (name === "recommendedConfig") {
        const out = {};
        for (const k of ["peerConnection", "media"]) if (p[k]) out[k] = p[k];
        safe(h, out);
      } else {
        safe(h, { peerConnection: p["peerConnection"] || null, media: p["media"] || null });
      }
    }
    installUnload() {
      if (this.unloadInstalled || typeof window === "undefined" || typeof window.addEventListener !== "function") return;
      this.unloadInstalled = true;
      window.addEventListener("pagehide", () => {
        try {
          this.onUnload();
        } catch {
        }
      });
    }
    onUnload() {
      if (this.params.disableBeforeUnloadHandler === true) return;
      const last = [];
      const at = Date.now();
      const item = (conf, eventType, fabric) => ({
        kind: "event",
        eventType,
        conf,
        base: "events",
        route: EVENT_ROUTES[eventType],
        body: this.common(eventType, fabric, conf),
        createdAt: at,
        notBefore: 0,
        attempts: 0
      });
      for (const f of this.activeFabrics()) {
        last.push(item(f.conf, "fabricTerminated", f));
        f.terminate(true);
      }
      this.conferences.forEach((conf) => {
        if (conf.ucID && conf.fabrics.length) last.push(item(conf, "userLeft"));
      });
      this.delivery.flushOnUnload(last);
      this.stopTickerIfIdle();
    }
    // ---------------------------------------------------------------- public API
    initialize(appID, appSecret, localUserID, csInitCallback, csStatsCallback, configParams) {
      return this.guard("initialize", () => {
        const appStr = typeof appID === "number" ? String(appID) : typeof appID === "string" ? appID.trim() : "";
        if (!/^\d+$/.test(appStr)) return fail("initialize", "AppID must be the numeric application ID");
        const appNum = parseInt(appStr, 10);
        if (!(nonEmpty(appSecret) || isFn(appSecret))) return fail("initialize", "AppSecret must be a non-empty string or a token generator function");
        const user = userIdString(localUserID);
        if (user === null) return fail("initialize", "localUserID must be a non-empty string or an object with aliasName");
        for (const [n, cb] of [["csInitCallback", csInitCallback], ["csStatsCallback", csStatsCallback]]) {
          if (cb !== void 0 && cb !== null && !isFn(cb)) return fail("initialize", `${n} must be a function`);
        }
        if (configParams !== void 0 && configParams !== null && !isObject(configParams)) return fail("initialize", "configParams must be an object");
        const creds = { appID: appStr, userID: user };
        if (isFn(appSecret)) creds.tokenGenerator = appSecret;
        else creds.secret = appSecret;
        const s = this.session;
        const same2 = s.creds && s.creds.appID === creds.appID && s.creds.userID === creds.userID && s.creds.secret === creds.secret && s.creds.tokenGenerator === creds.tokenGenerator;
        this.initCallback = isFn(csInitCallback) ? csInitCallback : void 0;
        if (isFn(csStatsCallback)) this.statsCallback = csStatsCallback;
        this.params = isObject(configParams) ? { ...configParams } : {};
        this.installUnload();
        this.initialized = true;
        if (same2 && s.state === "pending") {
          const cb = this.initCallback;
          setTimeout(() => safe(cb, csError.authOngoing, "Authentication on going."), 0);
          return ok();
        }
        if (!same2) {
          this.appSegment = String(appNum);
          this.localID = user;
          this.localUser = localUserID;
          this.conferences.forEach((c) => {
            c.ucID = void 0;
            c.joinQueued = false;
            if (c.fabrics.some((f) => !f.terminated)) this.queueJoin(c);
          });
          this.appConfig = void 0;
          this.configAttempts = 0;
        }
        if (!s.urls.auth && !this.proxyWarned) {
          this.proxyWarned = true;
          if (typeof console !== "undefined") {
            console.warn("callstats: no server address known; load callstats.min.js from the callstats server or call setProxyConfig()");
          }
        }
        s.start(creds);
        return ok();
      });
    }
    setProxyConfig(config) {
      return this.guard("setProxyConfig", () => {
        if (!isObject(config)) return fail("setProxyConfig", "config must be an object");
        const keys = [
          ["authServiceURL", "auth"],
          ["collectorURL", "collector"],
          ["restEventURL", "events"],
          ["restStatsURL", "stats"],
          ["appSettingsURL", "config"]
        ];
        const next = { ...this.session.urls };
        let any = false;
        for (const [key, slot] of keys) {
          const v = config[key];
          if (v === void 0 || v === null) continue;
          if (!nonEmpty(v)) return fail("setProxyConfig", `${key} must be a non-empty URL string`);
          next[slot] = withSlash(v.trim());
          any = true;
        }
        if (!any) return fail("setProxyConfig", "no known URL given (authServiceURL, collectorURL, restEventURL, restStatsURL, appSettingsURL)");
        this.session.urls = next;
        this.session.ensure();
        this.delivery.pump();
        return ok();
      });
    }
    addNewFabric(pc, remoteUserID, fabricUsage2, conferenceID, fabricAttributes, pcCallback) {
      return this.guard("addNewFabric", () => {
        const name = "addNewFabric";
        if (!this.initialized) return fail(name, "SDK is not initialized (call initialize() first)");
        if (!isPeerConnection(pc)) return fail(name, "Invalid PeerConnection object passed");
        const remote = userIdString(remoteUserID);
        if (remote === null) return fail(name, "remoteUserID must be a non-empty string or an object with aliasName");
        if (!has(fabricUsage, fabricUsage2)) return fail(name, "Invalid fabricUsage value");
        const confID = conferenceIdString(conferenceID);
        if (confID === null) return fail(name, "conferenceID must be a non-empty string or a number");
        if (isFn(fabricAttributes) && pcCallback === void 0) {
          pcCallback = fabricAttributes;
          fabricAttributes = void 0;
        }
        if (fabricAttributes !== void 0 && fabricAttributes !== null && !isObject(fabricAttributes)) return fail(name, "fabricAttributes must be an object");
        if (pcCallback !== void 0 && pcCallback !== null && !isFn(pcCallback)) return fail(name, "pcCallback must be a function");
        const attrs = fabricAttributes || {};
        const endpoint = attrs["remoteEndpointType"] ?? endpointType.peer;
        const direction = attrs["fabricTransmissionDirection"] ?? transmissionDirection.sendrecv;
        if (!has(endpointType, endpoint)) return fail(name, csError.invalidEndPointType);
        if (!has(transmissionDirection, direction)) return fail(name, csError.invalidTransmissionDirection);
        const existing = this.fabricOf(pc);
        if (existing && !existing.terminated) {
          if (existing.conf.id === confID) return ok();
          return fail(name, `this PeerConnection is already monitored in conference ${existing.conf.id}`);
        }
        const conf = this.conference(confID, remote);
        const fabric = new Fabric(this.host(), pc, remote, remoteUserID, fabricUsage2, conf, { remoteEndpointType: endpoint, fabricTransmissionDirection: direction }, isFn(pcCallback) ? pcCallback : void 0);
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
    reportError(pc, conferenceID, webRTCFunction, domError, localSDP, remoteSDP) {
      return this.guard("reportError", () => {
        const name = "reportError";
        if (!this.initialized) return fail(name, "SDK is not initialized (call initialize() first)");
        if (!has(webRTCFunctions, webRTCFunction)) return fail(name, "Invalid webRTC functionName value");
        if (pc !== void 0 && pc !== null && !isPeerConnection(pc)) {
          warn(`${name}: not a PeerConnection; the error is reported for the conference alone`);
          pc = void 0;
        }
        const fabric = pc ? this.fabricOf(pc) : void 0;
        const confID = conferenceIdString(conferenceID) ?? (fabric ? fabric.conf.id : null);
        if (confID === null) {
          warn(`${name}: no conference ID and no monitored PeerConnection; the error is not sent`);
          return ok();
        }
        if (conferenceIdString(conferenceID) === null) warn(`${name}: no conference ID; the error is reported in the PeerConnection's conference`);
        const conf = fabric && fabric.conf.id === confID ? fabric.conf : this.conference(confID, fabric ? fabric.remoteID : this.localID);
        const f = fabric && fabric.conf === conf ? fabric : void 0;
        const d = describeError(domError);
        const isLog = webRTCFunction === "applicationLog" || webRTCFunction === "applicationError";
        let message = d.message;
        let stack = d.stack;
        if (utf8Length(message) > APP_LOG_LIMIT || stack !== void 0 && utf8Length(stack) > APP_LOG_LIMIT) {
          if (typeof console !== "undefined") console.warn(`callstats: ${name}: the error log is larger than 20 KB and was truncated`);
          message = truncateUtf8(message, APP_LOG_LIMIT);
          if (stack !== void 0) stack = truncateUtf8(stack, APP_LOG_LIMIT);
        }
        const extra = {
          reason: failureReason[webRTCFunction],
          function: webRTCFunction,
          delay: f ? Date.now() - f.addedAt : 0,
          level: "debug",
          message,
          messageType: d.messageType,
          endpoint: endpointInfo(typeof this.params.applicationVersion === "string" ? this.params.applicationVersion : void 0),
          fabricState: f ? f.state : "initializing"
        };
        if (d.name !== void 0) extra["name"] = d.name;
        if (stack !== void 0) extra["stack"] = stack;
        if (f) {
          try {
            extra["iceConnectionState"] = f.pc.iceConnectionState;
          } catch {
          }
        }
        if (!isLog && typeof this.params.siteID === "string") extra["siteID"] = this.params.siteID;
        this.emit(conf, isLog ? "applicationErrorLog" : "fabricSetupFailed", extra, f);
        if ((localSDP || remoteSDP) && f) f.checkSdp({ local: localSDP, remote: remoteSDP });
        return ok();
      });
    }
    fabricFor(name, pc, conferenceID) {
      if (!this.initialized) return fail(name, "SDK is not initialized (call initialize() first)");
      if (!isPeerConnection(pc)) return fail(name, "Invalid PeerConnection object passed");
      const confID = conferenceIdString(conferenceID);
      if (confID === null) return fail(name, "conferenceID must be a non-empty string or a number");
      const fabric = this.fabricOf(pc);
      if (!fabric) return fail(name, "this PeerConnection was not added with addNewFabric()");
      if (fabric.conf.id !== confID) return fail(name, "conferenceId does not exist for this PeerConnection");
      return fabric;
    }
    sendFabricEvent(pc, fabricEvent2, conferenceID, eventData) {
      return this.guard("sendFabricEvent", () => {
        const name = "sendFabricEvent";
        if (!has(fabricEvent, fabricEvent2)) return fail(name, "Invalid fabricEvents value");
        const fabric = this.fabricFor(name, pc, conferenceID);
        if (!(fabric instanceof Fabric)) return fabric;
        if (eventData !== void 0 && eventData !== null && !isObject(eventData)) return fail(name, "eventData must be an object");
        const data = eventData || {};
        const conf = fabric.conf;
        if (fabric.terminated) {
          return fabricEvent2 === "fabricTerminated" ? ok() : fail(name, "the fabric has been terminated");
        }
        switch (fabricEvent2) {
          case "fabricTerminated":
            fabric.terminate();
            return ok();
          case "fabricHold":
          case "fabricResume":
            fabric.setHold(fabricEvent2 === "fabricHold");
            this.emit(conf, fabricEvent2, {}, fabric);
            return ok();
          case "callUnAnswered":
          case "dominantSpeaker":
            this.emit(conf, fabricEvent2, {}, fabric);
            return ok();
          case "audioMute":
          case "audioUnmute":
          case "videoPause":
          case "videoResume":
          case "screenShareStart":
          case "screenShareStop": {
            if (fabricEvent2 === "audioMute" || fabricEvent2 === "audioUnmute") fabric.muted.audio = fabricEvent2 === "audioMute";
            if (fabricEvent2 === "videoPause" || fabricEvent2 === "videoResume") fabric.muted.video = fabricEvent2 === "videoPause";
            const extra = {};
            for (const k of Object.keys(data)) extra[k] = k === "ssrc" && data[k] != null ? String(data[k]) : data[k];
            this.emit(conf, fabricEvent2, extra, fabric);
            return ok();
          }
          case "activeDeviceList": {
            const list = data["deviceList"];
            if (!Array.isArray(list)) return fail(name, "activeDeviceList needs eventData.deviceList (an array of devices)");
            this.emit(conf, "activeDeviceList", { mediaDeviceList: normaliseDevices(list) }, fabric);
            return ok();
          }
          case "applicationErrorLog":
            return this.reportError(pc, conferenceID, "applicationLog", eventData);
          case "callDetails":
            return this.sendCallDetails(pc, conferenceID, eventData);
          default:
            return fail(name, `Unsupported fabricEvent ${String(fabricEvent2)}`);
        }
      });
    }
    sendCallDetails(pc, conferenceID, callAttributes) {
      return this.guard("sendCallDetails", () => {
        const name = "sendCallDetails";
        const fabric = this.fabricFor(name, pc, conferenceID);
        if (!(fabric instanceof Fabric)) return fabric;
        if (!isObject(callAttributes)) return fail(name, "callAttributes must be an object");
        const t = callAttributes["callType"];
        const r = callAttributes["role"];
        if (t !== void 0 && !has(callType, t)) return fail(name, "callType must be one of callstats.callType");
        if (r !== void 0 && !has(roles, r)) return fail(name, "role must be one of callstats.roles");
        this.emit(fabric.conf, "callDetails", { ...callAttributes }, fabric);
        return ok();
      });
    }
    associateMstWithUserID(pc, userID, conferenceID, ssrc, usageLabel, associatedVideoTag) {
      return this.guard("associateMstWithUserID", () => {
        const name = "associateMstWithUserID";
        const fabric = this.fabricFor(name, pc, conferenceID);
        if (!(fabric instanceof Fabric)) return fabric;
        const user = userIdString(userID);
        if (user === null) return fail(name, "userID must be a non-empty string or an object with aliasName");
        const s = typeof ssrc === "number" ? String(ssrc) : typeof ssrc === "string" ? ssrc.trim() : "";
        if (!/^\d+$/.test(s)) return fail(name, "SSRC must be a number or a string of digits");
        if (usageLabel !== void 0 && usageLabel !== null && typeof usageLabel !== "string") return fail(name, "usageLabel must be a string");
        if (associatedVideoTag !== void 0 && associatedVideoTag !== null && typeof associatedVideoTag !== "string") return fail(name, "associatedVideoTag must be a string");
        const a = { userID: user };
        if (typeof usageLabel === "string") a.usageLabel = usageLabel;
        if (typeof associatedVideoTag === "string") a.associatedVideoTag = associatedVideoTag;
        fabric.associate(String(Number(s)), a);
        return ok();
      });
    }
    sendUserFeedback(conferenceID, feedback, pcCallback) {
      return this.guard("sendUserFeedback", () => {
        const name = "sendUserFeedback";
        if (!this.initialized) return fail(name, "SDK is not initialized (call initialize() first)");
        const confID = conferenceIdString(conferenceID);
        if (confID === null) return fail(name, "conferenceID must be a non-empty string or a number");
        if (!isObject(feedback)) return fail(name, "feedback must be an object");
        if (pcCallback !== void 0 && pcCallback !== null && !isFn(pcCallback)) return fail(name, "pcCallback must be a function");
        const out = {};
        for (const [k, wire] of [
          ["overall", "overallRating"],
          ["video", "videoQualityRating"],
          ["audio", "audioQualityRating"],
          ["screen", "screenQualityRating"]
        ]) {
          const v = feedback[k];
          if (v === void 0 || v === null) {
            if (k === "overall") warn(`${name}: feedback.overall is missing`);
            continue;
          }
          const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
          if (!(Number.isInteger(n) && n >= 1 && n <= 5)) warn(`${name}: feedback.${k} should be an integer from 1 to 5`);
          out[wire] = typeof n === "number" && !isNaN(n) ? n : v;
        }
        const comment = feedback["comment"] ?? feedback["comments"];
        if (comment !== void 0 && comment !== null) out["comments"] = String(comment);
        const conf = this.conference(confID, this.localID);
        const cb = isFn(pcCallback) ? pcCallback : void 0;
        this.emit(
          conf,
          "userFeedbackEvent",
          { feedback: out },
          void 0,
          void 0,
          (good, reason) => good ? safe(cb, csError.success, "userFeedback Event sent successfully") : safe(cb, csError.httpError, `userFeedback not delivered: ${reason}`)
        );
        return ok();
      });
    }
    sendCustomEvent(pc, conferenceID, eventList) {
      return this.guard("sendCustomEvent", () => {
        const name = "sendCustomEvent";
        const fabric = this.fabricFor(name, pc, conferenceID);
        if (!(fabric instanceof Fabric)) return fabric;
        const list = Array.isArray(eventList) ? eventList : isObject(eventList) ? [eventList] : null;
        if (!list || !list.length) return fail(name, "eventList must be a non-empty array (or one event object)");
        const first = list[0];
        if (list.length === 1 && isObject(first) && first["type"] === "conferenceSummary") {
          const extra = { ...first };
          delete extra["type"];
          this.emit(fabric.conf, "conferenceSummary", extra, fabric);
        } else {
          this.emit(fabric.conf, "customEvent", { eventList: list }, fabric);
        }
        return ok();
      });
    }
    sendCustomStats(pc, conferenceID, stats) {
      return this.guard("sendCustomStats", () => {
        const name = "sendCustomStats";
        const fabric = this.fabricFor(name, pc, conferenceID);
        if (!(fabric instanceof Fabric)) return fabric;
        if (!stats || typeof stats !== "object") return fail(name, "stats must be an object or an array");
        this.emit(fabric.conf, "customStats", { stats }, fabric);
        return ok();
      });
    }
    setIdentifiers(identifiers, pc) {
      return this.guard("setIdentifiers", () => {
        const name = "setIdentifiers";
        if (!isObject(identifiers)) return fail(name, "identifiers must be an object");
        if (pc !== void 0 && pc !== null && !isPeerConnection(pc)) return fail(name, "Invalid PeerConnection object passed");
        const rawConference = identifiers["conferenceID"];
        const conferenceID = rawConference === void 0 ? void 0 : conferenceIdString(rawConference);
        const remote = identifiers["remoteUserID"] === void 0 ? void 0 : userIdString(identifiers["remoteUserID"]);
        if (conferenceID === null) return fail(name, "conferenceID must be a non-empty string or a number");
        if (remote === null) return fail(name, "remoteUserID must be a non-empty string or an object with aliasName");
        if (conferenceID === void 0 && remote === void 0) return fail(name, "nothing to set (conferenceID, remoteUserID)");
        const targets = pc ? [this.fabricOf(pc)].filter((f) => !!f) : this.activeFabrics();
        if (pc && !targets.length) return fail(name, "this PeerConnection was not added with addNewFabric()");
        if (remote !== void 0) {
          for (const f of targets) {
            f.remoteID = remote;
            f.remoteUser = identifiers["remoteUserID"];
          }
        }
        if (conferenceID !== void 0) {
          const tmp = this.conferences.get(TMP_CONFERENCE_ID);
          if (tmp && targets.some((f) => f.conf === tmp)) {
            this.conferences.delete(TMP_CONFERENCE_ID);
            const existing = this.conferences.get(conferenceID);
            if (existing) {
              for (const f of tmp.fabrics) {
                f.conf = existing;
                existing.fabrics.push(f);
              }
              for (const item of this.delivery.pending()) if (item.conf === tmp && item.route !== "") item.conf = existing;
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
    on(event, callback) {
      return this.guard("on", () => {
        if (!has(callbackNames, event)) return fail("on", `unknown event name ${String(event)}; expected one of ${Object.keys(callbackNames).join(", ")}`);
        if (!isFn(callback)) return fail("on", "callback must be a function");
        if (event === "stats") this.statsCallback = callback;
        else this.handlers[event] = callback;
        if (event === "defaultConfig" || event === "recommendedConfig") {
          if (this.appConfig) setTimeout(() => this.fireConfig(event), 0);
        }
        return ok();
      });
    }
    attachWifiStatsHandler(getWifiStats) {
      return this.guard("attachWifiStatsHandler", () => {
        if (!isFn(getWifiStats)) return fail("attachWifiStatsHandler", "getWifiStats must be a function returning a Promise");
        this.wifiHandler = getWifiStats;
        return ok();
      });
    }
    resetWifiStatsHandler() {
      this.wifiHandler = void 0;
      return ok();
    }
    // Pre-call tests need TURN servers run by the service; this server offers none.
    startPrecallTests(_iceServers, _interval) {
      return fail("startPrecallTests", "pre-call tests are not offered by this server");
    }
    stopPrecallTests() {
      return ok();
    }
    makePrecallTest(_iceServers, _a, _b) {
      return fail("makePrecallTest", "pre-call tests are not offered by this server");
    }
    getSctResults() {
      return fail("getSctResults", "pre-call tests are not offered by this server");
    }
    getTurnCredentials(_forceNew, _cb) {
      return fail("getTurnCredentials", "TURN credentials are not offered by this server");
    }
  };
  function normaliseDevices(list) {
    return list.filter(isObjectLike).map((d) => ({
      mediaDeviceID: d["deviceId"] ?? d["mediaDeviceID"] ?? "",
      groupID: d["groupId"] ?? d["groupID"] ?? "",
      kind: d["kind"] ?? "",
      label: d["label"] ?? ""
    }));
  }
  var isObjectLike = (d) => !!d && typeof d === "object";

  // src/base.ts
  var SDK_FILE = /\/callstats[^/]*\.m?js(?:[?#].*)?$/;
  function baseFromScriptUrl(src) {
    if (!src) return void 0;
    let u;
    try {
      u = new URL(src);
    } catch {
      return void 0;
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") return void 0;
    if (!SDK_FILE.test(u.pathname)) return void 0;
    const i = u.pathname.lastIndexOf("/static/");
    return u.origin + (i >= 0 ? u.pathname.slice(0, i + 1) : "/");
  }
  function detectScriptBase() {
    try {
      if (typeof document === "undefined") return void 0;
      const cur = document.currentScript;
      const fromCurrent = cur && baseFromScriptUrl(cur.src);
      if (fromCurrent) return fromCurrent;
      const scripts = document.getElementsByTagName("script");
      for (let i = scripts.length - 1; i >= 0; i--) {
        const b = baseFromScriptUrl(scripts[i].src);
        if (b) return b;
      }
    } catch {
    }
    return void 0;
  }

  // src/factory.ts
  var callstats = function callstats2() {
    const instance = new CallstatsClient();
    return instance;
  };
  callstats.prototype = CallstatsClient.prototype;
  var factory_default = callstats;

  // src/umd.ts
  setDefaultBase(detectScriptBase());
  var umd_default = factory_default;
  return __toCommonJS(umd_exports);
})();
return __callstats.default;
});
//# sourceMappingURL=callstats.js.map
