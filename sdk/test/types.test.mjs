// The published declarations give a TypeScript app precise types (test/types/consumer.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

test('a consumer type-checks against dist/callstats.d.ts, and misuse is rejected', () => {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  let out = '';
  try {
    out = execFileSync(process.execPath, [tsc, '-p', join(root, 'test', 'types', 'tsconfig.json')], { encoding: 'utf8' });
  } catch (e) {
    out = String(e.stdout || '') + String(e.stderr || '');
    assert.fail(`tsc failed:\n${out}`);
  }
  assert.equal(out.trim(), '');
});
