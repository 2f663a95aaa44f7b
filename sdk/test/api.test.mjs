// The public API's promises to the page: bad arguments give {status:'failure', message} and no
// call ever throws, whatever it is given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { internals } from './helpers.mjs';

const { callstats } = internals;

const hostile = new Proxy(
  {},
  {
    get() {
      throw new Error('hostile getter');
    },
    ownKeys() {
      throw new Error('hostile keys');
    },
    getPrototypeOf() {
      throw new Error('hostile prototype');
    },
  },
);
const junk = [undefined, null, 0, -1, NaN, '', '   ', 'x', true, {}, [], () => {}, Symbol('s'), 10n, hostile, { getStats: 1 }];

function fakePc() {
  const pc = new EventTarget();
  Object.assign(pc, {
    signalingState: 'stable',
    iceConnectionState: 'new',
    iceGatheringState: 'new',
    connectionState: 'new',
    localDescription: null,
    remoteDescription: null,
    getStats: async () => new Map(),
    getConfiguration: () => ({ iceServers: [] }),
  });
  return pc;
}

const isFailure = (r) => r && r.status === 'failure' && typeof r.message === 'string' && r.message.length > 0;

const METHODS = [
  'initialize', 'addNewFabric', 'sendFabricEvent', 'sendCustomEvent', 'sendCustomStats', 'sendCallDetails',
  'sendUserFeedback', 'associateMstWithUserID', 'reportError', 'setProxyConfig', 'resetWifiStatsHandler',
  'attachWifiStatsHandler', 'setIdentifiers', 'getTurnCredentials', 'makePrecallTest', 'stopPrecallTests',
  'startPrecallTests', 'getSctResults', 'on',
];

test('no method throws, whatever the arguments', () => {
  const cs = new callstats();
  let calls = 0;
  for (const m of METHODS) {
    for (const [ia, a] of junk.entries()) {
      for (const [ib, b] of junk.entries()) {
        const args = [a, b, a, b, a, b];
        let r;
        assert.doesNotThrow(() => {
          r = cs[m](...args);
        }, `${m}(junk[${ia}], junk[${ib}])`);
        assert.ok(r && (r.status === 'success' || isFailure(r)), `${m} returns a status`);
        calls++;
      }
    }
  }
  assert.ok(calls > 4000);
});

test('calls before initialize fail with a message', () => {
  const cs = new callstats();
  const pc = fakePc();
  const r = cs.addNewFabric(pc, 'bob', cs.fabricUsage.multiplex, 'conf1');
  assert.ok(isFailure(r));
  assert.match(r.message, /^addNewFabric: .*initialize/);
  assert.equal(r.msg, r.message, 'msg mirrors message (the documented name)');
  assert.ok(isFailure(cs.sendFabricEvent(pc, cs.fabricEvent.audioMute, 'conf1')));
  assert.ok(isFailure(cs.reportError(pc, 'conf1', cs.webRTCFunctions.createOffer)));
  assert.ok(isFailure(cs.sendUserFeedback('conf1', { overall: 3 })));
});

test('initialize validates its arguments', () => {
  const cs = new callstats();
  const bad = [
    [undefined, 's', 'u'],
    ['', 's', 'u'],
    ['abc', 's', 'u'],
    ['123', '', 'u'],
    ['123', 42, 'u'],
    ['123', 's', ''],
    ['123', 's', { userName: 'x' }],
    ['123', 's', 'u', 'not a function'],
    ['123', 's', 'u', undefined, 5],
    ['123', 's', 'u', undefined, undefined, 'params'],
  ];
  for (const args of bad) assert.ok(isFailure(cs.initialize(...args)), JSON.stringify(args));
  const warn = console.warn;
  console.warn = () => {};
  try {
    assert.deepEqual(cs.initialize('123', 'secret', 'alice'), { status: 'success' });
    assert.deepEqual(cs.initialize(123, () => {}, { userName: 'A', aliasName: 'a' }, () => {}, null, {}), { status: 'success' });
  } finally {
    console.warn = warn;
  }
});

