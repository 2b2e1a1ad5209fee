// Every write of a simulation, in the order it happened, and which of the server's own writes
// are still part of the server's history (a restore or a wipe can erase them).
import { sameState, type KeyState } from "./state.js";

export type Origin = { kind: "device"; d: number } | { kind: "other" } | { kind: "expiry" } | { kind: "seed" };

export interface Write {
  /** Order of acknowledgement: a higher id happened later in sim time. */
  id: number;
  step: number;
  atMs: number;
  key: string;
  origin: Origin;
  state: KeyState;
  /** A server-side write some device applied or met in a conflict: a device knows of it. */
  seen: boolean;
  /** The server's tick when it was acknowledged (for a device write: the tick then, not its arrival). */
  tick: number;
  /** A server-side write's commit id (null for a device's write, or unknown). */
  commitId: number | null;
  /** A device's update:meta: it changes metadata only, whatever value the server holds. */
  metaOnly?: boolean;
}

/** A state of a key reaching the server: a device's command, or a write of the server's own. */
export interface Arrival {
  key: string;
  tick: number;
  /** Sim time when the server ran it. */
  atMs: number;
  state: KeyState;
  /** The device whose command it was; null for other clients, expiry and seed. */
  by: number | null;
  /** That device's horizon: the tick of the last reply it had received before the command. */
  horizon: number;
  /** An update:meta: it merged metadata onto whatever value the server held. */
  metaOnly?: boolean;
  /** The commit id the server's log gave the key for it (device commands; absent where unknown). */
  commitId?: number | null;
}

/** The keys an update, update:meta or delete names (the simulation's keys end in `.sim@alice`). */
export function writtenKeys(command: string): string[] {
  if (command.startsWith("batch:")) {
    const items = JSON.parse(command.slice("batch:".length)) as Array<{ command: string }>;
    return items.flatMap((i) => writtenKeys(i.command));
  }
  if (!command.startsWith("update") && !command.startsWith("delete")) return [];
  const head = command.split(" ")[0] ?? "";
  return [...new Set(head.match(/[\w-]+(?:\.[\w-]+)*\.sim@alice/gu) ?? [])];
}

/** The keys an update:meta (alone or in a batch) names. */
function metaKeys(command: string): string[] {
  if (command.startsWith("batch:")) {
    const items = JSON.parse(command.slice("batch:".length)) as Array<{ command: string }>;
    return items.flatMap((i) => metaKeys(i.command));
  }
  return command.startsWith("update:meta:") ? writtenKeys(command) : [];
}

export function originName(o: Origin): string {
  return o.kind === "device" ? `d${o.d}` : o.kind === "other" ? "other client" : o.kind === "expiry" ? "expiry sweep" : "server seed";
}

export class History {
  readonly writes: Write[] = [];
  readonly arrivals: Arrival[] = [];
  /** Counts what the server ran: every command and every write of its own. */
  tick = 0;
  /** The ticks at which the server was restored or wiped (what it held before is unknown after). */
  private readonly resets: number[] = [];
  /** Deletes a device sent whose reply never came, with the tick then: the device cannot tell whether they ran. */
  private readonly deletesInDoubt: Array<{ d: number; key: string; tick: number }> = [];
  /** Server-side writes (other clients, expiry, seed) in the server's current history. */
  private lineage = new Set<Write>();

  record(step: number, atMs: number, key: string, origin: Origin, state: KeyState, commitId: number | null = null): Write {
    if (origin.kind !== "device") this.tick++;
    const w: Write = { id: this.writes.length, step, atMs, key, origin, state, seen: false, tick: this.tick, commitId };
    this.writes.push(w);
    if (origin.kind !== "device") {
      this.lineage.add(w);
      this.arrivals.push({ key, tick: this.tick, atMs, state, by: null, horizon: this.tick });
    }
    return w;
  }

