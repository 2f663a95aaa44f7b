// The application's own web server in the tests: another origin than the callstats server (so
// CORS is exercised as in production), serving the test pages, the original callstats-js
// bundle, and — as an app backend would — third-party JWTs signed ES256 for the token flow.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { createPrivateKey, sign, randomBytes } from 'node:crypto';
import { dirname, join, extname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const TYPES = { '.html': 'text/html', '.js': 'application/javascript', '.mjs': 'application/javascript' };

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** Signs `claims` as an ES256 JWT with a PEM private key (JOSE wants r‖s, not DER). */
export function signEs256(claims, privatePem, kid) {
  const header = b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', ...(kid ? { kid } : {}) }));
  const payload = b64url(JSON.stringify(claims));
  const sig = sign('sha256', Buffer.from(`${header}.${payload}`), {
    key: createPrivateKey(privatePem),
    dsaEncoding: 'ieee-p1363',
  });
  return `${header}.${payload}.${b64url(sig)}`;
}

export async function startPageHost({ jwt } = {}) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/token' && jwt) {
      const now = Math.floor(Date.now() / 1000);
      const token = signEs256(
        { userID: url.searchParams.get('user'), appID: jwt.appID, keyID: jwt.keyID, iat: now, nbf: now - 300, exp: now + 300, jti: randomBytes(8).toString('hex') },
        jwt.privatePem,
      );
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ token }));
    }
    const vendored = {
      '/callstats-js.min.js': join(root, 'node_modules', 'callstats-js', 'callstats.min.js'),
      '/require.js': join(root, 'node_modules', 'requirejs', 'require.js'),
    };
    const file = vendored[url.pathname] || join(root, 'pages', url.pathname.replace(/^\/+/, '') || 'index.html');
    if (!file.startsWith(root)) {
      res.writeHead(403);
      return res.end();
    }
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}
