/**
 * Argument checks shared by the public methods. Every check answers with a message instead of
 * throwing: the API promises `{status:'failure', message}` for bad input.
 */

export type UserID = string | { userName?: unknown; aliasName?: unknown; loginID?: unknown };

export const isFn = (f: unknown): f is (...args: unknown[]) => unknown => typeof f === 'function';

export const isObject = (o: unknown): o is Record<string, unknown> => !!o && typeof o === 'object' && !Array.isArray(o);

export const nonEmpty = (s: unknown): s is string => typeof s === 'string' && s.trim().length > 0;

/**
 * A conference ID as the original takes it: a non-empty string, or a number (apps pass room
 * numbers), which goes on the wire as its decimal string.
 */
export function conferenceIdString(c: unknown): string | null {
  if (typeof c === 'number' && isFinite(c)) return String(c);
  return nonEmpty(c) ? c : null;
}

/** The string a user ID stands for on the wire: itself, or the object's `aliasName`. */
export function userIdString(u: unknown): string | null {
  if (typeof u === 'number' && isFinite(u)) return String(u);
  if (nonEmpty(u)) return u;
  if (isObject(u) && nonEmpty(u['aliasName'])) return u['aliasName'];
  return null;
}

/** Does this look like an RTCPeerConnection? (duck-typed so wrappers and shims pass) */
export function isPeerConnection(pc: unknown): pc is RTCPeerConnection {
  return !!pc && typeof pc === 'object' && typeof (pc as RTCPeerConnection).getStats === 'function';
}

export interface Success {
  status: 'success';
  message?: string;
}
export interface Failure {
  status: 'failure';
  message: string;
  /** The same text under the name the original documentation uses. */
  msg: string;
}
export type Result = Success | Failure;

export const ok = (message?: string): Success => (message ? { status: 'success', message } : { status: 'success' });
export const fail = (fn: string, message: string): Failure => {
  const text = `${fn}: ${message}`;
  return { status: 'failure', message: text, msg: text };
};
