/**
 * The public API as TypeScript apps see it: precise argument, enumeration and callback types
 * (`_api.md`, `_enums.md`, `_callbacks.md`). The implementation (`client.ts`) takes `unknown`
 * everywhere because JavaScript pages pass anything and get `{status:'failure'}` back; the
 * factory hands out instances typed as `Callstats`, and `factory.ts` checks at compile time that
 * the implementation satisfies this interface.
 */

import type * as E from './enums';
import type { StatsTrack, FabricState } from './fabric';
import type { Result } from './validate';

type Values<T> = T[keyof T];

export type FabricUsage = Values<typeof E.fabricUsage>;
export type FabricEvent = Values<typeof E.fabricEvent>;
export type WebRTCFunction = Values<typeof E.webRTCFunctions>;
export type CsError = Values<typeof E.csError>;
export type QualityRating = Values<typeof E.qualityRating>;
export type TransmissionDirection = Values<typeof E.transmissionDirection>;
export type EndpointType = Values<typeof E.endpointType>;
export type CallType = Values<typeof E.callType>;
export type Role = Values<typeof E.roles>;
export type CallbackName = Values<typeof E.callbackNames>;

/** A user ID: a string, or an object whose `aliasName` is the ID. */
export type UserID = string | { aliasName: string; userName?: string; loginID?: string };

/** `initialize`'s configParams. */
export interface ConfigParams {
  disableBeforeUnloadHandler?: boolean;
  applicationVersion?: string;
  disablePrecalltest?: boolean;
  siteID?: string;
  additionalIDs?: Record<string, string | number>;
  collectLegacyStats?: boolean;
  collectIP?: boolean;
}

export interface ProxyConfig {
  authServiceURL?: string;
  collectorURL?: string;
  restEventURL?: string;
  restStatsURL?: string;
  appSettingsURL?: string;
}

export interface FabricAttributes {
  remoteEndpointType?: EndpointType;
  fabricTransmissionDirection?: TransmissionDirection;
}

/** `csInitCallback(status, message)`: `success`, or the csError naming what failed. */
export type InitCallback = (status: CsError, message: string) => void;

/** What the stats callback receives every 10 s per fabric. */
export interface StatsPayload {
  connectionState: 'online' | 'offline';
  fabricState: FabricState;
  conferenceURL: string;
  /** The remote user ID as the app passed it to addNewFabric (string or object). */
  remoteUserID: unknown;
  mediaStreamTracks: StatsTrack[];
  /** The same tracks by SSRC. */
  streams: Record<string, StatsTrack>;
}
export type StatsCallback = (stats: StatsPayload) => void;

/** `pcCallback(status, message)` of addNewFabric and sendUserFeedback. */
export type PcCallback = (status: 'success' | 'failure', message: string) => void;

/** defaultConfig / recommendedConfig: the app's configuration parts, missing ones as null. */
export interface AppConfiguration {
  peerConnection: Record<string, unknown> | null;
  media: unknown;
}

export interface CallbackTypes {
  stats: StatsCallback;
  defaultConfig: (config: AppConfiguration) => void;
  recommendedConfig: (config: AppConfiguration) => void;
  error: (error: CsError, message: string) => void;
  preCallTestResults: (status: string, results: unknown) => void;
  preCallTest: (status: string, results: unknown) => void;
  connectionRecommendation: (...args: unknown[]) => void;
  mediaDisruption: (...args: unknown[]) => void;
  pctConnectionQualityChange: (...args: unknown[]) => void;
}

export interface UserFeedback {
  userID?: UserID;
  overallRating: QualityRating;
  videoQualityRating?: QualityRating;
  audioQualityRating?: QualityRating;
  comments?: string;
}

export interface CallDetails {
  callType?: CallType;
  role?: Role;
  contactQueue?: string;
  contactQueueID?: string;
  routingProfile?: string;
  routingProfileID?: string;
  contactID?: string;
  acceptedAt?: number;
  connectedAt?: number;
  originalContactID?: string;
  siteID?: string;
  [key: string]: unknown;
}

