// The web listener's refusals, logged without letting a page write the log: any page the user
// visits can have its requests refused as fast as it can send them (a thousand a second), and
// every line would push out the lines that matter (journald drops a service's lines past a rate).
// Each reason is logged at most once per WINDOW_MS, saying how many like it went unlogged.
import type { Clock, Logger } from "../ports.js";

const WINDOW_MS = 10_000;

export class RefusalLog {
  /** Per message and reason: when it was last logged, and how many since went unlogged. */
  private readonly last = new Map<string, { at: number; unlogged: number }>();

  constructor(private readonly log: Logger, private readonly clock: Clock) {}

  warn(msg: string, fields: { why: string } & Record<string, unknown>): void {
    const id = `${msg}\n${fields.why}`;
    const now = this.clock.now();
    const seen = this.last.get(id);
    if (seen !== undefined && now - seen.at < WINDOW_MS) {
      seen.unlogged++;
      return;
    }
    this.last.set(id, { at: now, unlogged: 0 });
    this.log.warn(msg, seen !== undefined && seen.unlogged > 0 ? { ...fields, alsoRefusedUnlogged: seen.unlogged } : fields);
  }
}
