// The client end to end in node: a scripted RTCPeerConnection, a stand-in server behind fetch,
// and mocked timers. Each test is one story the SDK must get right against a server that works,
// fails, refuses or disappears; every body sent is also checked against the Rust server's
// catalogue of required fields.
import { afterEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { internals } from './helpers.mjs';
import { FakePc, FakeServer, serverCatalogue, serverComplaints, compactComplaints, syntheticStats } from './fake.mjs';

const { callstats } = internals;
const catalogue = serverCatalogue();
const realFetch = globalThis.fetch;
const T0 = 1_800_000_000_000;
const BASE = 'http://cs.test/';

afterEach(() => {
  mock.timers.reset();
  globalThis.fetch = realFetch;
  delete globalThis.window;
});

// Captured before any test mocks the timers: a little real time lets work that leaves the event
// loop (WebCrypto signing, response body streams) finish between two mocked ticks.
const realSetTimeout = globalThis.setTimeout;

async function flush() {
  for (let i = 0; i < 6; i++) await new Promise((r) => setImmediate(r));
  await new Promise((r) => realSetTimeout(r, 1));
  for (let i = 0; i < 6; i++) await new Promise((r) => setImmediate(r));
}

async function advance(ms, step = 100) {
  for (let t = 0; t < ms; t += step) {
    mock.timers.tick(step);
    await flush();
  }
}

function start(serverOpts = {}, initArgs = {}) {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: T0 });
  const server = new FakeServer(serverOpts);
  globalThis.fetch = server.fetch;
  const cs = new callstats();
  const calls = { init: [], stats: [], defaultConfig: [], recommendedConfig: [], errors: [] };
  cs.on('defaultConfig', (c) => calls.defaultConfig.push(c));
  cs.on('recommendedConfig', (c) => calls.recommendedConfig.push(c));
  cs.on('error', (...a) => calls.errors.push(a));
  const proxy = { authServiceURL: BASE, collectorURL: BASE, restEventURL: BASE + 'v1/apps/', restStatsURL: BASE + 'v1/apps/', appSettingsURL: BASE + 'v1/apps/' };
  assert.deepEqual(cs.setProxyConfig(proxy), { status: 'success' });
  const r = cs.initialize('1', 'the-secret', initArgs.user ?? 'alice', (...a) => calls.init.push(a), (s) => calls.stats.push(s), initArgs.params ?? { siteID: 'hq', additionalIDs: { tenantID: 't1' } });
  assert.deepEqual(r, { status: 'success' });
  return { server, cs, calls };
}

function allBodiesValid(server) {
  for (const r of server.requests) {
    if (!r.body || r.path.endsWith('/configurations')) continue;
    const complaints = r.eventType === 'userJoined' ? [] : r.path.endsWith('/stats/compact') ? compactComplaints(r.body) : serverComplaints(r.body, catalogue);
    assert.deepEqual(complaints, [], `${r.eventType} ${r.path}`);
  }
}

