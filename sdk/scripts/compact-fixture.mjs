// Writes fixtures/wire/compact/*.json: recorded Chromium getStats() sequences (test/fixtures) as
// the SDK sends them in both formats, the trimmed report list and the compact body, so the
// server's tests can prove that both give the analytics the same streams. One submission is
// "lost" (never acknowledged, not delivered) and the server "forgets" a base once, so the chain
// holds a gap and a second keyframe.
//
//   node scripts/build.mjs --no-copy && node scripts/compact-fixture.mjs

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { toSnapshot, trimSnapshot, compactStreams, CompactEncoder } = await import(join(root, 'build/test/internals.mjs'));

export function chain(samples, { lost = 4, forget = 8 } = {}) {
  const enc = new CompactEncoder();
  const out = [];
  samples.forEach((sample, n) => {
    const stats = trimSnapshot(toSnapshot(sample));
    const sub = enc.number(compactStreams(stats));
    if (n === forget) enc.forgetBase();
    const frame = enc.encode(sub);
    const compact = { localID: 'alice', deviceID: 'd', remoteID: 'bob', connectionID: 'pc1', timestamp: 1700000000000 + n * 1000, ...frame };
    const delivered = n !== lost;
    if (delivered) enc.acknowledged(sub);
    out.push({ delivered, stats, compact });
  });
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const name of ['steady', 'downscale']) {
    const rec = JSON.parse(readFileSync(join(root, `test/fixtures/chromium-getstats-${name}.json`), 'utf8'));
    const file = resolve(root, '..', 'fixtures', 'wire', 'compact', `chromium-${name}.json`);
    writeFileSync(file, JSON.stringify({ note: `scripts/compact-fixture.mjs from sdk/test/fixtures/chromium-getstats-${name}.json`, submissions: chain(rec.samples) }, null, 1) + '\n');
    console.log('wrote', file);
  }
}
