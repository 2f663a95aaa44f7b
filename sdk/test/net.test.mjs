// Retry spacing, the send queue's drop policy, reply classification and clock offset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { internals } from './helpers.mjs';

const { backoffDelay, DEFAULT_BACKOFF, BoundedQueue, classify, clockOffset, QUEUE_CAPACITY } = internals;

test('backoff stays within [base, max] and grows to the cap', () => {
  for (let attempt = 0; attempt < 40; attempt++) {
    for (const r of [0, 0.25, 0.5, 0.999, 1]) {
      const d = backoffDelay(attempt, DEFAULT_BACKOFF, () => r);
      assert.ok(d >= 1000 && d <= 60000, `attempt ${attempt} r ${r}: ${d}`);
    }
  }
  assert.equal(backoffDelay(0, DEFAULT_BACKOFF, () => 1), 1000);
  assert.equal(backoffDelay(3, DEFAULT_BACKOFF, () => 0), 4000);
  assert.equal(backoffDelay(3, DEFAULT_BACKOFF, () => 1), 8000);
  assert.equal(backoffDelay(20, DEFAULT_BACKOFF, () => 1), 60000);
  assert.equal(backoffDelay(20, DEFAULT_BACKOFF, () => 0), 30000, 'jitter never collapses to zero');
  // Garbage in, bounded out.
  for (const a of [-5, NaN, Infinity, 1e9]) {
    const d = backoffDelay(a);
    assert.ok(d >= 1000 && d <= 60000, String(a));
  }
});

test('backoff jitter spreads retries', () => {
  const seen = new Set();
  for (let i = 0; i < 50; i++) seen.add(backoffDelay(5));
  assert.ok(seen.size > 10);
});

test('queue: when full, the oldest stats go first', () => {
  const q = new BoundedQueue(4);
  const items = [
    { kind: 'event', n: 1 },
    { kind: 'stats', n: 2 },
    { kind: 'event', n: 3 },
    { kind: 'stats', n: 4 },
  ];
  for (const i of items) assert.deepEqual(q.push(i), []);
  assert.deepEqual(q.push({ kind: 'event', n: 5 }).map((i) => i.n), [2]);
  assert.deepEqual(q.push({ kind: 'stats', n: 6 }).map((i) => i.n), [4]);
  assert.deepEqual(q.items.map((i) => i.n), [1, 3, 5, 6]);
});

test('queue: with no stats left the oldest event goes, never a kept one', () => {
  const q = new BoundedQueue(3);
  q.push({ kind: 'event', keep: true, n: 'join' });
  q.push({ kind: 'event', n: 1 });
  q.push({ kind: 'event', n: 2 });
  assert.deepEqual(q.push({ kind: 'event', n: 3 }).map((i) => i.n), [1]);
  assert.deepEqual(q.items.map((i) => i.n), ['join', 2, 3]);
  const full = new BoundedQueue(1);
  full.push({ kind: 'event', keep: true, n: 'a' });
  assert.deepEqual(full.push({ kind: 'event', n: 'b' }).map((i) => i.n), ['b'], 'nothing droppable: the newcomer is refused');
});

test('queue: capacity bounds memory through a long outage', () => {
  const q = new BoundedQueue(QUEUE_CAPACITY);
  let dropped = 0;
  for (let i = 0; i < 5000; i++) dropped += q.push({ kind: i % 5 ? 'stats' : 'event', n: i }).length;
  assert.equal(q.size, QUEUE_CAPACITY);
  assert.equal(dropped, 4000);
  assert.equal(q.items.filter((i) => i.kind === 'event').length, 1000, 'all 1000 events kept, stats dropped first');
  assert.deepEqual(q.push({ kind: 'stats', n: 'late' }).map((i) => i.n), ['late'], 'a sample never displaces an event');
});

test('replies are classified by status code and body', () => {
  assert.equal(classify(200, { status: 'success' }), 'ok');
  assert.equal(classify(200, {}), 'ok');
  assert.equal(classify(200, undefined), 'retry', 'a 200 that is not JSON is not our server');
  assert.equal(classify(200, { status: 'error', msg: 'x' }), 'reject');
  assert.equal(classify(401, { status: 'error', msg: 'bad token' }), 'auth');
  assert.equal(classify(200, { status: 'error', msg: 'Token has expired' }), 'auth');
  assert.equal(classify(0, undefined), 'retry');
  assert.equal(classify(500, { status: 'error' }), 'retry');
  assert.equal(classify(503, undefined), 'retry');
  assert.equal(classify(429, undefined), 'retry');
  assert.equal(classify(400, { status: 'error', msg: 'missing field' }), 'reject');
  assert.equal(classify(403, { status: 'error' }), 'reject');
  assert.equal(classify(404, undefined), 'reject');
  assert.equal(classify(502, undefined), 'retry');
});

test('clock offset uses the fastest round trip', () => {
  const samples = [
    { sent: 1000, received: 1400, server: 5000 }, // slow: 400 ms RTT
    { sent: 2000, received: 2020, server: 6010 }, // fast: server ahead by 4000
    { sent: 3000, received: 3100, server: 6900 },
  ];
  assert.equal(clockOffset(samples), 6010 + 10 - 2020);
  assert.equal(clockOffset([]), null);
  assert.equal(clockOffset([{ sent: 5, received: 1, server: 3 }]), null, 'time going backwards is no sample');
});

test('large bodies are gzipped when asked, small ones are not', async () => {
  const { gunzipSync } = await import('node:zlib');
  const seen = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (url, init) => {
    seen.push(init);
    return new Response('{"status":"success"}', { status: 200 });
  };
  try {
    const big = JSON.stringify({ stats: 'x'.repeat(5000) });
    const r = await internals.request('http://127.0.0.1:1/v1/apps/1/conferences/c/u/stats', { method: 'POST', body: big, compress: true, headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.outcome, 'ok');
    assert.equal(seen[0].headers['Content-Encoding'], 'gzip');
    assert.equal(gunzipSync(Buffer.from(seen[0].body)).toString('utf8'), big);
    assert.ok(seen[0].body.byteLength < big.length / 10);
    await internals.request('http://127.0.0.1:1/x', { method: 'POST', body: '{"a":1}', compress: true });
    assert.equal(seen[1].body, '{"a":1}');
    assert.equal(seen[1].headers?.['Content-Encoding'], undefined);
  } finally {
    globalThis.fetch = realFetch;
  }
});