  /** The server ran device `by`'s command; what it wrote arrives with the device's horizon. */
  applied(by: number, command: string, stateOf: (key: string) => KeyState, horizon: number, atMs: number, commitIdOf?: (key: string) => number | null): void {
    this.tick++;
    const meta = new Set(metaKeys(command));
    for (const key of writtenKeys(command)) {
      this.arrivals.push({ key, tick: this.tick, atMs, state: stateOf(key), by, horizon, ...(meta.has(key) ? { metaOnly: true } : {}), commitId: commitIdOf?.(key) ?? null });
    }
  }

  /**
   * Whether `w`, another client's delete, was committed at the very id at which a device's own
   * delete of the key had been, before a restore or wipe took that one away: the log then reads
   * exactly as the device left it (a delete entry carries no value and no time), so no engine can
   * tell it from its own echo (RELIABILITY.md, "Known limits").
   */
  replayedOwnDelete(w: Write): boolean {
    if (w.origin.kind !== "other" || w.state.present || w.commitId === null) return false;
    return this.arrivals.some((a) => a.key === w.key && a.by !== null && !a.state.present && a.commitId === w.commitId && a.tick < w.tick
      && this.resets.some((r) => r >= a.tick && r < w.tick));
  }

  /**
   * When `w`'s state last reached the server (sim time), as the wire shows it to an engine that
   * meets it while judging `against` (a later write): a device's write at its push, or at its push
   * again after a restore; the server's own writes at once. One arrival does not count: a device's
   * push that overwrote `against` where the server held it and the device had heard of it (its
   * last reply came after `against` arrived): that engine saw both versions and knew its own
   * write's time, so `w` is judged by when it was written.
   */
  arrivalMs(w: Write, against?: Write): number {
    let at = w.atMs;
    for (const x of this.arrivals) {
      if (x.key !== w.key || x.tick < w.tick || !sameState(x.state, w.state)) continue;
      if (against && x.by !== null) {
        const since = this.heldSince(against, x.tick);
        if (since !== null && x.horizon >= since) continue;
      }
      at = Math.max(at, x.atMs);
    }
    return at;
  }

  /**
   * The tick of the arrival by which the server held `w`'s state just before `tick` (nothing
   * replaced it since, no restore or wipe), or null when it did not hold it. Only arrivals after
   * `w` was written count: a device's write carries the tick of the server's last command before
   * it, so an arrival at that very tick (another client's write of the same state, such as an
   * earlier delete) is not `w` on the server (soak seed 77623).
   */
  private heldSince(w: Write, tick: number): number | null {
    const from = w.origin.kind === "device" ? w.tick + 1 : w.tick;
    let last: Arrival | undefined;
    for (const a of this.arrivals) if (a.key === w.key && a.tick >= from && a.tick < tick) last = a;
    if (!last || !sameState(last.state, w.state)) return null;
    const since = last.tick;
    return this.resets.some((r) => r >= since && r < tick) ? null : since;
  }

