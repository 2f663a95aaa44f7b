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
export type {
  Callstats,
  ConfigParams,
  ProxyConfig,
  FabricUsage,
  FabricEvent,
  WebRTCFunction,
  CsError,
  QualityRating,
  TransmissionDirection,
  EndpointType,
  CallType,
  Role,
  CallbackName,
  UserID,
  FabricAttributes,
  InitCallback,
  StatsPayload,
  StatsCallback,
  PcCallback,
  AppConfiguration,
  CallbackTypes,
  UserFeedback,
  CallDetails,
  FabricEventData,
  ReportedError,
  TokenGenerator,
} from './api';
export type { CallstatsFactory } from './factory';
export type { StatsTrack, FabricState } from './fabric';
export type { Result, Success, Failure } from './validate';
