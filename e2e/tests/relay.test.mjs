// The impairment relay (lib/relay.mjs) on its own, with plain UDP sockets standing for the two
// ends of a call: it must apply what it is told, by the amounts it is told, before it is trusted
// with a browser's call (tests/impairment.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { startRelay, classify } from '../lib/relay.mjs';
import { sleep } from '../lib/wait.mjs';

/** Two sockets wired through a relay: `a` sends to the relay's side A, `b` is its target. */
async function wired(opts) {
  const relay = await startRelay(opts);
  const sock = () => new Promise((r) => { const s = dgram.createSocket('udp4'); s.bind(0, '127.0.0.1', () => r(s)); });
  const a = await sock();
  const b = await sock();
  relay.setTarget('127.0.0.1', b.address().port);
  const got = { a: [], b: [] };
  a.on('message', (m) => got.a.push({ m, t: performance.now() }));
  b.on('message', (m) => got.b.push({ m, t: performance.now() }));
  return {
    relay,
    got,
    sendA: (buf) => a.send(buf, relay.portA, '127.0.0.1'),
    sendB: (buf) => b.send(buf, relay.portB, '127.0.0.1'),
    async close() { await relay.close(); a.close(); b.close(); },
  };
}

/** An RTP-looking packet (first byte 0x80, PT 111) with SSRC and sequence number. */
function rtp(seq, ssrc = 0x1234, size = 200) {
  const buf = Buffer.alloc(size);
  buf[0] = 0x80;
  buf[1] = 111;
  buf.writeUInt16BE(seq & 0xffff, 2);
  buf.writeUInt32BE(ssrc, 8);
  return buf;
}
const stun = () => { const b = Buffer.alloc(20); b[1] = 1; return b; };

async function pump(send, n, everyMs, make = rtp) {
  for (let i = 0; i < n; i++) {
    send(make(i));
    if (everyMs && i % 10 === 9) await sleep(everyMs * 10);
  }
}

test('classifies by first byte as RFC 7983 does', () => {
  assert.equal(classify(Buffer.from([0x00, 0x01])), 'stun');
  assert.equal(classify(Buffer.from([22, 0xfe])), 'dtls');
  assert.equal(classify(Buffer.from([0x80, 111])), 'rtp');
  assert.equal(classify(Buffer.from([0x80, 200])), 'rtcp');
  assert.equal(classify(Buffer.from([0x90, 96])), 'rtp');
  assert.equal(classify(Buffer.from([100])), 'other');
});

test('forwards both ways untouched when clean, and drops strangers', async () => {
  const w = await wired({ seed: 1 });
  try {
    w.sendA(stun());
    await sleep(50);
    w.sendB(Buffer.from('reply'));
    await pump(w.sendA, 100, 1);
    await sleep(100);
    assert.equal(w.got.b.length, 101);
    assert.equal(w.got.a.length, 1);
    assert.equal(w.got.a[0].m.toString(), 'reply');
    const stranger = dgram.createSocket('udp4');
    await new Promise((r) => stranger.bind(0, '127.0.0.1', r));
    stranger.send(Buffer.from('x'), w.relay.portB, '127.0.0.1');
    await sleep(50);
    stranger.close();
    const c = w.relay.counters();
    assert.equal(c.a2b.forwarded, 101);
    assert.equal(c.b2a.dropped.foreign, 1);
    assert.equal(c.a2b.bySsrc[0x1234].in, 100);
  } finally {
    await w.close();
  }
});

test('random loss drops its share of packets', async () => {
  const w = await wired({ seed: 7, a2b: { loss: 0.1 } });
  try {
    await pump(w.sendA, 5000, 0.2);
    await sleep(200);
    const c = w.relay.counters().a2b;
    const share = c.dropped.loss / c.in;
    // Binomial, n = 5000, p = 0.1: σ = 0.0042; 0.02 is nearly 5σ.
    assert.ok(Math.abs(share - 0.1) < 0.02, `dropped ${share}`);
    assert.equal(w.got.b.length, c.forwarded);
  } finally {
    await w.close();
  }
});

