// Shared by the node tests: paths, the internals build, and fixture loading.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const sdkRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = resolve(sdkRoot, '..');
export const internals = await import(join(sdkRoot, 'build', 'test', 'internals.mjs'));

export const readJson = (...parts) => JSON.parse(readFileSync(join(...parts), 'utf8'));

/** A recorded getStats() sequence: an array of samples, each an array of plain reports. */
export const loadRecording = (name) => readJson(sdkRoot, 'test', 'fixtures', `chromium-getstats-${name}.json`);
