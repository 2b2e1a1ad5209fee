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
}

export function originName(o: Origin): string {
  return o.kind === "device" ? `d${o.d}` : o.kind === "other" ? "other client" : o.kind === "expiry" ? "expiry sweep" : "server seed";
}

export class History {
  readonly writes: Write[] = [];
  /** Server-side writes (other clients, expiry, seed) in the server's current history. */
  private lineage = new Set<Write>();

  record(step: number, atMs: number, key: string, origin: Origin, state: KeyState): Write {
    const w: Write = { id: this.writes.length, step, atMs, key, origin, state, seen: false };
    this.writes.push(w);
    if (origin.kind !== "device") this.lineage.add(w);
    return w;
  }

  /** A device now holds, or met, `state` for `key`: the server-side writes it came from are known. */
  saw(key: string, state: KeyState): void {
    for (const w of this.lineage) if (w.key === key && sameState(w.state, state)) w.seen = true;
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
  }

  wipe(): void {
    this.lineage = new Set();
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
