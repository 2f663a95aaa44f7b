/**
 * Where each eventType goes, below `…/conferences/{confID}/{ucID}/` (PROTOCOL.md §8.3 and the
 * server's catalogue). One table so that the client and its tests agree with the server's.
 */

export const EVENT_ROUTES: Readonly<Record<string, string>> = Object.freeze({
  userAlive: 'events/user/alive',
  userLeft: 'events/user/left',
  userDetails: 'events/userdetails',
  connectedDeviceList: 'events/devices/list',
  activeDeviceList: 'events/devices/list',
  fabricStateChange: 'events/fabric/statechange',
  fabricSetup: 'events/fabric/setup',
  fabricSetupFailed: 'events/fabric/setupfailed',
  applicationErrorLog: 'events/app/logs',
  sdpSubmissionEvent: 'events/sdp',
  ssrcMap: 'events/ssrcmap',
  audioMute: 'events/media/actions',
  audioUnmute: 'events/media/actions',
  videoPause: 'events/media/actions',
  videoResume: 'events/media/actions',
  screenShareStart: 'events/media/actions',
  screenShareStop: 'events/media/actions',
  fabricHold: 'events/fabric/actions',
  fabricResume: 'events/fabric/actions',
  callUnAnswered: 'events/fabric/actions',
  fabricTerminated: 'events/fabric/terminated',
  dominantSpeaker: 'events/dominantspeaker',
  mediaPlaybackStart: 'events/media/pipeline',
  mediaPlaybackSuspended: 'events/media/pipeline',
  oneWayMediaStart: 'events/fabric/disruptions',
  oneWayMediaStop: 'events/fabric/disruptions',
  iceDisruptionStart: 'events/ice/status',
  iceDisruptionEnd: 'events/ice/status',
  iceFailed: 'events/ice/status',
  iceRestarted: 'events/ice/status',
  fabricDropped: 'events/fabric/status',
  fabricTransportSwitch: 'events/fabric/transportchange',
  callDetails: 'events/fabric/details',
  customEvent: 'events/customevent',
  conferenceSummary: 'events/conferencesummary',
  userFeedbackEvent: 'events/feedback',
  stats: 'stats',
  customStats: 'customstats',
});

/** Event types that go to the stats base URL rather than the events base URL. */
export const STATS_TYPES: Readonly<Record<string, true>> = Object.freeze({ stats: true, customStats: true });
