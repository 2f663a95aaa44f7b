// Bytes a client sends to the collector per PeerConnection-minute: the original callstats-js
// 3.73.16 and our SDK, in the same Chromium, on the same loopback call, one after the other.
// Both run the integration guide's scenario; counting starts `settle` seconds after the call is
// up (once the guide's one-off events are out) and lasts `seconds`, so the figure is the steady
// cost of a call in progress. Counts request line, headers and body of every request to the
// callstats server, preflights included.
//   node bench/bytes.mjs [seconds=60] [settle=20]
import { startServer } from '../lib/server.mjs';
import { startPageHost } from '../lib/pagehost.mjs';
import { launch } from '../lib/browser.mjs';

const seconds = Number(process.argv[2] || 60);
const settle = Number(process.argv[3] ?? 20);
const browser = await launch();

async function measure(kind) {
  const server = await startServer();
  const host = await startPageHost();
  try {
    const page = await browser.newPage();
    const origin = new URL(server.base).origin;
    let counting = false;
    let bytes = 0;
    let requests = 0;
    const byKind = {};
    page.on('request', (req) => {
      if (!counting || new URL(req.url()).origin !== origin) return;
      const headers = Object.entries(req.headers()).reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
      const url = new URL(req.url());
      const size = `${req.method()} ${url.pathname}${url.search} HTTP/1.1\r\n`.length + headers + 2 + (req.postDataBuffer()?.length || 0);
      bytes += size;
      requests += 1;
      const kind = `${req.method()} ${url.pathname.split('/').slice(-2).join('/')}`.replace(/\/\d{6,}\//, '/');
      const k = (byKind[kind] ||= { n: 0, bytes: 0 });
      k.n += 1;
      k.bytes += size;
    });
    const q = `server=${encodeURIComponent(server.base)}&app=${server.appID}&secret=${encodeURIComponent(server.appSecret)}` +
      `&conf=bytes-${kind}&user=alice`;
    await page.goto(`${host.base}/${kind === 'original' ? 'real-client' : 'sdk-client'}.html?${q}`);
    await page.waitForFunction(() => window.e2e && window.e2e.connected, null, { timeout: 30000 });
    await new Promise((r) => setTimeout(r, settle * 1000));
    counting = true;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    counting = false;
    await page.close();
    if (process.env.BYTES_DETAIL) console.log(kind, JSON.stringify(byKind));
    return { bytes, requests, perMinute: (bytes / seconds) * 60 };
  } finally {
    await host.close();
    await server.stop();
  }
}

const original = await measure('original');
const ours = await measure('sdk');
await browser.close();
const row = (name, m) => console.log(`${name.padEnd(22)} ${String(m.requests).padStart(8)} requests ${(m.perMinute / 1024).toFixed(1).padStart(9)} KiB per PC-minute`);
console.log(`measured ${seconds} s of a connected call each, from ${settle} s after it came up (submission interval 15 s):`);
row('callstats-js 3.73.16', original);
row('our SDK', ours);
console.log(`ratio ours/original = ${(ours.perMinute / original.perMinute).toFixed(3)} (target ≤ 0.25)`);
console.log(`RESULT bytes original_per_pc_minute=${Math.round(original.perMinute)} ours_per_pc_minute=${Math.round(ours.perMinute)} ratio=${(ours.perMinute / original.perMinute).toFixed(3)}`);
