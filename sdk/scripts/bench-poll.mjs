// Figures for the SDK: gzipped bundle size, and main-thread time of processing one getStats()
// poll (snapshot, per-stream deltas and quality, trimming for submission) measured on the
// recorded Chromium sequences in V8, the engine the browser runs it in. getStats() itself is
// asynchronous native work and not counted. Run `npm test` (or `node scripts/build.mjs
// --no-copy`) first so build/test/internals.mjs exists.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { internals, loadRecording, sdkRoot } from '../test/helpers.mjs';
import { join } from 'node:path';

const { toSnapshot, allStreamMetrics, trimSnapshot, streamQuality, compactStreams, CompactEncoder } = internals;
const bundle = readFileSync(join(sdkRoot, 'dist', 'callstats.min.js'));
console.log(`bundle callstats.min.js: ${bundle.length} bytes, ${gzipSync(bundle, { level: 9 }).length} bytes gzipped`);

const samples = [...loadRecording('steady').samples, ...loadRecording('downscale').samples].map((s) => s.reports ?? s.stats ?? s);
const times = [];
for (let round = 0; round < 200; round += 1) {
  let prev;
  const encoder = new CompactEncoder();
  for (const sample of samples) {
    const t0 = performance.now();
    const snap = toSnapshot(sample);
    const metrics = allStreamMetrics(snap, prev);
    for (const m of metrics) streamQuality(m);
    // A submission as the SDK sends it by default: trimmed, compacted, delta-encoded.
    const sub = encoder.number(compactStreams(trimSnapshot(snap)));
    JSON.stringify(encoder.encode(sub));
    encoder.acknowledged(sub);
    times.push(performance.now() - t0);
    prev = snap;
  }
}
times.sort((a, b) => a - b);
const pct = (p) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)];
console.log(`per poll (${times.length} polls): median ${pct(50).toFixed(3)} ms, p95 ${pct(95).toFixed(3)} ms, max ${pct(100).toFixed(3)} ms`);
console.log(`RESULT sdk bundle_gzip_bytes=${gzipSync(bundle, { level: 9 }).length} poll_median_ms=${pct(50).toFixed(3)} poll_p95_ms=${pct(95).toFixed(3)}`);
