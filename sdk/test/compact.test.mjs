// The compact stats body (src/stats/compact.ts): extraction and delta encoding on recorded
// Chromium getStats() sequences. The server-side half (the same streams as the report list)
// is proven in crates/callstats-ingest/src/normalise.rs on fixtures/wire/compact/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { internals } from './helpers.mjs';
import { resolveCompact } from './fake.mjs';

const { toSnapshot, trimSnapshot, compactStreams, CompactEncoder } = internals;
const rec = JSON.parse(readFileSync(new URL('./fixtures/chromium-getstats-steady.json', import.meta.url), 'utf8'));
const lists = rec.samples.map((s) => trimSnapshot(toSnapshot(s)));

/** What the server does: resolve a frame against the streams it holds for `base`. */
function resolve(frame, held) {
  const base = frame.base === undefined ? undefined : held.get(frame.base);
  if (frame.base !== undefined && !base) throw new Error('keyframe required');
  return resolveCompact(frame, base);
}

test('four streams with what the analytics read', () => {
  const s = compactStreams(lists[3]);
  assert.equal(s.length, 4);
  const ia = s.find((x) => x.k === 'a' && x.d === 'i');
  assert.equal(ia.c, 'opus');
  assert.equal(typeof ia.b, 'number');
  assert.equal(typeof ia.ts, 'number');
  const ov = s.find((x) => x.k === 'v' && x.d === 'o');
  assert.equal(typeof ov.q, 'string');
  assert.equal(typeof ov.r, 'number');
});

test('deltas against the acknowledged base resolve to the absolute streams, across a loss', () => {
  const enc = new CompactEncoder();
  const held = new Map();
  let bytes = 0;
  let keyframes = 0;
  lists.forEach((list, n) => {
    const sub = enc.number(compactStreams(list));
    const abs = sub.streams.map((s) => ({ ...s }));
    const frame = enc.encode(sub);
    if (frame.base === undefined) keyframes++;
    bytes += JSON.stringify(frame).length;
    if (n === 5) return; // lost: never acknowledged, never held
    held.set(frame.seq, resolve(JSON.parse(JSON.stringify(frame)), held));
    assert.deepEqual(held.get(frame.seq), abs, `submission ${n}`);
    enc.acknowledged(sub);
  });
  assert.equal(keyframes, 1);
  const full = lists.reduce((a, l) => a + JSON.stringify(l).length, 0);
  assert.ok(bytes * 10 < full, `compact ${bytes} B vs report lists ${full} B`);
});

test('a forgotten base, a vanished value or a new SSRC gives a keyframe', () => {
  const enc = new CompactEncoder();
  const first = enc.number(compactStreams(lists[0]));
  enc.acknowledged(first);
  assert.equal(enc.encode(enc.number(compactStreams(lists[1]))).base, first.seq);
  enc.forgetBase();
  assert.equal(enc.encode(enc.number(compactStreams(lists[2]))).base, undefined);
  enc.acknowledged(first);
  const gone = compactStreams(lists[2]);
  delete gone.find((s) => s.k === 'v' && s.d === 'i').w;
  assert.equal(enc.encode(enc.number(gone)).base, undefined);
  const moved = compactStreams(lists[2]);
  moved[0].ssrc += 1;
  const frame = enc.encode(enc.number(moved));
  assert.equal(frame.base, first.seq, 'a new SSRC is a new stream, complete in the delta');
  assert.ok(frame.s.some((s) => s.ssrc === moved[0].ssrc && s.k && s.d));
});
