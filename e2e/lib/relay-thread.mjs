// The impairment relay (lib/relay.mjs) in a worker thread of its own, for the browser tests.
//
// The test's main thread also drives Chromium through playwright and parses the server's JSON;
// each of those can hold its event loop for tens of milliseconds, and every packet waiting
// meanwhile would be delayed by that much: impairment nobody asked for. In a worker, the relay
// has an event loop to itself. The worker also measures its own event-loop delay, which bounds
// what the relay added beyond its settings (reported by `counters()` as `loopDelayMs`).
//
// Same settings as startRelay; the methods are asynchronous, since they are messages:
//   portA, portB, setTarget(address, port), set(which, patch) → epoch ms when applied,
//   counters(), close().
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startRelay } from './relay.mjs';

if (!isMainThread && workerData?.relayThread) {
  const relay = await startRelay(workerData.options);
  const RESOLUTION_MS = 5;
  const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  loop.enable();
  // Stalls of this thread's event loop longer than 100 ms (when, how long): packets wait that
  // long. The last 20 are kept.
  const stalls = [];
  let tick = performance.now();
  const watch = setInterval(() => {
    const now = performance.now();
    if (now - tick > 110) {
      if (stalls.length === 20) stalls.shift();
      stalls.push({ at: Date.now() - Math.round(now - tick), ms: Math.round(now - tick - 10) });
    }
    tick = now;
  }, 10);
  const ops = {
    setTarget: (address, port) => relay.setTarget(address, port),
    set: (which, patch) => { relay.set(which, patch); return Date.now(); },
    counters: () => ({
      ...relay.counters(),
      // The histogram holds the timer's interval; what exceeds the resolution is the delay.
      loopDelayMs: Object.fromEntries([['p50', loop.percentile(50)], ['p99', loop.percentile(99)], ['max', loop.max]]
        .map(([k, ns]) => [k, Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 10) / 10)])),
      stalls: [...stalls],
    }),
    close: async () => {
      loop.disable();
      clearInterval(watch);
      await relay.close();
    },
  };
  parentPort.on('message', async ({ id, op, args }) => {
    try {
      const result = await ops[op](...args);
      parentPort.postMessage({ id, result });
      if (op === 'close') parentPort.close();
    } catch (err) {
      parentPort.postMessage({ id, error: String((err && err.stack) || err) });
    }
  });
  parentPort.postMessage({ ready: true, portA: relay.portA, portB: relay.portB, host: relay.host });
}

/** Starts a relay in its own worker thread; resolves once its sockets are bound. */
export function startRelayThread(options = {}) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { relayThread: true, options } });
  // A relay left open by a failed test must not keep the process alive.
  worker.unref();
  const pending = new Map();
  let next = 1;
  let closed = false;
  let last = null; // the counters read by close(), kept for reading after it
  const fail = (err) => {
    for (const { reject } of pending.values()) reject(err);
    pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', () => fail(new Error('relay thread exited')));
  const call = (op, ...args) => new Promise((resolve, reject) => {
    if (closed) return reject(new Error('relay closed'));
    const id = next++;
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, op, args });
  });
  worker.on('message', (m) => {
    if (m.ready) return;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error) p.reject(new Error(m.error));
    else p.resolve(m.result);
  });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (m) => {
      if (!m.ready) return reject(new Error('relay thread did not start'));
      worker.off('error', reject);
      resolve({
        host: m.host,
        portA: m.portA,
        portB: m.portB,
        setTarget: (address, port) => call('setTarget', address, port),
        set: (which, patch) => call('set', which, patch),
        async counters() {
          if (closed) return last;
          return call('counters');
        },
        async close() {
          if (closed) return;
          last = await call('counters').catch(() => last);
          await call('close').catch(() => {});
          closed = true;
          await worker.terminate();
        },
      });
    });
  });
}