/** `eventData` of sendFabricEvent: activeDeviceList needs `deviceList`. */
export interface FabricEventData {
  deviceList?: Array<{ deviceId?: string; groupId?: string; kind?: string; label?: string }>;
  ssrc?: string | number;
  [key: string]: unknown;
}

/** An error reportError describes: a DOMException/Error, or any value for the app's logs. */
export type ReportedError = Error | DOMException | string | Record<string, unknown>;

/** A token generator for the third-party flow: calls back with a JWT or an error. */
export type TokenGenerator = (forceNew: boolean, callback: (error: unknown, token?: string) => void) => void;

export interface Callstats {
  readonly fabricUsage: typeof E.fabricUsage;
  readonly fabricEvent: typeof E.fabricEvent;
  readonly webRTCFunctions: typeof E.webRTCFunctions;
  readonly csError: typeof E.csError;
  readonly qualityRating: typeof E.qualityRating;
  readonly callStatsAPIReturnStatus: typeof E.callStatsAPIReturnStatus;
  readonly userIDType: typeof E.userIDType;
  readonly transmissionDirection: typeof E.transmissionDirection;
  readonly endpointType: typeof E.endpointType;
  readonly callType: typeof E.callType;
  readonly roles: typeof E.roles;
  /** The callstats-js version this SDK is a drop-in for ('3.73.16'), for apps that gate on it. */
  readonly version: string;
  /** This SDK's own version. */
  readonly sdkVersion: string;

  initialize(
    appID: string | number,
    appSecretOrTokenGenerator: string | TokenGenerator,
    localUserID: UserID,
    csInitCallback?: InitCallback,
    csStatsCallback?: StatsCallback,
    configParams?: ConfigParams,
  ): Result;
  setProxyConfig(config: ProxyConfig): Result;
  addNewFabric(
    pc: RTCPeerConnection,
    remoteUserID: UserID,
    fabricUsage: FabricUsage,
    conferenceID: string,
    fabricAttributes?: FabricAttributes,
    pcCallback?: PcCallback,
  ): Result;
  reportError(
    pc: RTCPeerConnection | null,
    conferenceID: string,
    webRTCFunction: WebRTCFunction,
    error?: ReportedError,
    localSDP?: RTCSessionDescription | RTCSessionDescriptionInit | string | null,
    remoteSDP?: RTCSessionDescription | RTCSessionDescriptionInit | string | null,
  ): Result;
  sendFabricEvent(pc: RTCPeerConnection, fabricEvent: FabricEvent, conferenceID: string, eventData?: FabricEventData): Result;
  sendCallDetails(pc: RTCPeerConnection, conferenceID: string, callDetails: CallDetails): Result;
  associateMstWithUserID(
    pc: RTCPeerConnection,
    userID: UserID,
    conferenceID: string,
    ssrc: string | number,
    usageLabel?: string,
    associatedVideoTag?: string,
  ): Result;
  sendUserFeedback(conferenceID: string, feedback: UserFeedback, pcCallback?: PcCallback): Result;
  sendCustomEvent(pc: RTCPeerConnection, conferenceID: string, eventList: unknown[] | Record<string, unknown>): Result;
  sendCustomStats(pc: RTCPeerConnection, conferenceID: string, stats: Record<string, unknown> | unknown[]): Result;
  setIdentifiers(identifiers: { conferenceID?: string; remoteUserID?: UserID }, pc?: RTCPeerConnection): Result;
  on<K extends CallbackName>(event: K, callback: CallbackTypes[K]): Result;
  attachWifiStatsHandler(getWifiStats: () => unknown): Result;
  resetWifiStatsHandler(): Result;
  startPrecallTests(iceServers?: RTCIceServer[], interval?: number): Result;
  stopPrecallTests(): Result;
  makePrecallTest(iceServers?: RTCIceServer[], ...rest: unknown[]): Result;
  getSctResults(): Result;
  getTurnCredentials(forceNew?: boolean, callback?: (...args: unknown[]) => void): Result;
}
