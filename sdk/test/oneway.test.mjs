// One-way media detection (src/stats/oneway.ts) on two getStats samples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { internals } from './helpers.mjs';

const { toSnapshot, oneWayChanges } = internals;

const sample = ({ inA, outA, inV = 0, outV = 0 }) =>
  toSnapshot([
    { id: 'IA', type: 'inbound-rtp', kind: 'audio', ssrc: 11, timestamp: 0, packetsReceived: inA },
    { id: 'OA', type: 'outbound-rtp', kind: 'audio', ssrc: 22, timestamp: 0, packetsSent: outA },
    { id: 'IV', type: 'inbound-rtp', kind: 'video', ssrc: 33, timestamp: 0, packetsReceived: inV },
    { id: 'OV', type: 'outbound-rtp', kind: 'video', ssrc: 44, timestamp: 0, packetsSent: outV },
  ]);

test('media both ways is not one-way', () => {
  const active = new Map();
  assert.deepEqual(oneWayChanges(sample({ inA: 0, outA: 0 }), sample({ inA: 50, outA: 50, inV: 30, outV: 30 }), active, { audio: false, video: false }), []);
  assert.equal(active.size, 0);
});

test('silent inbound while sending starts an episode once, and flowing again stops it', () => {
  const active = new Map();
  const muted = { audio: false, video: false };
  const start = oneWayChanges(sample({ inA: 50, outA: 50, inV: 10, outV: 10 }), sample({ inA: 50, outA: 100, inV: 20, outV: 20 }), active, muted);
  assert.deepEqual(start, [{ eventType: 'oneWayMediaStart', mediaType: 'audio', disruptionType: 'oneWayMedia', ssrc: '11' }]);
  assert.deepEqual(oneWayChanges(sample({ inA: 50, outA: 100, inV: 20, outV: 20 }), sample({ inA: 50, outA: 150, inV: 30, outV: 30 }), active, muted), [], 'reported once');
  const stop = oneWayChanges(sample({ inA: 50, outA: 150, inV: 30, outV: 30 }), sample({ inA: 90, outA: 200, inV: 40, outV: 40 }), active, muted);
  assert.deepEqual(stop, [{ eventType: 'oneWayMediaStop', mediaType: 'audio', disruptionType: 'oneWayMedia', ssrc: '11' }]);
  assert.equal(active.size, 0);
});

test('a silent outbound stream counts only when the app did not mute it', () => {
  const prev = sample({ inA: 0, outA: 0, inV: 0, outV: 10 });
  const cur = sample({ inA: 0, outA: 0, inV: 30, outV: 10 });
  assert.deepEqual(oneWayChanges(prev, cur, new Map(), { audio: false, video: true }), []);
  assert.deepEqual(oneWayChanges(prev, cur, new Map(), { audio: false, video: false }).map((e) => [e.eventType, e.mediaType, e.ssrc]), [['oneWayMediaStart', 'video', '44']]);
});
