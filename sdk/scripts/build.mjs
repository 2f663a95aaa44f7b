// Builds the SDK: the UMD bundle (script tag, AMD, CommonJS) minified and readable with a source
// map, the ES module, the type declarations, and a node build of the internals for the tests.
// Then copies the UMD files into the server's asset directory, which serves them at /static/.
//
//   node scripts/build.mjs            everything
//   node scripts/build.mjs --no-copy  everything but the copy into the server (used by npm test)

import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const assets = resolve(root, '..', 'crates', 'callstats-server', 'assets');
const copy = !process.argv.includes('--no-copy');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const common = {
  absWorkingDir: root,
  bundle: true,
  // Every browser with today's WebRTC (unified plan, promise getStats) runs ES2020.
  target: 'es2020',
  define: { __SDK_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
  legalComments: 'none',
};

// esbuild has no UMD format: the IIFE's result is handed to a small loader. Like the
// original's, it defines an AMD module when a loader is present and otherwise always the
// `callstats` global (the factory itself, as `new callstats()` needs), and also exports it to a
// CommonJS `module` when there is one: pages with a bundler's shim or Electron's node
// integration have a `module` and still use the global.
const umdOpen =
  '(function (root, factory) {\n' +
  '  if (typeof define === "function" && define.amd) define([], factory);\n' +
  '  else {\n' +
  '    var f = factory();\n' +
  '    if (root) root.callstats = f;\n' +
  '    if (typeof module === "object" && module) module.exports = f;\n' +
  '  }\n' +
  '})(typeof self !== "undefined" ? self : this, function () {';
const umdClose = 'return __callstats.default;\n});';

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const umd = {
  ...common,
  entryPoints: ['src/umd.ts'],
  format: 'iife',
  globalName: '__callstats',
  platform: 'browser',
  banner: { js: umdOpen },
  footer: { js: umdClose },
};

await Promise.all([
  build({ ...umd, outfile: join(dist, 'callstats.js'), sourcemap: 'linked' }),
  build({ ...umd, outfile: join(dist, 'callstats.min.js'), minify: true }),
  build({ ...common, entryPoints: ['src/index.ts'], format: 'esm', platform: 'browser', outfile: join(dist, 'callstats.mjs') }),
  // The tests import the internals (pure modules and the client) from this node build.
  build({ ...common, entryPoints: ['test/internals.ts'], format: 'esm', platform: 'node', outfile: join(root, 'build', 'test', 'internals.mjs') }),
]);

// Type declarations: tsc writes one file per module; callstats.d.ts is the package's entry.
rmSync(join(root, 'build', 'types'), { recursive: true, force: true });
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--emitDeclarationOnly'], { cwd: root, stdio: 'inherit' });
cpSync(join(root, 'build', 'types'), join(dist, 'types'), { recursive: true });
writeFileSync(join(dist, 'callstats.d.ts'), "export * from './types/index';\nexport { default } from './types/index';\n");

const min = readFileSync(join(dist, 'callstats.min.js'));
console.log(`dist/callstats.min.js: ${min.length} bytes, ${gzipSync(min, { level: 9 }).length} bytes gzipped`);

if (copy) {
  mkdirSync(assets, { recursive: true });
  for (const f of ['callstats.min.js', 'callstats.js', 'callstats.js.map']) copyFileSync(join(dist, f), join(assets, f));
  console.log(`copied the UMD bundle into ${assets}`);
}