test('addNewFabric validates usage, conference, attributes and callback', () => {
  const cs = new callstats();
  cs.setProxyConfig({ authServiceURL: 'http://127.0.0.1:9/' });
  const fetch = globalThis.fetch;
  globalThis.fetch = () => new Promise(() => {});
  try {
    cs.initialize('1', 'secret', 'alice');
    const pc = fakePc();
    const u = cs.fabricUsage.multiplex;
    assert.match(cs.addNewFabric({}, 'bob', u, 'c').message, /Invalid PeerConnection/);
    assert.match(cs.addNewFabric(pc, '', u, 'c').message, /remoteUserID/);
    assert.match(cs.addNewFabric(pc, 'bob', 'nope', 'c').message, /Invalid fabricUsage value/);
    assert.match(cs.addNewFabric(pc, 'bob', u, '').message, /conferenceID/);
    assert.match(cs.addNewFabric(pc, 'bob', u, 'c', { remoteEndpointType: 'x' }).message, /Invalid EndPoint Type/);
    assert.match(cs.addNewFabric(pc, 'bob', u, 'c', { fabricTransmissionDirection: 'x' }).message, /Invalid fabric transmission direction/);
    assert.match(cs.addNewFabric(pc, 'bob', u, 'c', {}, 'cb').message, /pcCallback/);
    // The integration guide passes the callback fifth.
    assert.deepEqual(cs.addNewFabric(pc, 'bob', u, 'c', () => {}), { status: 'success' });
    assert.deepEqual(cs.addNewFabric(pc, 'bob', u, 'c'), { status: 'success' }, 'adding twice is harmless');
    assert.match(cs.addNewFabric(pc, 'bob', u, 'other').message, /already monitored/);
    // Further methods on the fabric.
    assert.match(cs.sendFabricEvent(pc, 'nope', 'c').message, /Invalid fabricEvents value/);
    assert.match(cs.sendFabricEvent(pc, cs.fabricEvent.audioMute, 'wrong').message, /conferenceId does not exist/);
    assert.match(cs.sendFabricEvent(fakePc(), cs.fabricEvent.audioMute, 'c').message, /not added/);
    assert.match(cs.sendFabricEvent(pc, cs.fabricEvent.activeDeviceList, 'c', {}).message, /deviceList/);
    assert.match(cs.sendFabricEvent(pc, cs.fabricEvent.fabricUsageEvent, 'c').message, /Unsupported/);
    assert.deepEqual(cs.sendFabricEvent(pc, cs.fabricEvent.audioMute, 'c'), { status: 'success' });
    assert.match(cs.reportError(pc, 'c', 'nope').message, /Invalid webRTC functionName value/);
    assert.deepEqual(cs.reportError(null, 'c', cs.webRTCFunctions.getUserMedia, new Error('denied')), { status: 'success' });
    assert.match(cs.associateMstWithUserID(pc, 'bob', 'c', 'abc', 'camera').message, /SSRC/);
    assert.deepEqual(cs.associateMstWithUserID(pc, 'bob', 'c', 12345, 'camera', 'remoteVideo'), { status: 'success' });
    // Ratings are sent as the original sent them; what is off is said on the console.
    assert.deepEqual(cs.sendUserFeedback('c', { overall: 6 }), { status: 'success' });
    assert.deepEqual(cs.sendUserFeedback('c', { overall: 3, audio: 0 }), { status: 'success' });
    assert.deepEqual(cs.sendUserFeedback('c', { userID: 'alice', overall: 3, video: 4, comment: 'ok' }), { status: 'success' });
    assert.match(cs.sendCustomEvent(pc, 'c', []).message, /eventList/);
    assert.match(cs.sendCustomStats(pc, 'c', 5).message, /stats/);
    assert.match(cs.sendCallDetails(pc, 'c', { callType: 'x' }).message, /callType/);
    assert.match(cs.setProxyConfig({ collectorURL: 5 }).message, /collectorURL/);
    assert.match(cs.setProxyConfig({}).message, /no known URL/);
    assert.match(cs.on('stats', 5).message, /function/);
    assert.deepEqual(cs.sendFabricEvent(pc, cs.fabricEvent.fabricTerminated, 'c'), { status: 'success' });
    assert.match(cs.sendFabricEvent(pc, cs.fabricEvent.audioMute, 'c').message, /terminated/);
    assert.deepEqual(cs.sendFabricEvent(pc, cs.fabricEvent.fabricTerminated, 'c'), { status: 'success' }, 'terminating twice is harmless');
  } finally {
    globalThis.fetch = fetch;
  }
});

test('setProxyConfig works without window.csioproxy', () => {
  const cs = new callstats();
  assert.equal(globalThis.csioproxy, undefined);
  assert.deepEqual(cs.setProxyConfig({ authServiceURL: 'https://cs.example/', restEventURL: 'https://cs.example/v1/apps' }), { status: 'success' });
});

test('application callbacks that throw do not escape', async () => {
  const cs = new callstats();
  const fetch = globalThis.fetch;
  globalThis.fetch = async () => new Response(JSON.stringify({ error: 'x', 'urn:x-callstats:auth:errorActions': [{ action: 2, params: { errorReason: 'nope' } }] }), { status: 401 });
  const seen = [];
  try {
    cs.setProxyConfig({ authServiceURL: 'http://server/' });
    cs.initialize('1', 'secret', 'alice', (status, msg) => {
      seen.push([status, msg]);
      throw new Error('app bug');
    });
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    globalThis.fetch = fetch;
  }
  assert.deepEqual(seen, [['authError', 'nope']]);
});

test('describeError keeps message, name and stack like the original', () => {
  const e = new TypeError('bad sdp');
  const d = internals.describeError(e);
  assert.equal(d.messageType, 'domError');
  assert.equal(d.name, 'TypeError');
  assert.deepEqual(JSON.parse(d.message), { message: 'bad sdp', name: 'TypeError', stack: e.stack });
  assert.deepEqual(internals.describeError('plain'), { message: 'plain', messageType: 'text' });
  assert.deepEqual(internals.describeError({ a: 1 }), { message: '{"a":1}', messageType: 'json' });
  const cyclic = {};
  cyclic.self = cyclic;
  assert.equal(internals.describeError(cyclic).messageType, 'json');
  assert.equal(internals.describeError(null).message, '');
});
