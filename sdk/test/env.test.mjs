// Where the SDK finds its server, what it says about the browser, and byte-exact log capping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { internals } from './helpers.mjs';

const { baseFromScriptUrl, parseUserAgent, truncateUtf8, utf8Length, randomConnectionId, deviceId } = internals;

test('the server base is the script URL up to static/', () => {
  assert.equal(baseFromScriptUrl('http://127.0.0.1:8080/static/callstats.min.js'), 'http://127.0.0.1:8080/');
  assert.equal(baseFromScriptUrl('https://cs.example.org/static/callstats.js?v=3'), 'https://cs.example.org/');
  assert.equal(baseFromScriptUrl('https://example.org/monitoring/static/callstats.min.js'), 'https://example.org/monitoring/', 'behind a path prefix');
  assert.equal(baseFromScriptUrl('https://example.org/callstats.min.js'), 'https://example.org/');
  assert.equal(baseFromScriptUrl('https://example.org/static/app.bundle.js'), undefined, 'not our file');
  assert.equal(baseFromScriptUrl('file:///tmp/static/callstats.min.js'), undefined);
  assert.equal(baseFromScriptUrl(''), undefined);
  assert.equal(baseFromScriptUrl('::nonsense'), undefined);
});

test('user agents', () => {
  const chrome = parseUserAgent('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36');
  assert.deepEqual([chrome.buildName, chrome.buildVersion, chrome.os], ['Chrome', '156.0.0.0', 'Linux']);
  const edge = parseUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91');
  assert.deepEqual([edge.buildName, edge.os, edge.osVersion], ['Edge', 'Windows', '10.0']);
  const ff = parseUserAgent('Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:121.0) Gecko/20100101 Firefox/121.0');
  assert.deepEqual([ff.buildName, ff.buildVersion, ff.os, ff.osVersion], ['Firefox', '121.0', 'Mac OS X', '10.15']);
  const safari = parseUserAgent('Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1');
  assert.deepEqual([safari.buildName, safari.buildVersion, safari.os, safari.osVersion], ['Safari', '17.2', 'iOS', '17.2']);
  assert.equal(parseUserAgent('').buildName, 'Unknown');
});

test('logs are cut to a byte budget on a character boundary', () => {
  assert.equal(truncateUtf8('short', 20480), 'short');
  const euro = '€'.repeat(10000); // 3 bytes each
  const cut = truncateUtf8(euro, 20480);
  assert.ok(utf8Length(cut) <= 20480 && utf8Length(cut) > 20480 - 3);
  assert.ok(!cut.includes('\uFFFD'));
  assert.equal(utf8Length(truncateUtf8('a'.repeat(30000), 20480)), 20480);
});

test('IDs', () => {
  assert.match(randomConnectionId(), /^[0-9a-z]{10}$/);
  assert.notEqual(randomConnectionId(), randomConnectionId());
  assert.match(deviceId(), /^[0-9a-f]{64}$/);
  assert.equal(deviceId(), deviceId(), 'stable within a page without storage');
});
