/**
 * getStats() results as plain data. Everything in `src/stats/` works on these and nothing else,
 * so the math runs in node against recorded browser output (test/fixtures/).
 */

export interface Report {
  id: string;
  type: string;
  timestamp: number;
  [field: string]: unknown;
}

/** One getStats() result, by report id. */
export type Snapshot = Map<string, Report>;

/** Accepts an RTCStatsReport (a maplike), an array of reports, or an object keyed by id. */
export function toSnapshot(reports: unknown): Snapshot {
  const snap: Snapshot = new Map();
  const add = (r: unknown) => {
    if (r && typeof r === 'object' && typeof (r as Report).id === 'string' && typeof (r as Report).type === 'string') {
      snap.set((r as Report).id, { ...(r as Report) });
    }
  };
  if (!reports || typeof reports !== 'object') return snap;
  if (Array.isArray(reports)) reports.forEach(add);
  else if (typeof (reports as { forEach?: unknown }).forEach === 'function') (reports as Map<string, unknown>).forEach((r) => add(r));
  else Object.keys(reports).forEach((k) => add((reports as Record<string, unknown>)[k]));
  return snap;
}

/** A finite number field, or undefined. */
export function num(r: Report | undefined, field: string): number | undefined {
  const v = r ? r[field] : undefined;
  return typeof v === 'number' && isFinite(v) ? v : undefined;
}

export function str(r: Report | undefined, field: string): string | undefined {
  const v = r ? r[field] : undefined;
  return typeof v === 'string' ? v : undefined;
}

export function ofType(snap: Snapshot, type: string): Report[] {
  const out: Report[] = [];
  snap.forEach((r) => {
    if (r.type === type) out.push(r);
  });
  return out;
}

/**
 * The candidate pair the transport uses: the transport's `selectedCandidatePairId` (Chromium,
 * spec), else a pair flagged `selected` (Firefox), else a nominated succeeded pair.
 */
export function selectedPair(snap: Snapshot): Report | undefined {
  for (const t of ofType(snap, 'transport')) {
    const id = str(t, 'selectedCandidatePairId');
    const p = id ? snap.get(id) : undefined;
    if (p) return p;
  }
  const pairs = ofType(snap, 'candidate-pair');
  return pairs.find((p) => p['selected'] === true) || pairs.find((p) => p['nominated'] === true && p['state'] === 'succeeded');
}
