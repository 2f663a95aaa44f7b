// What each callstats event type means on the timeline: its category (colour, lane, whether it
// is shown by default) and a one-line description of its body. Pure functions (unit-tested).

export type Category = 'presence' | 'setup' | 'failure' | 'disruption' | 'media' | 'hold' | 'speaker' | 'error' | 'feedback' | 'other';

export interface CategoryInfo {
  label: string;
  /** Shown on the timeline without asking. */
  visible: boolean;
}

export const CATEGORIES: Record<Category, CategoryInfo> = {
  presence: { label: 'Joins & leaves', visible: true },
  setup: { label: 'Connection setup', visible: true },
  failure: { label: 'Failures', visible: true },
  disruption: { label: 'Disruptions', visible: true },
  hold: { label: 'Holds', visible: true },
  media: { label: 'Mutes & screen share', visible: true },
  speaker: { label: 'Dominant speaker', visible: true },
  error: { label: 'Errors & logs', visible: true },
  feedback: { label: 'Feedback', visible: true },
  other: { label: 'Other events', visible: false },
};

const TYPES: Record<string, Category> = {
  userJoined: 'presence',
  userLeft: 'presence',
  fabricSetup: 'setup',
  fabricTerminated: 'setup',
  fabricStateChange: 'setup',
  fabricTransportSwitch: 'setup',
  iceRestarted: 'setup',
  fabricSetupFailed: 'failure',
  fabricDropped: 'failure',
  iceFailed: 'failure',
  iceAborted: 'failure',
  iceTerminated: 'failure',
  callUnAnswered: 'failure',
  iceDisruptionStart: 'disruption',
  iceDisruptionEnd: 'disruption',
  iceConnectionDisruptionStart: 'disruption',
  iceConnectionDisruptionEnd: 'disruption',
  oneWayMediaStart: 'disruption',
  oneWayMediaStop: 'disruption',
  mediaPlaybackStalled: 'disruption',
  circuitBreaker: 'disruption',
  fabricHold: 'hold',
  fabricResume: 'hold',
  audioMute: 'media',
  audioUnmute: 'media',
  videoPause: 'media',
  videoResume: 'media',
  screenShareStart: 'media',
  screenShareStop: 'media',
  dominantSpeaker: 'speaker',
  applicationErrorLog: 'error',
  userFeedbackEvent: 'feedback',
};

export function categoryOf(eventType: string): Category {
  return TYPES[eventType] ?? 'other';
}

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : null);

/**
 * A log or error message as sent: callstats-js wraps objects as a JSON string whose `message`
 * is the text, and puts the stack beside it.
 */
export function logMessage(body: Record<string, unknown>): { message: string; stack: string | null; level: string | null } {
  let message = str(body.message) ?? '';
  let stack = str(body.stack);
  const trimmed = message.trim();
  if (trimmed.startsWith('{')) {
    try {
      const inner = JSON.parse(trimmed) as Record<string, unknown>;
      const m = str(inner.message);
      if (m) message = [str(inner.name), m].filter(Boolean).join(': ');
      stack = stack ?? str(inner.stack);
    } catch {
      /* not JSON: shown as sent */
    }
  }
  return { message, stack, level: str(body.level) };
}

/** The SDPs an event carries (sdpSubmissionEvent, or an error body that includes them). */
export function sdpOf(body: Record<string, unknown>): { local: string | null; remote: string | null } {
  return {
    local: str(body.localSDP) ?? str(body.localSdp) ?? str(body.sdp),
    remote: str(body.remoteSDP) ?? str(body.remoteSdp),
  };
}

const ms = (v: unknown): string | null => (typeof v === 'number' && Number.isFinite(v) ? `${Math.round(v)} ms` : null);

