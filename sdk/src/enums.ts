/**
 * The enumerations of the callstats.js API. Values are exactly those of callstats-js 3.73.16
 * (fixtures/wire/enumerations.json), because applications compare against them and send them
 * back to us; `test/enums.test.mjs` keeps the two in step.
 */

const same = <K extends string>(...keys: K[]): { readonly [P in K]: P } => {
  const o = {} as { [P in K]: P };
  for (const k of keys) o[k] = k;
  return Object.freeze(o);
};

export const fabricUsage = same('audio', 'video', 'data', 'screen', 'multiplex', 'unbundled');

export const fabricEvent = same(
  'fabricSetupFailed',
  'fabricHold',
  'fabricResume',
  'audioMute',
  'audioUnmute',
  'videoPause',
  'videoResume',
  'fabricUsageEvent',
  'fabricTerminated',
  'screenShareStart',
  'screenShareStop',
  'dominantSpeaker',
  'activeDeviceList',
  'applicationErrorLog',
  'callDetails',
  'callUnAnswered',
);

export const webRTCFunctions = same(
  'createOffer',
  'createAnswer',
  'setLocalDescription',
  'setRemoteDescription',
  'addIceCandidate',
  'getUserMedia',
  'iceConnectionFailure',
  'signalingError',
  'applicationError',
  'applicationLog',
);

export const csError = Object.freeze({
  httpError: 'httpError',
  authError: 'authError',
  wsChannelFailure: 'wsChannelFailure',
  success: 'success',
  csProtoError: 'csProtoError',
  appConnectivityError: 'appConnectivityError',
  tokenGenerationError: 'tokenGenerationError',
  ok: 'OK',
  authOngoing: 'authOngoing',
  invalidWebRTCFunctionName: 'Invalid WebRTC function name',
  invalidEndPointType: 'Invalid EndPoint Type',
  invalidTransmissionDirection: 'Invalid fabric transmission direction',
} as const);

export const qualityRating = Object.freeze({ excellent: 5, good: 4, fair: 3, poor: 2, bad: 1 } as const);

export const callStatsAPIReturnStatus = same('success', 'failure');

export const userIDType = same('local', 'remote');

export const transmissionDirection = same('sendonly', 'receiveonly', 'sendrecv', 'inactive');

export const endpointType = same('peer', 'server');

export const callType = same('unknown', 'inbound', 'outbound', 'monitoring');

export const roles = same('agent', 'participant');

/** Why a fabric failed to set up, per `reportError` function (the original's classifier). */
export const failureReason: { readonly [F in keyof typeof webRTCFunctions]: string } = Object.freeze({
  createOffer: 'NegotiationFailure',
  createAnswer: 'NegotiationFailure',
  setRemoteDescription: 'NegotiationFailure',
  setLocalDescription: 'SDPGenerationError',
  addIceCandidate: 'SDPGenerationError',
  getUserMedia: 'MediaConfigError',
  iceConnectionFailure: 'IceConnectionFailure',
  signalingError: 'SignalingError',
  applicationLog: 'ApplicationLog',
  // The original reports applicationError as ApplicationLog through an operator-precedence slip;
  // its own reason table has ApplicationError, which is what the function means.
  applicationError: 'ApplicationError',
});

/** Names `on()` accepts: the original's list plus `error`, which its documentation names. */
export const callbackNames = same(
  'stats',
  'defaultConfig',
  'recommendedConfig',
  'preCallTestResults',
  'preCallTest',
  'connectionRecommendation',
  'mediaDisruption',
  'pctConnectionQualityChange',
  'error',
);

/** Event types the access token's `ingestedEvents` claim can switch off (PROTOCOL.md §9.4). */
export const gatedEvents: Readonly<Record<string, string>> = Object.freeze({
  circuitBreaker: 'circuitBreaker',
  oneWayMediaStart: 'oneWayMediaStart',
  oneWayMediaStop: 'oneWayMediaStop',
  applicationErrorLog: 'applicationErrorLog',
  sdpSubmissionEvent: 'sdpSubmissionEvent',
  userFeedbackEvent: 'userFeedback',
  activeDeviceList: 'activeDeviceList',
  connectedDeviceList: 'connectedDeviceList',
  dominantSpeaker: 'dominantSpeaker',
  mediaPlaybackStart: 'mediaPlaybackStart',
  mediaPlaybackSuspended: 'mediaPlaybackSuspended',
});

export const has = <T extends object>(o: T, k: unknown): k is keyof T =>
  typeof k === 'string' && Object.prototype.hasOwnProperty.call(o, k);
