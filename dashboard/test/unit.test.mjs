// Unit tests of the dashboard's pure modules (formatting, merge patches, event descriptions,
// routes), from the node build that `node scripts/build.mjs --no-copy` writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as m from '../build/test/internals.mjs';

test('durations and clocks read as people say them', () => {
  assert.equal(m.duration(850), '850 ms');
  assert.equal(m.duration(1234), '1.2 s');
  assert.equal(m.duration(45_000), '45 s');
  assert.equal(m.duration(245_000), '4 m 05 s');
  assert.equal(m.duration(2 * 3_600_000 + 10 * 60_000), '2 h 10 m');
  assert.equal(m.duration(null), '—');
  assert.equal(m.clock(7_400), '0:07');
  assert.equal(m.clock(750_000), '12:30');
  assert.equal(m.clock(3_723_000), '1:02:03');
  assert.equal(m.ago(1000, 1000 + 3 * 60_000), '3 min ago');
  assert.equal(m.ago(1000, 1000 + 2 * 86_400_000), '2 days ago');
  assert.equal(m.ago(null), 'never');
});

test('scores, MOS and setup statuses grade consistently', () => {
  assert.equal(m.scoreGrade(4.85), 'good');
  assert.equal(m.scoreGrade(3.46), 'fair');
  assert.equal(m.scoreGrade(2), 'poor');
  assert.equal(m.scoreGrade(1.79), 'bad');
  assert.equal(m.scoreGrade(null), 'none');
  assert.equal(m.mosGrade(4.3), 'good');
  assert.equal(m.mosGrade(3.7), 'fair');
  assert.equal(m.mosGrade(2.5), 'bad');
  assert.equal(m.setupWord('partiallyFailed'), 'Partly failed');
  assert.deepEqual(m.noReasonText('noFabrics', null), ['Nothing to judge', 'No connection was reported in this conference.']);
  assert.equal(m.noReasonText('ok', null)[0], 'Nothing to judge');
  assert.equal(m.noReasonText('ok', 4.9)[0], 'Nothing wrong found');
  assert.equal(m.words('NegotiationFailure'), 'Negotiation failure');
  assert.equal(m.words('iceConnectionState'), 'Ice connection state');
  assert.equal(m.decodeID('alice%40example.com'), 'alice@example.com');
  assert.equal(m.decodeID('100%'), '100%');
});

test('a merge patch turns the stored object into the edited one, deletions included', () => {
  const from = { peerConnection: { a: 1, b: { c: 2, d: 3 } }, media: { audio: true } };
  const to = { peerConnection: { b: { c: 5 }, e: [1, 2] } };
  const patch = m.mergePatch(from, to);
  assert.deepEqual(patch, { peerConnection: { a: null, b: { c: 5, d: null }, e: [1, 2] }, media: null });
  assert.deepEqual(m.applyMergePatch(from, patch), to);
  assert.equal(m.mergePatch(to, structuredClone(to)), undefined);
  assert.deepEqual(m.mergePatch(null, to), to);
});

test('JSON textareas must hold objects', () => {
  assert.deepEqual(m.parseJsonObject('  '), { ok: true, value: null });
  assert.deepEqual(m.parseJsonObject('{"iceServers":[]}'), { ok: true, value: { iceServers: [] } });
  const arr = m.parseJsonObject('[1]');
  assert.equal(arr.ok, false);
  assert.match(arr.error, /object/);
  const bad = m.parseJsonObject('{iceServers: []}');
  assert.equal(bad.ok, false);
  assert.match(bad.error, /not valid JSON/);
});

test('events are categorised and described from their bodies', () => {
  assert.equal(m.categoryOf('fabricSetupFailed'), 'failure');
  assert.equal(m.categoryOf('userAlive'), 'other');
  assert.equal(m.CATEGORIES.other.visible, false);
  assert.equal(m.describe('fabricSetup', { delay: 193.7 }), 'connection set up in 194 ms');
  assert.equal(
    m.describe('fabricSetupFailed', { reason: 'NegotiationFailure', function: 'createOffer', message: '{"message":"bad SDP","name":"OperationError"}' }),
    'NegotiationFailure in createOffer(): OperationError: bad SDP',
  );
  assert.equal(m.describe('userFeedbackEvent', { feedback: { overallRating: 4, comments: 'x' } }), 'rated the call: overall 4/5, “x”');
  const log = m.logMessage({ level: 'debug', message: '{"message":"harness line","stack":"Error: x"}' });
  assert.deepEqual(log, { message: 'harness line', stack: 'Error: x', level: 'debug' });
  assert.deepEqual(m.sdpOf({ localSDP: 'v=0', remoteSDP: 'v=0 r' }), { local: 'v=0', remote: 'v=0 r' });
});

test('holds, mutes and screen shares become spans; an open one runs to the end', () => {
  const evs = [
    { eventType: 'fabricHold', timestamp: 100 },
    { eventType: 'fabricResume', timestamp: 300 },
    { eventType: 'screenShareStart', timestamp: 400 },
  ];
  assert.deepEqual(m.spans(evs, 1000), [
    { startMs: 100, endMs: 300, cls: 'hold', label: 'on hold', open: false },
    { startMs: 400, endMs: 1000, cls: 'share', label: 'screen sharing', open: true },
  ]);
});

test('hash routes round-trip, conference IDs with slashes and spaces included', () => {
  const conf = 'conf harness/1 ä';
  const r = m.parseHash(m.href.conference(123, conf));
  assert.deepEqual(r, { page: 'conference', appID: 123, confID: conf, query: {} });
  assert.deepEqual(m.parseHash('#/apps/5/conferences?user=alice%40x&status=failed'), { page: 'conferences', appID: 5, query: { user: 'alice@x', status: 'failed' } });
  assert.equal(m.parseHash('#/apps/5').page, 'overview');
  assert.equal(m.parseHash('').page, 'home');
  assert.equal(m.parseHash('#/apps/x/settings').page, 'home');
  assert.equal(m.href.overview(5, { range: '7d', browser: '' }), '#/apps/5/overview?range=7d');
  assert.equal(m.withQuery('/a', { q: 'x y', n: null, m: 0 }), '/a?q=x+y&m=0');
});