test('a call from setup to termination', async () => {
  // A server without the compact extension: the SDK falls back to report lists for good.
  const { server, cs, calls } = start({ compact: false });
  await advance(500);
  assert.deepEqual(calls.init, [['success', 'SDK authentication successful.']]);
  const auth = server.of((r) => r.path === '/authenticate');
  assert.equal(auth.length, 1);
  assert.equal(auth[0].form.client_id, 'alice@1');
  assert.equal(auth[0].form.grant_type, 'authorization_code');
  assert.deepEqual(calls.defaultConfig, [{ peerConnection: { iceTransportPolicy: 'all' }, media: null }]);
  // The recommended configuration with only the parts it has, as the original delivered it.
  assert.deepEqual(calls.recommendedConfig, [{ media: { video: true } }]);
  assert.equal(server.of((r) => r.path === '/clockSync').length, 3);

  const pc = new FakePc(syntheticStats(() => Date.now()));
  const fabricCb = [];
  assert.deepEqual(cs.addNewFabric(pc, 'bob', cs.fabricUsage.multiplex, 'conf /1', (...a) => fabricCb.push(a)), { status: 'success' });
  await advance(300);
  pc.connect();
  await advance(1000);

  const join = server.of('userJoined');
  assert.equal(join.length, 1);
  assert.equal(join[0].path, '/v1/apps/1/conferences/conf%20%2F1');
  assert.equal(join[0].headers.authorization.startsWith('Bearer '), true);
  assert.equal(join[0].body.endpointInfo.type, 'browser');
  assert.equal(join[0].body.siteID, 'hq');
  assert.deepEqual(join[0].body.additionalIDs, { tenantID: 't1' });
  assert.equal(join[0].body.remoteID, 'bob');
  assert.equal('connectionID' in join[0].body, false);
  // The clock offset (the stand-in server runs 5 s ahead) is applied to timestamps.
  assert.ok(Math.abs(join[0].body.timestamp - (T0 + 5000)) < 1000, String(join[0].body.timestamp - T0));

  const ucPath = /^\/v1\/apps\/1\/conferences\/conf%20%2F1\/1000000000000000001\//;
  const changes = server.of('fabricStateChange');
  assert.ok(changes.length >= 6);
  assert.ok(changes.every((r) => ucPath.test(r.path) && r.path.endsWith('/events/fabric/statechange')));
  assert.deepEqual(changes.find((r) => r.body.changedState === 'iceConnectionState' && r.body.newState === 'connected').body.prevState, 'checking');

  const setup = server.of('fabricSetup');
  assert.equal(setup.length, 1);
  const s = setup[0].body;
  assert.equal(s.selectedCandidatePairID, 'CP1');
  assert.equal(s.fabricUsage, 'multiplex');
  assert.equal(s.remoteEndpointType, 'peer');
  assert.equal(s.fabricTransmissionDirection, 'sendrecv');
  assert.equal(s.localIceCandidates.length, 2);
  assert.equal(s.localIceCandidates[0].ip, '10.0.0.1');
  assert.ok(s.delay >= 300 && s.delay < 1000, String(s.delay));
  assert.deepEqual(s.iceServers, ['stun:stun.example.org:3478']);
  assert.doesNotMatch(JSON.stringify(s), /secret/, 'TURN credentials never leave the page');
  assert.equal(s.connectionID.length, 10);
  assert.deepEqual(fabricCb, [['success', 'fabric set up']]);

  await advance(16000);
  const stats = server.of('stats');
  assert.equal(stats.length, 2, 'one at setup, one 15 s later');
  const st = stats[1].body;
  assert.ok(stats[1].path.endsWith('/stats'));
  assert.equal(server.of((r) => r.path.endsWith('/stats/compact')).length, 1, 'one try of the extension, then report lists');
  assert.equal(st.connectionID, s.connectionID);
  const types = st.stats.map((r) => r.type);
  assert.ok(!types.includes('certificate'), 'certificates are not sent');
  assert.deepEqual(st.stats.filter((r) => r.type === 'candidate-pair').map((r) => r.id), ['CP1'], 'selected pair only');
  assert.deepEqual(st.stats.filter((r) => r.type === 'codec').map((r) => r.id).sort(), ['CA', 'CV'], 'referenced codecs only');
  assert.deepEqual(st.stats.filter((r) => r.type === 'local-candidate').map((r) => r.id), ['L1']);
  assert.equal(st.stats.find((r) => r.id === 'T01').localCertificateId, undefined, 'fields are trimmed');
  assert.ok(stats[1].at - stats[0].at >= 14000 && stats[1].at - stats[0].at <= 16000);

  // Stats callback: first about 5 s after setup, then every 10 s.
  assert.equal(calls.stats.length, 2);
  const cb = calls.stats[1];
  assert.equal(cb.connectionState, 'online');
  assert.equal(cb.fabricState, 'established');
  assert.match(cb.conferenceURL, /conf%20%2F1$/);
  assert.equal(cb.mediaStreamTracks.length, 4);
  assert.deepEqual(Object.keys(cb.streams).sort(), ['111', '222', '333', '444']);
  const ov = cb.streams['222'];
  assert.equal(ov.statsType, 'outbound-rtp');
  assert.equal(ov.mediaType, 'video');
  assert.ok(Math.abs(ov.bitrate - 1000) < 1, String(ov.bitrate));
  assert.ok(Math.abs(ov.packetRate - 120) < 0.1);
  // Jitter and RTT in seconds, as the original's callback delivered them.
  assert.ok(Math.abs(ov.rtt - 0.03) < 1e-9);
  assert.equal(ov.remoteUserID, 'bob');
  const ia = cb.streams['333'];
  assert.equal(ia.fractionLoss, 0);
  assert.ok(Math.abs(ia.jitter - 0.003) < 1e-9);
  assert.equal(ia.rtt, 0.02, 'inbound falls back to the transport RTT');
  assert.ok(Math.abs(ia.concealmentRatio - 0.01) < 1e-9);
  assert.equal(ov.quality, 'fair', '1000 kbps video is just under the 1024 kbps green line');
  assert.equal(cb.streams['111'].quality, 'excellent');

  // Stats every 15 s show the conference alive: no userAlive while they flow.
  assert.equal(server.of('userAlive').length, 0);
  // On hold no stats are sent, so userAlive keeps the conference open (< 30 s apart).
  assert.deepEqual(cs.sendFabricEvent(pc, cs.fabricEvent.fabricHold, 'conf /1'), { status: 'success' });
  await advance(45000);
  const alive = server.of('userAlive');
  assert.ok(alive.length >= 1 && alive.length <= 3, String(alive.length));
  assert.deepEqual(cs.sendFabricEvent(pc, cs.fabricEvent.fabricResume, 'conf /1'), { status: 'success' });

  assert.deepEqual(cs.sendFabricEvent(pc, cs.fabricEvent.audioMute, 'conf /1', { ssrc: 111 }), { status: 'success' });
  assert.deepEqual(cs.associateMstWithUserID(pc, 'carol', 'conf /1', '444', 'camera', 'v1'), { status: 'success' });
  await advance(10000);
  const mute = server.of('audioMute');
  assert.equal(mute.length, 1);
  assert.equal(mute[0].body.ssrc, '111');
  assert.ok(mute[0].path.endsWith('/events/media/actions'));
  const maps = server.of('ssrcMap');
  assert.equal(maps.length, 2, 'once at setup, again after the association');
  assert.equal(calls.stats.at(-1).streams['444'].usageLabel, 'camera');
  assert.equal(calls.stats.at(-1).streams['444'].associatedVideoTag, 'v1');
  const carol = maps[1].body.ssrcData.find((d) => d.ssrc === '444');
  assert.equal(carol.userID, 'carol');
  assert.equal(carol.usageLabel, 'camera');
  // The callback's remoteUserID is the fabric's remote user as the app passed it, as in the
  // original; the association shows in ssrcMap.
  assert.equal(calls.stats.at(-1).streams['444'].remoteUserID, 'bob');

  // close() fires no events; the ticker notices within a second.
  pc.close();
  await advance(1500);
  assert.equal(server.of('fabricTerminated').length, 1);
  const count = server.requests.length;
  await advance(60000, 1000);
  assert.equal(server.requests.length, count, 'nothing runs after the last fabric ended');
  assert.equal(cs.ticker, undefined);
  allBodiesValid(server);
  assert.deepEqual(calls.errors, []);
});

