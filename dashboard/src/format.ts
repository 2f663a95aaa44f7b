// Numbers, times and quality grades as people read them. Pure functions (unit-tested).

const pad = (n: number, w = 2) => String(Math.floor(n)).padStart(w, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Nov 24, 08:35" (local time); with seconds when asked. */
export function dateTime(ms: number | null | undefined, seconds = false): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  const t = `${pad(d.getHours())}:${pad(d.getMinutes())}${seconds ? `:${pad(d.getSeconds())}` : ''}`;
  return `${MONTHS[d.getMonth()]} ${d.getDate()}, ${t}`;
}

/** ISO-like full local timestamp for tooltips: "2026-11-24 08:35:29.123". */
export function fullTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A length of time: "850 ms", "12.3 s", "4 m 05 s", "2 h 10 m", "3 d 4 h". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const neg = ms < 0;
  ms = Math.abs(ms);
  let out: string;
  if (ms < 1000) out = `${Math.round(ms)} ms`;
  else if (ms < 60_000) out = `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  else if (ms < 3_600_000) out = `${Math.floor(ms / 60_000)} m ${pad((ms % 60_000) / 1000)} s`;
  else if (ms < 86_400_000) out = `${Math.floor(ms / 3_600_000)} h ${pad((ms % 3_600_000) / 60_000)} m`;
  else out = `${Math.floor(ms / 86_400_000)} d ${Math.floor((ms % 86_400_000) / 3_600_000)} h`;
  return neg ? `-${out}` : out;
}

/** Offset from the start of a call: "0:07", "12:30", "1:02:03". */
export function clock(ms: number): string {
  const neg = ms < 0;
  const t = Math.abs(Math.round(ms / 1000));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  const s = h ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
  return neg ? `-${s}` : s;
}

/** "5 s ago", "3 min ago", "2 h ago", "4 days ago"; future times "in 5 s". */
export function ago(ms: number | null | undefined, now = Date.now()): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return 'never';
  const d = now - ms;
  const a = Math.abs(d);
  let s: string;
  if (a < 5_000) return 'just now';
  if (a < 60_000) s = `${Math.round(a / 1000)} s`;
  else if (a < 3_600_000) s = `${Math.round(a / 60_000)} min`;
  else if (a < 86_400_000) s = `${Math.round(a / 3_600_000)} h`;
  else {
    const days = Math.round(a / 86_400_000);
    s = `${days} day${days === 1 ? '' : 's'}`;
  }
  return d >= 0 ? `${s} ago` : `in ${s}`;
}

/** A number with at most `digits` decimals, or "—". */
export function num(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** Fixed decimals: num2(4.8531) = "4.85". */
export function fixed(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return v.toFixed(digits);
}

export function pct(part: number, total: number, digits = 1): string {
  if (!total) return '—';
  return `${((100 * part) / total).toFixed(digits)} %`;
}

export function bitrate(kbps: number | null | undefined): string {
  if (kbps === null || kbps === undefined || !Number.isFinite(kbps)) return '—';
  return kbps >= 1000 ? `${(kbps / 1000).toFixed(2)} Mbps` : `${kbps.toFixed(0)} kbps`;
}

export type Grade = 'good' | 'fair' | 'poor' | 'bad' | 'none';

/** The 0–5 call score as a grade: ≥4 good, ≥3 fair, ≥2 poor, below bad. */
export function scoreGrade(score: number | null | undefined): Grade {
  if (score === null || score === undefined || !Number.isFinite(score)) return 'none';
  if (score >= 4) return 'good';
  if (score >= 3) return 'fair';
  if (score >= 2) return 'poor';
  return 'bad';
}

/** MOS (1–4.5) as a grade: ≥4 good, ≥3.5 fair, ≥3 poor, below bad. */
export function mosGrade(mos: number | null | undefined): Grade {
  if (mos === null || mos === undefined || !Number.isFinite(mos)) return 'none';
  if (mos >= 4) return 'good';
  if (mos >= 3.5) return 'fair';
  if (mos >= 3) return 'poor';
  return 'bad';
}

/**
 * The heading and sentence of a summary that names no reason. A conference in which nothing
 * was measured (no connection, or no stream) has nothing wrong found only because nothing was
 * judged, and says so.
 */
export function noReasonText(setupStatus: string | null | undefined, score: number | null | undefined): [string, string] {
  if (setupStatus === 'noFabrics') return ['Nothing to judge', 'No connection was reported in this conference.'];
  if (score === null || score === undefined) return ['Nothing to judge', 'No stream was measured in this conference.'];
  return ['Nothing wrong found', 'Every connection set up and no stream had a quality problem.'];
}

export const GRADE_WORD: Record<Grade, string> = { good: 'Good', fair: 'Fair', poor: 'Poor', bad: 'Bad', none: 'No score' };

/** The words for setup status values. */
export function setupWord(status: string | null | undefined): string {
  switch (status) {
    case 'ok':
      return 'All connected';
    case 'partiallyFailed':
      return 'Partly failed';
    case 'failed':
      return 'Failed';
    case 'noFabrics':
      return 'No connections';
    case null:
    case undefined:
      return '—';
    default:
      return status;
  }
}

export function setupGrade(status: string | null | undefined): Grade {
  switch (status) {
    case 'ok':
      return 'good';
    case 'partiallyFailed':
      return 'poor';
    case 'failed':
      return 'bad';
    default:
      return 'none';
  }
}

/** "camelCaseWords" → "Camel case words" (for reasons and event types). */
export function words(id: string): string {
  const s = id
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The user ID part of a callstats localID/remoteID, which clients may URL-encode. */
export function decodeID(id: string | null | undefined): string {
  if (!id) return '';
  try {
    return decodeURIComponent(id);
  } catch {
    return id;
  }
}
