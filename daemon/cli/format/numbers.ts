// Numbers and times for people. Pure and locale-independent, so output is the same on every
// machine (and testable); the clock time takes an explicit time zone in tests.

/** `4000` → `4,000`. */
export function formatCount(n: number): string {
  const sign = n < 0 ? "-" : "";
  const digits = String(Math.trunc(Math.abs(n)));
  return sign + digits.replace(/\B(?=(\d{3})+$)/gu, ",");
}

/** `1 conflict`, `2 conflicts`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** How long ago `at` was, coarsely: `just now`, `12s ago`, `3m ago`, `2h ago`, `4d ago`. */
export function formatAgo(at: number, now: number): string {
  const s = Math.floor((now - at) / 1000);
  if (s < 1) return "just now";
  if (s < 60) return `${s}s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ago`;
  return `${Math.floor(h / 24)}d ago`;
}

/** A duration: `450ms`, `12s`, `3m 5s`, `2h 1m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** How a command shows clock times: local time with its UTC offset, or UTC (`--utc`); `timeZone` names another zone (tests). */
export interface TimeOptions {
  utc?: boolean | undefined;
  timeZone?: string | undefined;
}

function zoneOf(o: TimeOptions | string | undefined): { timeZone: string | undefined; utc: boolean } {
  if (typeof o === "string") return { timeZone: o, utc: false };
  return { timeZone: o?.utc === true ? "UTC" : o?.timeZone, utc: o?.utc === true };
}

function parts(ms: number, timeZone: string | undefined): Record<string, string> {
  const fmt = new Intl.DateTimeFormat("en-US", {
    timeZone, hourCycle: "h23", year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
    timeZoneName: "longOffset",
  });
  return Object.fromEntries(fmt.formatToParts(ms).map((p) => [p.type, p.value]));
}

/** `+01:00` for the zone at that instant (`GMT+01:00` from Intl; plain `GMT` is `+00:00`), or `Z` for --utc. */
function offset(p: Record<string, string>, utc: boolean): string {
  if (utc) return "Z";
  const name = p.timeZoneName ?? "GMT";
  return name === "GMT" ? "+00:00" : name.replace(/^GMT/u, "");
}

/**
 * `12:03+01:00` when `at` is on the same day as `now`, else `Nov 21 12:03+01:00` (same year) or
 * `Nov 21 2025 12:03+01:00`; `12:03Z` and so on with --utc.
 */
export function formatClock(at: number, now: number, o?: TimeOptions | string): string {
  const { timeZone, utc } = zoneOf(o);
  const a = parts(at, timeZone);
  const n = parts(now, timeZone);
  const hm = `${a.hour}:${a.minute}${offset(a, utc)}`;
  if (a.year === n.year && a.month === n.month && a.day === n.day) return hm;
  if (a.year === n.year) return `${a.month} ${a.day} ${hm}`;
  return `${a.month} ${a.day} ${a.year} ${hm}`;
}

/** `12:03:04.250+01:00` (or `…Z` with --utc): the time of an event, to the millisecond. */
export function formatEventTime(at: number, o?: TimeOptions): string {
  const { timeZone, utc } = zoneOf(o);
  const p = parts(at, timeZone);
  return `${p.hour}:${p.minute}:${p.second}.${String(((at % 1000) + 1000) % 1000).padStart(3, "0")}${offset(p, utc)}`;
}
