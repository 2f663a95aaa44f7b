// `npm pack` of sdk/ is an installable package: the tarball (of the dist/ that `npm test` has
// just built) installed into an empty project is required (CommonJS, the UMD file), imported
// (ES module) and type-checked against its declarations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const sdkRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

test('npm pack gives a package that installs, requires, imports and type-checks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callstats-pack-'));
  try {
    // --ignore-scripts: dist/ is fresh from `npm test`; `npm pack` alone builds it (prepack).
    const [{ filename, files }] = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], sdkRoot));
    const paths = files.map((f) => f.path);
    for (const f of ['package.json', 'README.md', 'dist/callstats.min.js', 'dist/callstats.js', 'dist/callstats.mjs', 'dist/callstats.d.ts', 'dist/types/client.d.ts']) {
      assert.ok(paths.includes(f), `${f} in ${paths}`);
    }
    const app = join(dir, 'app');
    run('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    // No dependencies to fetch: installs offline.
    run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(dir, filename)], app);

    const cjs = run(process.execPath, ['-e', "const cs = require('callstats-sdk'); const c = new cs(); console.log(typeof cs, typeof c.addNewFabric, c.version)"], app);
    assert.equal(cjs.trim(), 'function function 3.73.16');
    const esm = run(process.execPath, ['--input-type=module', '-e', "import callstats from 'callstats-sdk'; const c = new callstats(); console.log(typeof c.initialize, typeof c.sdkVersion)"], app);
    assert.equal(esm.trim(), 'function string');

    writeFileSync(join(app, 'consumer.ts'),
      "import callstats, { type StatsPayload } from 'callstats-sdk';\n" +
      'const cs = new callstats();\n' +
      "const r: { status: string } = cs.initialize(42, 'secret', { userName: 'Alice', aliasName: 'alice' }, undefined, (s: StatsPayload) => s.mediaStreamTracks);\n" +
      'export const v: string = cs.version + cs.sdkVersion + r.status;\n');
    run(process.execPath, [join(sdkRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', 'false', 'consumer.ts'], app);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