test('Gilbert–Elliott loss has the mean loss and mean burst length asked for', async () => {
  const w = await wired({ seed: 3, a2b: { burst: { loss: 0.08, length: 6 } } });
  try {
    await pump(w.sendA, 20000, 0.05);
    await sleep(300);
    const seqs = new Set(w.got.b.map(({ m }) => m.readUInt16BE(2)));
    const bursts = [];
    let run = 0;
    for (let i = 0; i < 20000; i++) {
      if (!seqs.has(i & 0xffff)) run += 1;
      else if (run) { bursts.push(run); run = 0; }
    }
    const lost = 20000 - seqs.size;
    const meanBurst = bursts.reduce((a, b) => a + b, 0) / bursts.length;
    assert.ok(Math.abs(lost / 20000 - 0.08) < 0.025, `mean loss ${lost / 20000}`);
    assert.ok(meanBurst > 4.5 && meanBurst < 7.5, `mean burst ${meanBurst}`);
  } finally {
    await w.close();
  }
});

test('delay and jitter: packets arrive late by the amounts set, in order unless reordering is allowed', async () => {
  for (const reorder of [false, true]) {
    const w = await wired({ seed: 5, a2b: { delayMs: 80, jitterMs: 40, reorder } });
    try {
      const sentAt = [];
      for (let i = 0; i < 200; i++) {
        sentAt.push(performance.now());
        w.sendA(rtp(i));
        await sleep(2);
      }
      await sleep(300);
      assert.equal(w.got.b.length, 200);
      const delays = w.got.b.map(({ m, t }) => t - sentAt[m.readUInt16BE(2)]);
      const order = w.got.b.map(({ m }) => m.readUInt16BE(2));
      const inOrder = order.every((s, i) => i === 0 || s > order[i - 1]);
      assert.ok(Math.min(...delays) >= 79, `min ${Math.min(...delays)}`);
      // Upper bounds with room for timers that fire late on a loaded machine.
      assert.ok(Math.max(...delays) <= 80 + 40 + 100, `max ${Math.max(...delays)}`);
      const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
      assert.ok(mean > 90 && mean < 160, `mean ${mean}`);
      assert.equal(inOrder, !reorder, `reorder ${reorder}: in order ${inOrder}`);
    } finally {
      await w.close();
    }
  }
});

test('the bandwidth cap holds throughput to the rate and drops the tail of its queue', async () => {
  const w = await wired({ a2b: { rateKbps: 400 } });
  try {
    // 1 s of 1.6 Mbit/s offered: 200 packets of 1000 B.
    const start = performance.now();
    for (let i = 0; i < 200; i++) {
      w.sendA(rtp(i, 1, 1000));
      if (i % 20 === 19) await sleep(100);
    }
    await sleep(600);
    const c = w.relay.counters().a2b;
    const first = w.got.b[0].t;
    const last = w.got.b[w.got.b.length - 1].t;
    const kbps = ((w.got.b.length - 1) * 1000 * 8) / (last - first);
    assert.ok(kbps > 300 && kbps < 500, `throughput ${kbps} kbit/s`);
    assert.ok(c.dropped.queue > 80, `queue drops ${c.dropped.queue}`);
    assert.equal(c.forwarded + c.dropped.queue, 200);
    assert.ok(last - start < 2000);
    // Lifting the cap sends at once again.
    w.relay.set('a2b', { rateKbps: null });
    const before = w.got.b.length;
    await pump(w.sendA, 50, 0, (i) => rtp(i, 1, 1000));
    await sleep(100);
    assert.equal(w.got.b.length - before, 50);
  } finally {
    await w.close();
  }
});

test('a media outage keeps STUN flowing; an outage of everything does not', async () => {
  const w = await wired({ b2a: { outage: 'media' } });
  try {
    w.sendA(stun());
    await sleep(30);
    for (let i = 0; i < 10; i++) {
      w.sendB(stun());
      w.sendB(rtp(i));
      w.sendB(Buffer.from([22, 0xfe, 0xfd]));
    }
    await sleep(100);
    assert.equal(w.got.a.length, 10);
    assert.ok(w.got.a.every(({ m }) => classify(m) === 'stun'));
    w.relay.set('b2a', { outage: 'all' });
    w.sendB(stun());
    await sleep(50);
    w.relay.set('b2a', { outage: null });
    w.sendB(rtp(99));
    await sleep(50);
    const c = w.relay.counters().b2a;
    assert.equal(c.dropped.outage, 21);
    assert.equal(w.got.a.length, 11);
    assert.equal(c.byClass.rtp.dropped, 10);
  } finally {
    await w.close();
  }
});

test('close() drops what is queued and stops', async () => {
  const w = await wired({ a2b: { delayMs: 500 } });
  await pump(w.sendA, 20, 0);
  await sleep(50);
  assert.equal(w.relay.counters().a2b.queued, 20);
  await w.close();
  await sleep(600);
  assert.equal(w.got.b.length, 0);
});