test('stats go to the compact extension: a keyframe, deltas against what was acknowledged, a keyframe on 409', async () => {
  const { server, cs } = start({ submissionInterval: 5000 });
  await advance(500);
  const pc = new FakePc(syntheticStats(() => Date.now()));
  cs.addNewFabric(pc, 'bob', cs.fabricUsage.multiplex, 'c1');
  await advance(300);
  pc.connect();
  await advance(11000);
  let stats = server.of('stats');
  assert.ok(stats.length >= 3, String(stats.length));
  assert.ok(stats.every((r) => r.path.endsWith('/stats/compact')));
  assert.equal(stats[0].body.base, undefined, 'the first is a keyframe');
  assert.equal(stats[1].body.base, stats[0].body.seq, 'then deltas against the acknowledged one');
  assert.ok(JSON.stringify(stats[1].body).length < JSON.stringify(stats[0].body).length);
  const last = stats.at(-1).streams;
  assert.equal(last.length, 4);
  const ia = last.find((x) => x.k === 'a' && x.d === 'i');
  assert.ok(ia.b > 0 && ia.p > 0 && typeof ia.ssrc === 'number', JSON.stringify(ia));
  assert.equal(ia.c, 'opus');
  // A lost request is retried as it was; a server that lost its bases gets a keyframe.
  const n = stats.length;
  server.once(/\/stats\/compact$/, 'network');
  server.bases.clear();
  await advance(12000);
  stats = server.of('stats');
  assert.ok(stats.length > n + 1, String(stats.length));
  const refused = server.requests.filter((r) => r.path.endsWith('/stats/compact') && r.eventType === undefined);
  assert.ok(refused.length >= 2, 'the lost request and the 409');
  assert.equal(stats[n].body.base, undefined, 'keyframe after the 409');
  assert.equal(stats.at(-1).body.base, stats.at(-2).body.seq);
  assert.ok(stats.at(-1).streams.find((x) => x.k === 'a' && x.d === 'i').b > ia.b);
  allBodiesValid(server);
});

