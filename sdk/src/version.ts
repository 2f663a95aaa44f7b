declare const __SDK_VERSION__: string | undefined;

/**
 * What `callstats.version` answers: the version of the original callstats-js this SDK stands in
 * for, so that apps gating on it keep working. Our own version is `sdkVersion`.
 */
export const COMPATIBLE_VERSION = '3.73.16';

/** The SDK's version, from package.json at build time. */
export const VERSION: string = typeof __SDK_VERSION__ === 'string' ? __SDK_VERSION__ : '0.0.0-dev';
