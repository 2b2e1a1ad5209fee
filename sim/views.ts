// What each device was told of the server's log, and whether a restore (or wipe) could show at
// its first check after it. The engine's reset checks (daemon/core/reset.ts) read only the wire:
// the server's commit id, its acks, and the log around the entries it pulled. When, at the
// device's first replies after a reset, the new log reads exactly as the one it pulled from
// carried on, no engine can see the reset (README "Conflicts and restores", the third known
// limit). This judges that from the server's whole log, stricter than any engine's view of it.
import type { CommitOp } from "../atserver/store/ServerStore.js";
import type { History, Write } from "./history.js";
import { sameState } from "./state.js";

interface Seen {
  id: number;
  op: string;
  updatedAt: string | null;
  value: string | null;
}

/** The server's log and state when a reply was read: each entry, and a key's current updatedAt and value. */
export interface LogNow {
  head: number | null;
  log: ReadonlyArray<{ id: number; key: string; op: CommitOp }>;
  current: (key: string) => { updatedAt: string | null; createdAt: string | null; value: string } | null;
}

interface Check {
  reset: number;
  maxId: number;
  view: Map<string, Seen>;
}

export class DeviceViews {
  /** Each device's last entry of each key, as its replies carried them. */
  private readonly views: Array<Map<string, Seen>>;
  /** A reset whose first check by the device is still to come. */
  private readonly checks: Array<Check | null>;
  /** Per device, the resets that its first check could not show, with what it had been told of the log before each. */
  private readonly unseen: Array<Map<number, ReadonlyMap<string, Seen>>>;
  /** Per device, the values of each key its replies carried (any log). */
  private readonly heardValues: Array<Map<string, Set<string | null>>>;
  private resets = 0;

  constructor(devices: number) {
    this.views = Array.from({ length: devices }, () => new Map());
    this.checks = Array.from({ length: devices }, () => null);
    this.unseen = Array.from({ length: devices }, () => new Map());
    this.heardValues = Array.from({ length: devices }, () => new Map());
  }

  /** The server was restored or wiped (the `index`-th reset of the history). */
  reset(): void {
    const index = this.resets++;
    this.views.forEach((view, d) => {
      // A reset met again before the device checked: it is judged seen (the exemption stays narrow).
      this.checks[d] = view.size === 0 ? null : { reset: index, maxId: Math.max(...[...view.values()].map((s) => s.id)), view: new Map(view) };
    });
  }

  /** Device `d` read `reply` to `command`; `now` is the server's log at that moment. */
  replied(d: number, command: string, reply: string, now: LogNow): void {
    const check = this.checks[d];
    if (check) this.judge(d, check, command, reply, now);
    if (!command.startsWith("sync:from:") || !reply.startsWith("data:")) return;
    const entries = JSON.parse(reply.slice("data:".length)) as Array<{ atKey: string; commitId: number; operation: string; value: string | null; metadata: { updatedAt?: string } | null }>;
    for (const e of entries) {
      const key = e.atKey.toLowerCase();
      this.views[d]!.set(key, { id: e.commitId, op: e.operation, updatedAt: e.metadata?.updatedAt ?? null, value: e.value });
      const heard = this.heardValues[d]!.get(key) ?? new Set();
      heard.add(e.operation === "-" ? null : e.value);
      this.heardValues[d]!.set(key, heard);
    }
  }

  /** Whether device `d`'s replies ever carried `value` of `key` (null: a delete). */
  heard(d: number, key: string, value: string | null): boolean {
    return this.heardValues[d]?.get(key)?.has(value) === true;
  }

  /** Whether device `d` met the `index`-th reset with a first check that could not show it. */
  missed(d: number, index: number): boolean {
    return this.unseen[d]?.has(index) === true;
  }

  /** The last entry of `key` device `d` had been told of before the `index`-th reset, if its first check after it could not show it. */
  missedEntry(d: number, index: number, key: string): { id: number; op: string } | undefined {
    return this.unseen[d]?.get(index)?.get(key);
  }

  get devices(): number {
    return this.views.length;
  }

  /**
   * One reply after a reset: a commit id below one the device was told of, or an ack at or
   * below it, shows the reset; the first `sync:from` ends the check, judged on the whole log.
   */
  private judge(d: number, check: Check, command: string, reply: string, now: LogNow): void {
    const acks = command.startsWith("batch:") || command.startsWith("update") || command.startsWith("delete")
      ? [...reply.matchAll(/"data":"?(\d+)"?/gu)].map((m) => Number(m[1])).concat(/^data:(\d+)$/u.test(reply) ? [Number(reply.slice(5))] : [])
      : [];
    if ((now.head ?? -1) < check.maxId || acks.some((id) => id <= check.maxId)) {
      this.checks[d] = null;
      return;
    }
    if (!command.startsWith("sync:from:")) return;
    this.checks[d] = null;
    if (this.carriedOn(check, now)) this.unseen[d]!.set(check.reset, check.view);
  }

