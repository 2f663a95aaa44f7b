// The pure modules the unit tests exercise, bundled for node by scripts/build.mjs --no-copy.
export * from '../src/format';
export * from '../src/merge';
export * from '../src/events';
export * from '../src/routes';
export { withQuery } from '../src/api';