test('userDetails follows user joined; a remote track gives mediaPlaybackStart; oneWayMedia is routed', async () => {
  const { server, cs } = start({}, { user: { aliasName: 'erin', userName: 'Erin E.' }, params: { collectIP: false } });
  await advance(500);
  const pc = new FakePc(syntheticStats(() => Date.now()));
  pc.remoteDescription = { type: 'answer', sdp: 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=ssrc:4242 cname:x\r\n' };
  cs.addNewFabric(pc, 'bob', cs.fabricUsage.multiplex, 'c1');
  const ev = new Event('track');
  ev.track = { kind: 'audio', id: 'remote-audio' };
  ev.transceiver = { mid: '0' };
  pc.dispatchEvent(ev);
  await advance(300);
  pc.connect();
  await advance(2000);
  const details = server.of('userDetails');
  assert.equal(details.length, 1);
  assert.ok(details[0].path.endsWith('/events/userdetails'));
  assert.equal(details[0].body.userName, 'Erin E.');
  assert.equal(details[0].body.collectIP, false);
  assert.deepEqual(details[0].body.localIpAddressInfo, []);
  const playback = server.of('mediaPlaybackStart');
  assert.equal(playback.length, 1);
  assert.ok(playback[0].path.endsWith('/events/media/pipeline'));
  assert.equal(playback[0].body.ssrc, '4242');
  assert.equal(playback[0].body.kind, 'audio');
  assert.equal(typeof playback[0].body.highResTs, 'number');
  assert.equal(internals.EVENT_ROUTES.oneWayMediaStart, 'events/fabric/disruptions');

  // The video element named in associateMstWithUserID: canplay and suspend.
  const video = new EventTarget();
  globalThis.document = { getElementById: (id) => (id === 'v1' ? video : null) };
  try {
    assert.deepEqual(cs.associateMstWithUserID(pc, 'carol', 'c1', 4243, 'camera', 'v1'), { status: 'success' });
    video.dispatchEvent(new Event('canplay'));
    video.dispatchEvent(new Event('suspend'));
    await advance(1000);
    const started = server.of('mediaPlaybackStart').filter((r) => r.body.kind === 'video');
    assert.deepEqual(started.map((r) => r.body.ssrc), ['4243']);
    const suspended = server.of('mediaPlaybackSuspended');
    assert.deepEqual(suspended.map((r) => [r.body.ssrc, r.path.endsWith('/events/media/pipeline')]), [['4243', true]]);
    cs.sendFabricEvent(pc, cs.fabricEvent.fabricTerminated, 'c1');
    video.dispatchEvent(new Event('suspend'));
    await advance(1000);
    assert.equal(server.of('mediaPlaybackSuspended').length, 1, 'not after the fabric ended');
  } finally {
    delete globalThis.document;
  }
  allBodiesValid(server);
});

test('server down at start: spaced auth retries, then the backlog is delivered', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: T0 });
  const { server, cs, calls } = (() => {
    mock.timers.reset();
    return start();
  })();
  server.down = true;
  // Make the very first auth fail too.
  server.requests.length = 0;
  await advance(10);
  const pc = new FakePc(syntheticStats(() => Date.now()));
  cs.addNewFabric(pc, 'bob', cs.fabricUsage.audio, 'c2');
  pc.connect();
  await advance(180000, 500);
  const auths = server.of((r) => r.path === '/authenticate');
  // Backoff 1 s doubling to 60 s with jitter in the upper half: 7 to 12 attempts in 3 minutes
  // (the original retried a refused connection at most 10 s apart, and a 5xx every ~110 ms).
  assert.ok(auths.length >= 7 && auths.length <= 12, `auth attempts in 3 min: ${auths.length}`);
  const gaps = auths.slice(1).map((r, i) => r.at - auths[i].at);
  assert.ok(gaps.every((g) => g >= 1000 && g <= 60000), JSON.stringify(gaps));
  assert.ok(gaps.at(-1) >= 30000, 'backed off towards the cap');
  assert.equal(calls.init.filter((c) => c[0] === 'httpError').length, 1, 'the outage is reported once');
  assert.equal(server.of('userJoined').length, 0);

  server.down = false;
  await advance(65000, 500);
  assert.deepEqual(calls.init.at(-1), ['success', 'SDK authentication successful.']);
  assert.equal(server.of((r) => r.eventType === 'userJoined' && !r.reply).length, 1);
  const setup = server.of('fabricSetup');
  assert.equal(setup.length, 1, 'the setup event survived the outage');
  // Its timestamp is when it happened, not when it was finally sent.
  assert.ok(setup[0].body.timestamp < setup[0].at, 'created before sent');
  assert.ok(server.of('fabricStateChange').length >= 6);
  assert.ok(server.of('stats').length >= 10, 'stats samples from the outage arrive too');
  allBodiesValid(server);
});

