// The settings API takes a JSON merge patch (RFC 7396): nested objects are merged, a null
// removes a key. To make an edited object replace the stored one exactly, the patch must also
// null every key the user deleted. Pure functions (unit-tested).

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The merge patch that turns `from` into `to`, or `undefined` when they are equal. Keys absent
 * from `to` become null; nested objects are diffed; anything else is replaced whole.
 */
export function mergePatch(from: unknown, to: unknown): Json | undefined {
  if (equal(from, to)) return undefined;
  if (!isObject(from) || !isObject(to)) return to === undefined ? null : (to as Json);
  const patch: Record<string, Json> = {};
  for (const k of Object.keys(from)) {
    if (!(k in to)) patch[k] = null;
  }
  for (const [k, v] of Object.entries(to)) {
    const p = mergePatch(from[k], v);
    if (p !== undefined) patch[k] = p;
  }
  return Object.keys(patch).length ? patch : undefined;
}

/** Applies a merge patch (the server's semantics), for checking round trips. */
export function applyMergePatch(target: unknown, patch: unknown): Json {
  if (!isObject(patch)) return patch as Json;
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

/**
 * Parses a textarea meant to hold a JSON object. Empty means "none" (null). Returns the value or
 * a message saying what is wrong.
 */
export function parseJsonObject(text: string): { ok: true; value: Record<string, Json> | null } | { ok: false; error: string } {
  const t = text.trim();
  if (!t) return { ok: true, value: null };
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch (e) {
    return { ok: false, error: `not valid JSON: ${(e as Error).message}` };
  }
  if (!isObject(v)) return { ok: false, error: `must be a JSON object ({…}), not ${Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v}` };
  return { ok: true, value: v };
}
