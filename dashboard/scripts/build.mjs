// Builds the dashboard: src/main.ts into one IIFE (uPlot bundled in), src/styles.css (with
// uPlot's stylesheet) into one CSS file, and static/index.html; then copies the three files
// into the server's asset directory, which embeds them at build time.
//
//   node scripts/build.mjs            build and copy into crates/callstats-server/assets/dashboard/
//   node scripts/build.mjs --no-copy  build into build/ only, plus the node build of the pure
//                                     modules the unit tests import (used by npm test)

import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build', 'dist');
const assets = resolve(root, '..', 'crates', 'callstats-server', 'assets', 'dashboard');
const copy = !process.argv.includes('--no-copy');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

mkdirSync(out, { recursive: true });
const common = { absWorkingDir: root, bundle: true, logLevel: 'warning', legalComments: 'none' };

await Promise.all([
  build({
    ...common,
    entryPoints: ['src/main.ts'],
    outfile: join(out, 'dashboard.js'),
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    banner: { js: `/* callstats dashboard ${version}; uPlot (MIT) by Leon Sorokin bundled */` },
  }),
  build({
    ...common,
    entryPoints: ['src/styles.css'],
    outfile: join(out, 'dashboard.css'),
    minify: false,
    loader: { '.css': 'css' },
  }),
  copy
    ? null
    : build({
        ...common,
        entryPoints: ['test/internals.ts'],
        outfile: join(root, 'build', 'test', 'internals.mjs'),
        format: 'esm',
        platform: 'node',
        target: 'node20',
      }),
]);
writeFileSync(join(out, 'index.html'), readFileSync(join(root, 'static', 'index.html')));

if (copy) {
  mkdirSync(assets, { recursive: true });
  for (const f of ['index.html', 'dashboard.js', 'dashboard.css']) copyFileSync(join(out, f), join(assets, f));
}