  /**
   * Whether `w` was overwritten blind on the server: the first command after its arrival that
   * wrote the key (even to the same state) came from a device whose last reply predated that
   * arrival, so nothing it had heard could tell it (the protocol has no conditional update). The
   * server's log keeps one entry per key, so from then on no device can learn of `w`. One limit:
   * a blind command that keeps `w`'s value on the server (an `update:meta` merged onto it, or
   * another device's write of that same value) leaves it in the entry every device pulls next, so
   * only `w`'s metadata is beyond reach: the command after such ones decides, the exemption covers
   * a `final` state that still carries that value, and an engine that overwrote the value it saw is judged.
   */
  overwroteBlind(w: Write, final: KeyState): boolean {
    // Its last arrival: a push of its state again after a restore (by any device that held it) is
    // the copy the server held when it was overwritten.
    const by = w.origin.kind === "device" ? w.origin.d : null;
    let first = by !== null
      ? this.arrivals.find((a) => a.key === w.key && a.by === by && a.tick > w.tick && sameState(a.state, w.state))
      : this.arrivals.find((a) => a.key === w.key && a.tick === w.tick);
    // A device's update:meta that reached the server blind onto another value (its device had not
    // heard of that value) left that merged state there: it is what may be overwritten blind.
    let landed = w.state;
    if (!first && w.metaOnly === true && by !== null) {
      const merged = this.arrivals.find((a) => a.key === w.key && a.by === by && a.tick > w.tick && a.metaOnly === true);
      const under = merged && this.arrivals.findLast((a) => a.key === w.key && a.tick < merged.tick);
      if (merged && under && merged.horizon < under.tick) {
        first = merged;
        landed = merged.state;
      }
    }
    if (!first) return false;
    const start = first;
    // A device's command of the same state counts only if that device could have heard of `w`
    // (a blind delete over another client's delete is a write of its own, not `w` again).
    const arrived = this.arrivals.findLast((a) => a.key === w.key && a.tick >= start.tick && sameState(a.state, landed) && (a === start || a.by === null || a.horizon >= start.tick)) ?? start;
    const keeps = (a: Arrival): boolean => landed.present && a.state.present && a.state.value === landed.value;
    // A server-side write that binds nothing (the server lost it before any device saw it) is as if
    // it never happened: the command after it decides (seed 992 of --keys 30).
    const after = this.arrivals.filter((a) => a.key === w.key && a.tick > arrived.tick && !this.unbound(a));
    // Blind commands that keep `w`'s value on the server (an update:meta merged onto it, or another
    // device's write of that same value: seed 55855) leave it in reach: the command after them decides.
    let i = 0;
    while (i < after.length - 1 && after[i]!.by !== null && after[i]!.horizon < arrived.tick && keeps(after[i]!)) i++;
    const next = after[i];
    if (next === undefined || next.by === null || next.horizon >= arrived.tick) return false;
    return !keeps(next) || (final.present && landed.present && final.value === landed.value);
  }

  /** Whether `a` is the arrival of a server-side write the server lost before any device saw it. */
  private unbound(a: Arrival): boolean {
    return a.by === null && this.writes.some((x) => x.key === a.key && x.tick === a.tick && x.origin.kind !== "device" && !x.seen && !this.lineage.has(x));
  }

  /** Device `d` recorded a delete of `key` as sent (it goes out next, or a crash cuts it off before the wire). */
  deleteInDoubt(d: number, key: string): void {
    this.deletesInDoubt.push({ d, key, tick: this.tick });
  }

  /**
   * Whether the device `w` was written by had deleted its key before `w` and sent that delete
   * without a reply (or crashed once it was marked sent). Two deletes look alike on the wire, so
   * a delete that engine later pulls may be its own (README "Conflicts and restores": its later
   * change stands, with a conflict recorded).
   */
  deleteInDoubtBefore(w: Write): boolean {
    const o = w.origin;
    if (o.kind !== "device") return false;
    const deletedBefore = this.writes.some((x) => x.id < w.id && x.key === w.key && !x.state.present && x.origin.kind === "device" && x.origin.d === o.d);
    return deletedBefore && this.deletesInDoubt.some((x) => x.d === o.d && x.key === w.key);
  }

  /**
   * Whether `w`, a device's update:meta, reached the server blind (another value had arrived
   * since the device's last reply) and `final` is what the server made of it: the metadata
   * merged onto that other value. An update:meta writes no value, so the other value is not lost
   * to it, and nothing of `w` is lost either.
   */
  mergedBlind(w: Write, final: KeyState): boolean {
    const o = w.origin;
    if (!w.metaOnly || o.kind !== "device") return false;
    const i = this.arrivals.findIndex((a) => a.key === w.key && a.by === o.d && a.tick > w.tick);
    const mine = this.arrivals[i];
    if (!mine || !sameState(mine.state, final)) return false;
    const before = this.arrivals.slice(0, i).findLast((a) => a.key === w.key);
    return before !== undefined && mine.horizon < before.tick;
  }