test('a failed user joined is retried and the conference is not lost', async () => {
  const { server, cs } = start();
  server.once(/^\/v1\/apps\/1\/conferences\/c3$/, { status: 500, body: { status: 'error', msg: 'internal error' } });
  server.once(/^\/v1\/apps\/1\/conferences\/c3$/, 'network');
  await advance(300);
  const pc = new FakePc(syntheticStats(() => Date.now()));
  cs.addNewFabric(pc, 'bob', cs.fabricUsage.multiplex, 'c3');
  pc.connect();
  await advance(10000);
  const joins = server.of('userJoined');
  assert.equal(joins.length, 3);
  assert.ok(joins[1].at - joins[0].at >= 1000, 'retries are spaced');
  assert.equal(server.of('fabricSetup').length, 1);
  assert.ok(server.of('fabricSetup')[0].path.includes('/c3/1000000000000000001/'));
});

test('an expired token is renewed and the refused event sent again', async () => {
  const { server, cs, calls } = start();
  server.once(/events\/fabric\/setup$/, { status: 401, body: { status: 'error', msg: 'Token has expired' } });
  await advance(300);
  const pc = new FakePc(syntheticStats(() => Date.now()));
  cs.addNewFabric(pc, 'bob', cs.fabricUsage.multiplex, 'c4');
  pc.connect();
  await advance(3000);
  assert.equal(server.of((r) => r.path === '/authenticate').length, 2);
  const setups = server.of('fabricSetup');
  assert.equal(setups.length, 2);
  assert.notEqual(setups[0].headers.authorization, setups[1].headers.authorization, 'sent again with the new token');
  assert.equal(calls.init.filter((c) => c[0] === 'success').length, 2);
});

test('the token is refreshed before it expires, without a timer', async () => {
  const { server, cs } = start({ expiresIn: 60 });
  await advance(300);
  const pc = new FakePc(syntheticStats(() => Date.now()));
  cs.addNewFabric(pc, 'bob', cs.fabricUsage.multiplex, 'c5');
  pc.connect();
  await advance(130000, 500);
  const auths = server.of((r) => r.path === '/authenticate');
  assert.ok(auths.length >= 3, String(auths.length));
  assert.ok(auths[1].at - auths[0].at >= 54000 && auths[1].at - auths[0].at <= 56000, 'at 90 % of the lifetime');
  assert.equal(server.requests.filter((r) => r.reply && r.reply.status === 401).length, 0);
});

test('REPORT_ERROR stops authentication and tells the app', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: T0 });
  const server = new FakeServer();
  server.once(/authenticate/, { status: 401, body: { error: 'invalid_grant', 'urn:x-callstats:auth:errorActions': [{ action: 2, params: { errorReason: 'the token signature does not verify' } }] } });
  globalThis.fetch = server.fetch;
  const cs = new callstats();
  const init = [];
  cs.setProxyConfig({ authServiceURL: BASE });
  cs.initialize('1', 'wrong', 'alice', (...a) => init.push(a));
  await advance(120000, 1000);
  assert.deepEqual(init, [['authError', 'the token signature does not verify']]);
  assert.equal(server.requests.length, 1, 'no retry storm');
});

test('RETRY and GET_NEW_TOKEN actions are honoured', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: T0 });
  const server = new FakeServer();
  server.once(/authenticate/, { status: 503, body: { 'urn:x-callstats:auth:errorActions': [{ action: 1 }, { action: 0, params: { timeout: 5000 } }] } });
  globalThis.fetch = server.fetch;
  const cs = new callstats();
  const gen = [];
  cs.setProxyConfig({ authServiceURL: BASE, collectorURL: BASE });
  cs.initialize('1', (forceNew, cb) => {
    gen.push(forceNew);
    cb(null, 'app-minted.jwt.token');
  }, 'alice');
  await advance(10000);
  assert.deepEqual(gen, [false, true]);
  const auths = server.of((r) => r.path === '/authenticate');
  assert.equal(auths.length, 2);
  assert.ok(auths[1].at - auths[0].at >= 5000);
  assert.equal(auths[0].form.code, 'app-minted.jwt.token', 'third-party tokens are passed verbatim');
});

test('a token generator error is reported as tokenGenerationError', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: T0 });
  const server = new FakeServer();
  globalThis.fetch = server.fetch;
  const cs = new callstats();
  const init = [];
  cs.setProxyConfig({ authServiceURL: BASE });
  cs.initialize('1', (_f, cb) => cb('backend down'), 'alice', (...a) => init.push(a));
  await advance(5000);
  assert.deepEqual(init, [['tokenGenerationError', 'backend down']]);
  assert.equal(server.requests.length, 0);
});

