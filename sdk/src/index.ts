/**
 * ES module entry. Served from the callstats server (`/static/callstats.mjs`) the module knows
 * its server from its own URL; bundled into an application it does not, and the application
 * calls setProxyConfig().
 */
import { setDefaultBase } from './client';
import { baseFromScriptUrl } from './base';
import callstats from './factory';

setDefaultBase(baseFromScriptUrl(import.meta.url));

export default callstats;
export { callstats };
export { CallstatsClient } from './client';
export type { ConfigParams, ProxyConfig } from './client';
export type { CallstatsFactory } from './factory';
export type { StatsTrack, FabricState } from './fabric';
export type { Result, Success, Failure } from './validate';