  /**
   * Whether `final` is `w`'s value with the metadata of a device's update:meta that reached the
   * server blind after `w` (its last reply predated `w`'s arrival), the last command of the key:
   * that device could not know of `w`, and `w`'s value was not lost.
   */
  metaMergedBlindOnto(w: Write, final: KeyState): boolean {
    if (!w.state.present || !final.present || final.value !== w.state.value) return false;
    const arrived = this.arrivals.find((a) => a.key === w.key && a.tick >= w.tick && sameState(a.state, w.state));
    const last = this.arrivals.findLast((a) => a.key === w.key);
    if (!arrived || !last || last.tick <= arrived.tick) return false;
    return last.metaOnly === true && last.by !== null && last.horizon < arrived.tick && sameState(last.state, final);
  }

  /**
   * The write among `writes` whose value `final` holds with the metadata a device's update:meta
   * merged onto it on the server (an arrival of that very state), the latest such; undefined when
   * no update:meta made `final`.
   */
  metaMergedSource(writes: readonly Write[], final: KeyState): Write | undefined {
    if (!final.present) return undefined;
    const merged = this.arrivals.find((a) => a.key === writes[0]?.key && a.metaOnly === true && a.by !== null && sameState(a.state, final));
    if (!merged) return undefined;
    return [...writes].reverse().find((w) => w.tick <= merged.tick && w.state.present && w.state.value === final.value && !w.metaOnly);
  }

  /**
   * Whether `final` is `w`'s value with the metadata of one of `later`, device update:meta writes
   * made after `w` whose value was stale: the server merged that metadata onto `w`'s value when the
   * command arrived (an arrival of that very state). `w`'s value stands, and its metadata was
   * replaced by a later write, so nothing is lost (soak seed 63280).
   */
  laterMetaMergedOnto(w: Write, later: readonly Write[], final: KeyState): boolean {
    if (!w.state.present || !final.present || final.value !== w.state.value) return false;
    return this.arrivals.some((a) => a.key === w.key && a.metaOnly === true && a.tick > w.tick && sameState(a.state, final)
      && later.some((m) => m.metaOnly === true && m.origin.kind === "device" && m.origin.d === a.by && a.tick > m.tick));
  }

  /**
   * Whether a conflict's losing side `loser` is `w`'s state as an update:meta that reached the
   * server after `w` left it: the same value, other metadata (the engine met `w` merged).
   */
  mergedLoser(w: Write, loser: KeyState): boolean {
    if (!w.state.present || !loser.present || loser.value !== w.state.value) return false;
    return this.arrivals.some((a) => a.key === w.key && a.metaOnly === true && a.tick > w.tick && a.state.present && sameState(a.state, loser));
  }

  /** A device holds a tombstone of `key` at `commitId`: the server-side delete at that id (if any) is known. */
  sawTombstone(key: string, commitId: number): void {
    for (const w of this.lineage) if (w.key === key && w.commitId === commitId && !w.state.present) w.seen = true;
  }

  /** A device now holds, or met, `state` for `key`: the server-side writes it came from are known. */
  saw(key: string, state: KeyState): void {
    for (const w of this.lineage) if (w.key === key && sameState(w.state, state)) w.seen = true;
  }

  /** The ticks at which the server was restored or wiped, in order. */
  resetTicks(): readonly number[] {
    return this.resets;
  }

  inLineage(w: Write): boolean {
    return this.lineage.has(w);
  }

  /** What a backup of the server holds of the history. */
  backup(): ReadonlySet<Write> {
    return new Set(this.lineage);
  }

  restore(backup: ReadonlySet<Write>): void {
    this.lineage = new Set(backup);
    this.resets.push(this.tick);
  }

  wipe(): void {
    this.lineage = new Set();
    this.resets.push(this.tick);
  }

  /**
   * The writes that bind the engine: every device write, and every server-side write that is
   * still in the server's history or that some device knew of before the server lost it. A
   * server-side write the server lost before any device saw it is as if it never happened.
   */
  binding(key: string): Write[] {
    return this.writes.filter((w) => w.key === key && (w.origin.kind === "device" || w.seen || this.lineage.has(w)));
  }

  keys(): Set<string> {
    return new Set(this.writes.map((w) => w.key));
  }
}