test('ingestedEvents gates the optional events; collectSDP enables SDP submission', async () => {
  const { server, cs } = start({ ingestedEvents: ['applicationErrorLog', 'sdpSubmissionEvent'], collectSDP: true });
  await advance(300);
  const pc = new FakePc(syntheticStats(() => Date.now()));
  pc.localDescription = { type: 'offer', sdp: 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=msid:s1 t1\r\na=ssrc:111 cname:me\r\n' };
  pc.remoteDescription = { type: 'answer', sdp: 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=ssrc:333 cname:you\r\na=ssrc:333 msid:s2 t2\r\n' };
  cs.addNewFabric(pc, 'bob', cs.fabricUsage.multiplex, 'c6');
  pc.connect();
  const fb = [];
  cs.sendUserFeedback('c6', { userID: 'alice', overall: 2 }, (...a) => fb.push(a));
  cs.sendFabricEvent(pc, cs.fabricEvent.dominantSpeaker, 'c6');
  cs.reportError(pc, 'c6', cs.webRTCFunctions.applicationLog, { message: 'x'.repeat(30000) });
  await advance(8000);
  assert.equal(server.of('userFeedbackEvent').length, 0);
  assert.deepEqual(fb, [['httpError', 'userFeedback not delivered: not collected for this app']]);
  assert.equal(server.of('dominantSpeaker').length, 0);
  const log = server.of('applicationErrorLog');
  assert.equal(log.length, 1);
  assert.ok(Buffer.byteLength(log[0].body.message) <= 20 * 1024, 'capped at 20 KB');
  assert.equal(log[0].body.messageType, 'json');
  const sdp = server.of('sdpSubmissionEvent');
  assert.equal(sdp.length, 1);
  assert.match(sdp[0].body.localSDP, /cname:me/);
  const map = server.of('ssrcMap')[0].body.ssrcData;
  assert.equal(map.find((d) => d.ssrc === '111').cname, 'me');
  assert.equal(map.find((d) => d.ssrc === '111').msid, 's1 t1');
  assert.equal(map.find((d) => d.ssrc === '333').msid, 's2 t2');
  assert.equal(map.find((d) => d.ssrc === '333').userID, 'bob');
  assert.equal(map.find((d) => d.ssrc === '111').userID, 'alice');
  allBodiesValid(server);
});

test('reportError classifies failures and reports getUserMedia without a PC', async () => {
  const { server, cs } = start();
  await advance(300);
  const pc = new FakePc();
  cs.addNewFabric(pc, 'bob', cs.fabricUsage.multiplex, 'c7');
  const err = new DOMException('Failed to parse SessionDescription', 'OperationError');
  cs.reportError(pc, 'c7', cs.webRTCFunctions.setRemoteDescription, err);
  cs.reportError(pc, 'c7', cs.webRTCFunctions.addIceCandidate, 'bad candidate');
  cs.reportError(null, 'c8', cs.webRTCFunctions.getUserMedia, new DOMException('Permission denied', 'NotAllowedError'));
  pc.set('iceConnectionState', 'checking');
  await advance(200);
  pc.set('iceConnectionState', 'failed');
  await advance(2000);
  const failed = server.of('fabricSetupFailed').map((r) => [r.body.function, r.body.reason]);
  assert.deepEqual(failed.sort(), [
    ['addIceCandidate', 'SDPGenerationError'],
    ['getUserMedia', 'MediaConfigError'],
    ['iceConnectionFailure', 'IceConnectionFailure'],
    ['setRemoteDescription', 'NegotiationFailure'],
  ]);
  const srd = server.of('fabricSetupFailed').find((r) => r.body.function === 'setRemoteDescription').body;
  assert.equal(srd.name, 'OperationError');
  assert.equal(srd.messageType, 'domError');
  assert.equal(JSON.parse(srd.message).message, 'Failed to parse SessionDescription');
  assert.equal(srd.siteID, 'hq');
  const gum = server.of('fabricSetupFailed').find((r) => r.body.function === 'getUserMedia');
  assert.ok(gum.path.startsWith('/v1/apps/1/conferences/c8/'), 'a conference of its own, joined first');
  assert.equal(server.of('iceFailed').length, 1);
  assert.equal(server.of('fabricDropped').length, 0, 'never connected: a setup failure, not a drop');
  allBodiesValid(server);
});

test('ICE disruption, recovery, drop and transport switch after setup', async () => {
  let pairId = 'CP1';
  const { server, cs } = start();
  await advance(300);
  const base = syntheticStats(() => Date.now());
  const pc = new FakePc(() => {
    const m = base();
    m.get('T01').selectedCandidatePairId = pairId;
    if (pairId === 'CP2') m.get('CP2').state = 'succeeded';
    return m;
  });
  const fabricCb = [];
  cs.addNewFabric(pc, 'bob', cs.fabricUsage.multiplex, 'c9', { remoteEndpointType: 'server', fabricTransmissionDirection: 'sendonly' }, (...a) => fabricCb.push(a));
  pc.connect();
  await advance(1000);
  pc.set('iceConnectionState', 'disconnected');
  await advance(3000);
  pc.set('iceConnectionState', 'connected');
  await advance(500);
  pairId = 'CP2';
  await advance(6000);
  pc.set('iceConnectionState', 'disconnected');
  await advance(500);
  pc.set('iceConnectionState', 'failed');
  await advance(1000);
  pc.set('iceConnectionState', 'checking');
  await advance(1000);
  const starts = server.of('iceDisruptionStart');
  const end = server.of('iceDisruptionEnd');
  assert.equal(starts.length, 2);
  assert.equal(end.length, 1);
  assert.ok(end[0].body.delay >= 2900 && end[0].body.delay <= 3200, String(end[0].body.delay));
  assert.ok(end[0].path.endsWith('/events/ice/status'));
  const sw = server.of('fabricTransportSwitch');
  assert.equal(sw.length, 1);
  assert.equal(sw[0].body.prevIceCandidatePair.id, 'CP1');
  assert.equal(sw[0].body.currIceCandidatePair.id, 'CP2');
  assert.equal(sw[0].body.currIceCandidatePair.localCandidate.ip, '10.0.0.2');
  assert.equal(server.of('fabricDropped').length, 1);
  assert.equal(server.of('iceFailed').length, 1);
  assert.equal(server.of('iceRestarted').length, 1);
  assert.equal(server.of('fabricSetup')[0].body.remoteEndpointType, 'server');
  assert.deepEqual(fabricCb.map((c) => c[0]), ['success', 'appConnectivityError', 'appConnectivityError', 'appConnectivityError']);
  allBodiesValid(server);
});

test('page unload sends fabricTerminated and userLeft with keepalive', async () => {
  globalThis.window = new EventTarget();
  const { server, cs } = start();
  await advance(300);
  const pc = new FakePc(syntheticStats(() => Date.now()));
  cs.addNewFabric(pc, 'bob', cs.fabricUsage.multiplex, 'c10');
  pc.connect();
  await advance(2000);
  globalThis.window.dispatchEvent(new Event('pagehide'));
  await advance(100);
  const term = server.of('fabricTerminated');
  const left = server.of('userLeft');
  assert.equal(term.length, 1);
  assert.equal(left.length, 1);
  assert.ok(term[0].keepalive && left[0].keepalive);
  assert.ok(term[0].headers.authorization.startsWith('Bearer '), 'the token travels in the header');
  assert.equal(cs.ticker, undefined);
  allBodiesValid(server);
});

test('disableBeforeUnloadHandler: true means no unload handling', async () => {
  globalThis.window = new EventTarget();
  const { server, cs } = start({}, { params: { disableBeforeUnloadHandler: true } });
  await advance(300);
  const pc = new FakePc(syntheticStats(() => Date.now()));
  cs.addNewFabric(pc, 'bob', cs.fabricUsage.multiplex, 'c11');
  pc.connect();
  await advance(2000);
  globalThis.window.dispatchEvent(new Event('pagehide'));
  await advance(100);
  assert.equal(server.of('fabricTerminated').length, 0);
  assert.equal(server.of('userLeft').length, 0);
});

test('after the calls end, a dead server costs nothing for long', async () => {
  const { server, cs } = start();
  await advance(300);
  const pc = new FakePc(syntheticStats(() => Date.now()));
  cs.addNewFabric(pc, 'bob', cs.fabricUsage.multiplex, 'c12');
  pc.connect();
  await advance(2000);
  server.down = true;
  await advance(20000, 500);
  pc.close();
  await advance(15 * 60000, 1000);
  const n = server.requests.length;
  await advance(30 * 60000, 5000);
  assert.equal(server.requests.length, n, 'no more retries once the backlog was given up');
  assert.equal(cs.ticker, undefined);
  assert.ok(cs.delivery.queue.size === 0);
});

test('hold stops stats polling, resume restarts it', async () => {
  const { server, cs } = start();
  await advance(300);
  const pc = new FakePc(syntheticStats(() => Date.now()));
  cs.addNewFabric(pc, 'bob', cs.fabricUsage.multiplex, 'c13');
  pc.connect();
  await advance(2000);
  cs.sendFabricEvent(pc, cs.fabricEvent.fabricHold, 'c13');
  await advance(500);
  const polls = pc.getStatsCalls;
  await advance(20000);
  assert.equal(pc.getStatsCalls, polls);
  cs.sendFabricEvent(pc, cs.fabricEvent.fabricResume, 'c13');
  await advance(6000);
  assert.ok(pc.getStatsCalls > polls);
  assert.equal(server.of('fabricHold').length, 1);
  assert.ok(server.of('fabricHold')[0].path.endsWith('/events/fabric/actions'));
});

test('without a collector URL events go out with the local clock', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: T0 });
  const server = new FakeServer();
  globalThis.fetch = server.fetch;
  const cs = new callstats();
  cs.setProxyConfig({ authServiceURL: BASE, restEventURL: BASE + 'v1/apps/', restStatsURL: BASE + 'v1/apps/' });
  cs.initialize('1', 'secret', 'alice');
  await advance(300);
  const pc = new FakePc(syntheticStats(() => Date.now()));
  cs.addNewFabric(pc, 'bob', cs.fabricUsage.multiplex, 'c14');
  pc.connect();
  await advance(2000);
  assert.equal(server.of('fabricSetup').length, 1);
  assert.equal(server.of((r) => r.path === '/clockSync').length, 0);
  assert.ok(Math.abs(server.of('fabricSetup')[0].body.timestamp - server.of('fabricSetup')[0].at) < 2000);
});