  /**
   * The new log reads as the old one carried on: each key the device was told of is still at its
   * id as it saw it, or written again since (a live rewrite stamped no earlier), and every entry
   * at or below the highest id it was told of is one of those keys at the id it saw.
   */
  private carriedOn(check: Check, now: LogNow): boolean {
    const lastOf = new Map<string, number>();
    for (const e of now.log) lastOf.set(e.key.toLowerCase(), e.id);
    for (const e of now.log) {
      if (e.id > check.maxId) continue;
      if (check.view.get(e.key.toLowerCase())?.id !== e.id) return false;
    }
    for (const [key, seen] of check.view) {
      const at = lastOf.get(key);
      if (at === undefined || at < seen.id) return false;
      const cur = now.current(key);
      if (at === seen.id) {
        if ((seen.op === "-") !== (cur === null)) return false;
        if (cur && (cur.updatedAt !== seen.updatedAt || cur.value !== seen.value)) return false;
        continue;
      }
      if (cur && seen.updatedAt !== null && cur.updatedAt !== null && cur.updatedAt < seen.updatedAt) return false;
      if (cur && seen.op !== "-" && createdAnewWithoutDelete(seen, cur.createdAt, at, now.log)) return false;
    }
    return true;
  }
}

/**
 * A rewrite keeps a key's createdAt: the key created after the version the device saw was absent
 * in between, which on one log is a delete, and a delete's id is left empty once the key is
 * written again. Every id between the version seen and the key's entry now held by another key:
 * no delete fits, so the log is another one, and the device's reply shows it (README
 * "Conflicts and restores"; the engine's probes check this, `reset.ts` `createdAnewWithoutDelete`).
 */
function createdAnewWithoutDelete(seen: Seen, createdAt: string | null, at: number, log: LogNow["log"]): boolean {
  if (seen.updatedAt === null || createdAt === null || createdAt <= seen.updatedAt) return false;
  const held = new Set(log.map((e) => e.id));
  for (let id = seen.id + 1; id < at; id++) if (!held.has(id)) return false;
  return true;
}

/**
 * Whether `latest`, another client's write that devices pulled, was taken away by a reset that
 * every device told of it missed at its first check (`DeviceViews`), and then replaced by
 * `source`, another device's older change (written before `latest` reached the server) that the
 * device pushed after the reset without ever having heard of `latest`, as the key's last state
 * since, every state before it also pushed by a device never told of `latest`. The log then reads as the one those devices pulled, carried on, with `source` a newer
 * write of the key: no engine can tell (README "Conflicts and restores", soak seed 61544).
 */
export function restoreUnseenReplaced(history: History, views: DeviceViews, latest: Write, source: Write | undefined): boolean {
  if (latest.origin.kind !== "other" || !latest.state.present || source?.origin.kind !== "device") return false;
  const by = source.origin.d;
  const value = latest.state.value;
  if (source.tick > latest.tick || views.heard(by, latest.key, value)) return false;
  const arrivals = history.arrivals.filter((a) => a.key === latest.key && a.tick >= latest.tick);
  const resets = history.resetTicks();
  for (let i = resets.length - 1; i >= 0; i--) {
    const r = resets[i]!;
    // The server held `latest`'s state when the reset came, and nothing reset it since that arrival.
    const held = arrivals.findLast((a) => a.tick <= r);
    if (!held || !sameState(held.state, latest.state) || resets.some((t) => t >= held.tick && t < r)) continue;
    // Since the reset, only devices never told of `latest` wrote the key, and the last of them
    // wrote `source`'s state from `source`'s device (seed 6013: another such device's older write
    // landed first, then `source` over it; no device can see either from the log).
    const after = arrivals.filter((a) => a.tick > r);
    const last = after.at(-1);
    if (last === undefined || last.by !== by || !sameState(last.state, source.state)) return false;
    if (after.some((a) => a.by === null || views.heard(a.by, latest.key, value))) return false;
    // Every device told of `latest` met the reset with a first check that could not show it.
    for (let d = 0; d < views.devices; d++) {
      if (views.heard(d, latest.key, value) && !views.missed(d, i)) return false;
    }
    return true;
  }
  return false;
}

/**
 * Whether `latest`, another client's delete, landed after a reset at the very commit id at which
 * the device that wrote `source` had been told of a delete of the key before it, that device's
 * first check after the reset could not show it, and `source`, that device's change written
 * before `latest` reached the server, pushed after it, is the key's only state since. The log
 * then reads exactly as the one the device pulled (a delete entry carries no value and no time),
 * so no engine can tell `latest` from the delete it already held (README "Conflicts and
 * restores", the second known limit; soak seed 34421).
 */
export function deleteAgainAtPulledId(history: History, views: DeviceViews, latest: Write, source: Write | undefined): boolean {
  if (latest.origin.kind !== "other" || latest.state.present || latest.commitId === null || source?.origin.kind !== "device") return false;
  const by = source.origin.d;
  if (source.tick >= latest.tick) return false;
  const arrivals = history.arrivals.filter((a) => a.key === latest.key);
  const after = arrivals.filter((a) => a.tick > latest.tick);
  if (after.length === 0 || after.some((a) => a.by !== by || !sameState(a.state, source.state))) return false;
  const resets = history.resetTicks();
  for (let i = resets.length - 1; i >= 0; i--) {
    const r = resets[i]!;
    if (r >= latest.tick) continue;
    // `latest` is the key's first write since that reset.
    if (arrivals.some((a) => a.tick > r && a.tick < latest.tick)) return false;
    const told = views.missedEntry(by, i, latest.key);
    return told !== undefined && told.op === "-" && told.id === latest.commitId;
  }
  return false;
}
