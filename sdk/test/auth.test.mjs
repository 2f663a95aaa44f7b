// The AppSecret flow's code JWT (PROTOCOL.md §4.2) and the access-token claims (§4.5). The HMAC
// is checked with node:crypto, a second implementation, for both of the SDK's code paths
// (WebCrypto and the plain-JavaScript fallback used outside secure contexts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes, webcrypto } from 'node:crypto';
import { internals } from './helpers.mjs';

const { signCode, decodeClaims, sha256, hmacSha256, base64url, base64urlDecode, DEFAULT_SUBMISSION_INTERVAL } = internals;

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const json = (seg) => JSON.parse(Buffer.from(seg, 'base64url').toString('utf8'));

for (const [label, subtle] of [['WebCrypto', webcrypto.subtle], ['JS fallback', null]]) {
  test(`AppSecret code JWT (${label}) verifies with node:crypto`, async () => {
    const secret = 'aB3_dE-fG7hIjKlMnOpQrStUvWxYz0123456789abcdef';
    const token = await signCode('alice@example.com', '7654321', secret, subtle ?? null);
    const [h, p, s] = token.split('.');
    assert.deepEqual(json(h), { alg: 'HS256' });
    assert.equal(Buffer.from(h, 'base64url').toString(), '{"alg":"HS256"}', 'no typ, exactly as the original');
    assert.deepEqual(json(p), { userID: 'alice@example.com', appID: '7654321', generateTurnCredentials: false });
    const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${h}.${p}`).digest();
    assert.equal(s, b64url(expected));
    assert.doesNotMatch(token, /[=+/]/, 'base64url without padding');
  });
}

test('the code matches the one captured from callstats-js 3.73.16 for the same inputs', async () => {
  // samples/secret-flow/POST_auth_authenticate.json carries the code the original produced; its
  // header and payload segments must be byte-identical to ours.
  const { readJson, repoRoot } = await import('./helpers.mjs');
  const sample = readJson(repoRoot, 'fixtures', 'wire', 'secret-flow', 'POST_auth_authenticate.json');
  const [h, p] = sample.body_form.code.split('.');
  const ours = await signCode('alice@example.com', '7654321', 'whatever', null);
  assert.equal(ours.split('.')[0], h);
  assert.equal(ours.split('.')[1], p);
});

test('key-ID secrets sign with the part after the colon and name the key in hex', async () => {
  const keyId = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
  const secret = `${keyId.toString('base64')}:the-real-secret`;
  const token = await signCode('bob', '1', secret, null);
  const [h, p, s] = token.split('.');
  assert.equal(json(p).keyId, 'deadbeef');
  assert.equal(s, b64url(createHmac('sha256', 'the-real-secret').update(`${h}.${p}`).digest()));
});

test('non-ASCII user IDs and secrets are UTF-8 throughout', async () => {
  const token = await signCode('Jürgen 東京', '42', 'sëcret', null);
  const [h, p, s] = token.split('.');
  assert.equal(json(p).userID, 'Jürgen 東京');
  assert.equal(s, b64url(createHmac('sha256', Buffer.from('sëcret', 'utf8')).update(`${h}.${p}`).digest()));
});

test('SHA-256 and HMAC fallback agree with node:crypto for all block-boundary lengths', () => {
  for (let len = 0; len < 200; len++) {
    const data = randomBytes(len);
    assert.equal(Buffer.from(sha256(data)).toString('hex'), createHash('sha256').update(data).digest('hex'), `sha256 len ${len}`);
  }
  for (const keyLen of [0, 1, 32, 63, 64, 65, 200]) {
    const key = randomBytes(keyLen);
    const msg = randomBytes(100);
    assert.equal(Buffer.from(hmacSha256(key, msg)).toString('hex'), createHmac('sha256', key).update(msg).digest('hex'), `hmac key ${keyLen}`);
  }
});

test('base64url round-trips arbitrary bytes', () => {
  for (let len = 0; len < 40; len++) {
    const b = randomBytes(len);
    assert.deepEqual(Buffer.from(base64urlDecode(base64url(b))), b);
  }
});

const jwtWith = (payload) => `${b64url(Buffer.from('{"alg":"HS256"}'))}.${b64url(Buffer.from(JSON.stringify(payload)))}.sig`;

test('access-token claims are decoded, base64url characters included', () => {
  // "??>" in a value makes the base64url payload contain '-' and '_', which broke the original.
  const payload = {
    appID: 7654321,
    userID: 'a%40b',
    submissionInterval: 15000,
    collectSDP: true,
    ingestedEvents: ['userFeedback', 'applicationErrorLog'],
    expiry: '2030-01-02T03:04:05.000Z',
    note: '??>>~~??',
  };
  const token = jwtWith(payload);
  assert.match(token.split('.')[1], /[-_]/);
  const c = decodeClaims(token);
  assert.equal(c.appID, 7654321);
  assert.equal(c.userID, 'a%40b');
  assert.equal(c.submissionInterval, 15000);
  assert.equal(c.collectSDP, true);
  assert.deepEqual(c.ingestedEvents, ['userFeedback', 'applicationErrorLog']);
  assert.equal(c.expiresAt, Date.parse('2030-01-02T03:04:05.000Z'));
});

test('claims: defaults and fallbacks', () => {
  const c = decodeClaims(jwtWith({ exp: 2000000000 }));
  assert.equal(c.submissionInterval, DEFAULT_SUBMISSION_INTERVAL, 'a missing interval does not disable stats');
  assert.equal(c.collectSDP, false);
  assert.equal(c.ingestedEvents, undefined, 'no list means nothing is gated');
  assert.equal(c.expiresAt, 2000000000 * 1000);
  assert.equal(decodeClaims(jwtWith({ expiry: '2030-01-02 03:04:05Z' })).expiresAt, Date.parse('2030-01-02T03:04:05Z'));
  assert.equal(decodeClaims(jwtWith({ submissionInterval: 'x' })).submissionInterval, DEFAULT_SUBMISSION_INTERVAL);
  assert.equal(decodeClaims('not a jwt'), null);
  assert.equal(decodeClaims('a.!!!.c'), null);
  assert.equal(decodeClaims(`a.${b64url(Buffer.from('[1]'))}.c`).submissionInterval, DEFAULT_SUBMISSION_INTERVAL);
  assert.equal(decodeClaims(undefined), null);
});