/** A short line saying what the event says. */
export function describe(eventType: string, body: Record<string, unknown>): string {
  switch (eventType) {
    case 'userJoined':
      return 'joined the conference';
    case 'userLeft':
      return 'left the conference';
    case 'fabricSetup': {
      const d = ms(body.delay);
      return d ? `connection set up in ${d}` : 'connection set up';
    }
    case 'fabricSetupFailed': {
      const r = str(body.reason) ?? 'setup failed';
      const f = str(body.function);
      return `${r}${f ? ` in ${f}()` : ''}${logMessage(body).message ? `: ${logMessage(body).message}` : ''}`;
    }
    case 'fabricTerminated':
      return 'connection closed';
    case 'fabricDropped':
      return `connection dropped${str(body.currIceConnectionState) ? ` (ICE ${str(body.currIceConnectionState)})` : ''}`;
    case 'fabricStateChange': {
      const what = str(body.changedState);
      const from = str(body.prevState);
      const to = str(body.newState);
      return what ? `${what}: ${from ?? '?'} → ${to ?? '?'}` : 'state changed';
    }
    case 'fabricTransportSwitch':
      return 'transport switched';
    case 'fabricHold':
      return 'put on hold';
    case 'fabricResume':
      return 'resumed from hold';
    case 'audioMute':
      return 'microphone muted';
    case 'audioUnmute':
      return 'microphone unmuted';
    case 'videoPause':
      return 'camera paused';
    case 'videoResume':
      return 'camera resumed';
    case 'screenShareStart':
      return 'started screen sharing';
    case 'screenShareStop':
      return 'stopped screen sharing';
    case 'dominantSpeaker':
      return 'became the dominant speaker';
    case 'applicationErrorLog': {
      const { message, level } = logMessage(body);
      return `${level ? `[${level}] ` : ''}${message || 'application log'}`;
    }
    case 'userFeedbackEvent': {
      const f = (body.feedback ?? {}) as Record<string, unknown>;
      const parts: string[] = [];
      if (f.overallRating !== undefined) parts.push(`overall ${f.overallRating}/5`);
      if (f.audioQualityRating !== undefined) parts.push(`audio ${f.audioQualityRating}/5`);
      if (f.videoQualityRating !== undefined) parts.push(`video ${f.videoQualityRating}/5`);
      if (str(f.comments)) parts.push(`“${str(f.comments)}”`);
      return parts.length ? `rated the call: ${parts.join(', ')}` : 'gave feedback';
    }
    case 'sdpSubmissionEvent':
      return 'session descriptions (SDP)';
    case 'mediaPlaybackStart':
      return `${str(body.kind) ?? 'media'} playback started`;
    case 'mediaPlaybackSuspended':
      return 'media playback suspended';
    case 'mediaPlaybackStalled':
      return 'media playback stalled';
    case 'iceDisruptionStart':
    case 'iceConnectionDisruptionStart':
      return 'connectivity lost';
    case 'iceDisruptionEnd':
    case 'iceConnectionDisruptionEnd':
      return 'connectivity back';
    case 'iceFailed':
      return 'ICE failed';
    case 'iceAborted':
      return 'ICE aborted';
    case 'iceRestarted':
      return 'ICE restarted';
    case 'oneWayMediaStart':
      return `one-way ${str(body.mediaType) ?? 'media'} started`;
    case 'oneWayMediaStop':
      return `one-way ${str(body.mediaType) ?? 'media'} stopped`;
    case 'connectedDeviceList':
    case 'activeDeviceList': {
      const list = Array.isArray(body.mediaDeviceList) ? body.mediaDeviceList.length : null;
      return `${eventType === 'activeDeviceList' ? 'active' : 'connected'} devices${list !== null ? `: ${list}` : ''}`;
    }
    case 'customEvent':
      return 'custom event';
    case 'callDetails':
      return 'call details';
    default:
      return '';
  }
}

/** Pairs of start/end event types drawn as spans on a lane. */
export const SPANS: { start: string; end: string; cls: string; label: string }[] = [
  { start: 'fabricHold', end: 'fabricResume', cls: 'hold', label: 'on hold' },
  { start: 'screenShareStart', end: 'screenShareStop', cls: 'share', label: 'screen sharing' },
  { start: 'audioMute', end: 'audioUnmute', cls: 'mute', label: 'muted' },
  { start: 'videoPause', end: 'videoResume', cls: 'mute', label: 'camera off' },
];

export interface Span {
  startMs: number;
  endMs: number;
  cls: string;
  label: string;
  open: boolean;
}

/**
 * Spans (hold, mute, screen share) of one lane's events, in time order; a span still open at
 * the end runs to `endMs`.
 */
export function spans(events: { eventType: string; timestamp: number }[], endMs: number): Span[] {
  const out: Span[] = [];
  const sorted = [...events].sort((a, b) => a.timestamp - b.timestamp);
  for (const def of SPANS) {
    let open: number | null = null;
    for (const e of sorted) {
      if (e.eventType === def.start && open === null) open = e.timestamp;
      else if (e.eventType === def.end && open !== null) {
        out.push({ startMs: open, endMs: e.timestamp, cls: def.cls, label: def.label, open: false });
        open = null;
      }
    }
    if (open !== null) out.push({ startMs: open, endMs: Math.max(open, endMs), cls: def.cls, label: def.label, open: true });
  }
  return out.sort((a, b) => a.startMs - b.startMs);
}
