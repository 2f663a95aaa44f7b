// The shipped bundle, evaluated the three ways pages load it: a plain <script> (global
// `callstats`), an AMD loader (require.js, per the original's documentation) and CommonJS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import vm from 'node:vm';
import { gzipSync } from 'node:zlib';
import { readJson, repoRoot, sdkRoot } from './helpers.mjs';

const dump = readJson(repoRoot, 'fixtures', 'wire', 'enumerations.json');
const methods = dump.instance_prototype.filter((m) => m.kind === 'method');
const getters = dump.instance_prototype.filter((m) => m.kind === 'getter');

function browserLike(scriptSrc, fetch) {
  const g = {
    console,
    setTimeout,
    clearTimeout,
    setInterval,
    clearInterval,
    URL,
    URLSearchParams,
    TextEncoder,
    TextDecoder,
    AbortController,
    Response,
    crypto: globalThis.crypto,
    btoa,
    atob,
    fetch,
    navigator: { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/148.0.0.0 Safari/537.36', onLine: true },
    document: { currentScript: { src: scriptSrc }, getElementsByTagName: () => [] },
    addEventListener: () => {},
  };
  g.window = g;
  g.self = g;
  return vm.createContext(g);
}

for (const file of ['callstats.min.js', 'callstats.js']) {
  const code = readFileSync(join(sdkRoot, 'dist', file), 'utf8');

  test(`${file}: a script tag defines the callstats constructor with the whole API`, async () => {
    const requests = [];
    const fetch = async (url, init) => {
      requests.push({ url, init });
      // Refuse for good, so that no retry timer outlives the test.
      return new Response(JSON.stringify({ 'urn:x-callstats:auth:errorActions': [{ action: 2, params: { errorReason: 'test' } }] }), { status: 401 });
    };
    const ctx = browserLike('https://calls.example.org:8443/static/callstats.min.js?v=1', fetch);
    vm.runInContext(code, ctx, { filename: file });
    const callstats = ctx.callstats;
    assert.equal(typeof callstats, 'function');
    const cs = new callstats();
    assert.ok(cs instanceof callstats);
    const called = callstats();
    assert.equal(typeof called.initialize, 'function', 'also works without new');
    for (const m of methods) {
      assert.equal(typeof cs[m.name], 'function', m.name);
      assert.equal(cs[m.name].length, m.arity, `${m.name} arity`);
    }
    for (const g of getters) assert.notEqual(cs[g.name], undefined, g.name);
    assert.deepEqual(JSON.parse(JSON.stringify(cs.fabricUsage)), dump.enumerations.fabricUsage);
    assert.deepEqual([...Object.getOwnPropertyNames(callstats)].sort(), ['length', 'name', 'prototype'], 'no static members, like the original');
    // The default server is the origin the script came from.
    assert.deepEqual({ ...cs.initialize('42', 'secret', 'alice') }, { status: 'success' });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(requests[0].url, 'https://calls.example.org:8443/authenticate');
    assert.equal(requests[0].init.method, 'POST');
  });

  test(`${file}: AMD and CommonJS`, () => {
    const amd = browserLike('https://x/static/callstats.min.js', undefined);
    let defined;
    amd.define = (deps, factory) => {
      defined = factory();
    };
    amd.define.amd = {};
    vm.runInContext(code, amd);
    assert.equal(typeof defined, 'function');
    assert.equal(amd.callstats, undefined, 'no global under AMD');
    assert.equal(typeof new defined().addNewFabric, 'function');

    const cjs = browserLike('https://x/static/callstats.min.js', undefined);
    cjs.module = { exports: {} };
    vm.runInContext(code, cjs);
    assert.equal(typeof cjs.module.exports, 'function');
    assert.equal(typeof new cjs.module.exports().reportError, 'function');
    // The original defines the global as well: pages with a bundler's `module` shim use it.
    assert.equal(cjs.callstats, cjs.module.exports, 'the global as well as module.exports');
  });
}

test('callstats.min.js stays small', (t) => {
  const min = readFileSync(join(sdkRoot, 'dist', 'callstats.min.js'));
  const gz = gzipSync(min, { level: 9 }).length;
  t.diagnostic(`callstats.min.js: ${min.length} bytes, ${gz} bytes gzipped`);
  assert.ok(gz <= 30 * 1024, `${gz} bytes gzipped`);
  assert.doesNotMatch(min.toString(), /sourceMappingURL/, 'the minified file does not point at a map that is not shipped');
});

test('the ES module and the type declarations are built', () => {
  const mjs = readFileSync(join(sdkRoot, 'dist', 'callstats.mjs'), 'utf8');
  assert.match(mjs, /export\s*\{[^}]*default/);
  const dts = readFileSync(join(sdkRoot, 'dist', 'callstats.d.ts'), 'utf8');
  assert.match(dts, /export \{ default \}/);
  const client = readFileSync(join(sdkRoot, 'dist', 'types', 'client.d.ts'), 'utf8');
  assert.match(client, /addNewFabric\(/);
});
