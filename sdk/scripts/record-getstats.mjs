// Records real getStats() sequences from headless Chromium for the stats unit tests.
//
// Two RTCPeerConnections in one page talk over loopback with the fake camera and microphone,
// both sending audio and video, and pc1.getStats() is captured once a second for about 12 s.
// Only the report types the SDK reads are kept, so each fixture stays well under 300 KB.
//
//   node scripts/record-getstats.mjs        writes test/fixtures/chromium-getstats-*.json
//
// Scenarios: `steady` (640x360, unconstrained) and `downscale` (after 5 s pc1's video sender is
// capped at 150 kbps and scaled down by 2, so bitrate, resolution and the quality limitation
// change mid-recording).

import { createServer } from 'node:http';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'test', 'fixtures');
const KEEP = [
  'inbound-rtp', 'outbound-rtp', 'remote-inbound-rtp', 'remote-outbound-rtp', 'candidate-pair',
  'local-candidate', 'remote-candidate', 'transport', 'codec', 'media-source', 'media-playout',
];

// The e2e test pages' helper connects the two PeerConnections.
const loopback = readFileSync(join(root, '..', 'e2e', 'pages', 'loopback.js'), 'utf8');

const page = `<!doctype html><meta charset="utf-8"><title>getStats recorder</title><script>${loopback}</script><script>
window.record = async function (scenario, samples, keep) {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360, frameRate: 30 } });
  const pc1 = new RTCPeerConnection(), pc2 = new RTCPeerConnection();
  for (const t of stream.getTracks()) { pc1.addTrack(t, stream); pc2.addTrack(t.clone(), stream); }
  await window.loopback.connect(pc1, pc2);
  await new Promise((res) => {
    const check = () => (pc1.iceConnectionState === 'connected' || pc1.iceConnectionState === 'completed') ? res() : setTimeout(check, 50);
    check();
  });
  const out = [];
  for (let i = 0; i < samples; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    if (scenario === 'downscale' && i === 5) {
      const sender = pc1.getSenders().find((s) => s.track && s.track.kind === 'video');
      const p = sender.getParameters();
      p.encodings[0].maxBitrate = 150000;
      p.encodings[0].scaleResolutionDownBy = 2;
      await sender.setParameters(p);
    }
    const report = await pc1.getStats();
    const sample = [];
    report.forEach((r) => { if (keep.includes(r.type)) sample.push(JSON.parse(JSON.stringify(r))); });
    out.push(sample);
  }
  const sdp = { local: pc1.localDescription.sdp, remote: pc1.remoteDescription.sdp };
  pc1.close(); pc2.close();
  stream.getTracks().forEach((t) => t.stop());
  return { userAgent: navigator.userAgent, samples: out, sdp };
};
</script>`;

const server = createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(page);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
});
try {
  mkdirSync(outDir, { recursive: true });
  for (const scenario of ['steady', 'downscale']) {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await p.goto(url);
    const result = await p.evaluate(([s, keep]) => window.record(s, 12, keep), [scenario, KEEP]);
    await ctx.close();
    const file = join(outDir, `chromium-getstats-${scenario}.json`);
    // One report per line: readable diffs, and still compact.
    const lines = result.samples.map((s) => '    [\n' + s.map((r) => '      ' + JSON.stringify(r)).join(',\n') + '\n    ]');
    const text =
      '{\n' +
      `  "note": ${JSON.stringify(`pc1.getStats() once a second, two loopback PeerConnections with fake audio+video; scenario ${scenario}; recorded by scripts/record-getstats.mjs`)},\n` +
      `  "userAgent": ${JSON.stringify(result.userAgent)},\n` +
      `  "sdp": ${JSON.stringify(result.sdp)},\n` +
      '  "samples": [\n' + lines.join(',\n') + '\n  ]\n}\n';
    writeFileSync(file, text);
    console.log(`${file}: ${result.samples.length} samples, ${Buffer.byteLength(text)} bytes`);
  }
} finally {
  await browser.close();
  server.close();
}
