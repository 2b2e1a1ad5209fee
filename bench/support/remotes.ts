// Authenticated connections for a benchmark, opened (root lookup, TLS, PKAM) before the clock
// starts: an initial sync is measured from the first request, as a daemon holds its connections.
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { nullLogger } from "../../daemon/adapters/nullLogger.js";
import { RootResolver } from "../../daemon/remote/RootResolver.js";
import { TlsRemote } from "../../daemon/remote/TlsRemote.js";
import type { Target } from "./benchServer.js";

export const clock = new SystemClock();

export async function openRemotes(target: Target, n: number): Promise<TlsRemote[]> {
  const resolver = new RootResolver({ root: target.root, ca: target.ca, clock });
  const remotes = Array.from(
    { length: n },
    () => new TlsRemote({ atSign: target.atSign, keys: target.keys, ca: target.ca, clock, logger: nullLogger, resolver }),
  );
  try {
    await Promise.all(remotes.map((r) => r.request("noop:0")));
  } catch (err) {
    await closeRemotes(remotes);
    throw err;
  }
  return remotes;
}

export async function closeRemotes(remotes: readonly TlsRemote[]): Promise<void> {
  await Promise.all(remotes.map((r) => r.close()));
}

/** Median of `n` `noop:0` round trips, in ms: the link as the client sees it. */
export async function roundTripMs(remote: TlsRemote, n: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await remote.request("noop:0");
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? NaN;
}

export interface PullFigures {
  keys: number;
  ms: number;
  /** sync:from requests sent (SDK-style pull only). */
  pages?: number;
  /** CPU time this process spent (user + system) during the pull: the figure load cannot skew. */
  cpuMs: number;
}

/** Wall and CPU time of `fn` in this process. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const value = await fn();
  const ms = performance.now() - t;
  const used = process.cpuUsage(cpu);
  return { value, ms, cpuMs: (used.user + used.system) / 1000 };
}

/** Keys per second of this process's CPU time: the rate an uncontended core would allow. */
export function keysPerCpuSecond(f: PullFigures): number {
  return Math.round((f.keys / f.cpuMs) * 1000);
}

export function keysPerSecond(f: PullFigures): number {
  return Math.round((f.keys / f.ms) * 1000);
}