test('the stats callback says offline while the server cannot be reached', async () => {
  const { server, cs, calls } = start();
  server.down = true;
  await advance(300);
  const pc = new FakePc(syntheticStats(() => Date.now()));
  cs.addNewFabric(pc, 'bob', cs.fabricUsage.multiplex, 'c15');
  pc.connect();
  await advance(12000);
  assert.ok(calls.stats.length >= 1);
  assert.equal(calls.stats.at(-1).connectionState, 'offline');
  server.down = false;
  await advance(70000, 500);
  assert.equal(calls.stats.at(-1).connectionState, 'online');
});

test('drop-in rules of callstats-js 3.73.16: numeric conference IDs, the remote user object, one stats slot, what the original sent', async () => {
  const { server, cs, calls } = start();
  assert.equal(cs.version, '3.73.16', 'the version apps gate on');
  assert.match(cs.sdkVersion, /^\d+\.\d+\.\d+/);
  // on('stats') after initialize takes the one stats slot from csStatsCallback: the last wins.
  const onStats = [];
  assert.deepEqual(cs.on('stats', (s) => onStats.push(s)), { status: 'success' });
  await advance(500);
  const remote = { userName: 'Bob', aliasName: 'bob' };
  const pc = new FakePc(syntheticStats(() => Date.now()));
  assert.deepEqual(cs.addNewFabric(pc, remote, cs.fabricUsage.multiplex, 42), { status: 'success' }, 'a room number');
  await advance(300);
  pc.connect();
  await advance(7000);
  assert.equal(server.of('userJoined')[0].path, '/v1/apps/1/conferences/42');
  assert.equal(server.of('userJoined')[0].body.remoteID, 'bob', 'the wire carries the alias');
  assert.ok(onStats.length >= 1);
  assert.equal(calls.stats.length, 0, 'csStatsCallback was replaced');
  assert.ok(onStats.at(-1).mediaStreamTracks.every((t) => t.remoteUserID === remote), 'the very object the app passed');

  // What the original accepted: answered success, sent where it can be.
  const warn = console.warn;
  const warned = [];
  console.warn = (...a) => warned.push(a.join(' '));
  try {
    assert.deepEqual(cs.sendUserFeedback(42, { overall: 7 }), { status: 'success' });
    assert.deepEqual(cs.reportError(pc, undefined, cs.webRTCFunctions.createOffer, new Error('no conference')), { status: 'success' });
    assert.deepEqual(cs.reportError({}, 42, cs.webRTCFunctions.applicationLog, 'not a pc'), { status: 'success' });
    assert.deepEqual(cs.reportError(undefined, undefined, cs.webRTCFunctions.applicationLog, 'nowhere'), { status: 'success' });
  } finally {
    console.warn = warn;
  }
  assert.equal(warned.length, 4, warned.join('\n'));
  await advance(2000);
  assert.deepEqual(server.of('userFeedbackEvent').map((r) => r.body.feedback), [{ overallRating: 7 }]);
  assert.deepEqual(server.of('fabricSetupFailed').map((r) => r.path.split('/')[5]), ['42'], "in the PeerConnection's conference");
  assert.equal(server.of('applicationErrorLog').length, 1, 'the non-PeerConnection one, at conference level');
});
