// The safety-net sync schedule: one node-cron task per atSign. Push notifications and local
// writes drive normal syncing; this only catches what they missed.
import cron, { type ScheduledTask } from "node-cron";
import { InternalCode } from "../../shared/errors.js";
import type { Logger } from "../ports.js";

export class CronTriggerError extends Error {
  readonly code = InternalCode.CRON_INVALID;
  constructor(message: string) {
    super(message);
    this.name = "CronTriggerError";
  }
}

export interface CronTriggerOptions {
  logger: Logger;
  /** Called on each tick; must not throw (a throw is logged). */
  onFire(atSign: string): void;
  /** IANA zone for the expressions; default the system's. */
  timezone?: string;
}

export class CronTrigger {
  private readonly tasks = new Map<string, { expression: string; task: ScheduledTask }>();
  private stopped = false;

  constructor(private readonly o: CronTriggerOptions) {}

  /** Schedules (or reschedules) one atSign; `null` removes its schedule. Throws CronTriggerError on a bad expression. */
  set(atSign: string, expression: string | null): void {
    if (this.stopped) return;
    if (expression === null) {
      this.delete(atSign);
      return;
    }
    if (this.tasks.get(atSign)?.expression === expression) return;
    const check = cron.validateDetailed(expression);
    if (!check.valid) {
      const why = check.errors.map((e) => `${e.field}: ${e.message}`).join("; ");
      throw new CronTriggerError(`invalid cron expression for ${atSign}: ${JSON.stringify(expression)} (${why || "unparseable"})`);
    }
    this.delete(atSign);
    const log = this.o.logger.child({ atSign, component: "cron" });
    const task = cron.createTask(
      expression,
      () => {
        try {
          this.o.onFire(atSign);
        } catch (err) {
          log.error("cron trigger handler threw", { error: err });
        }
      },
      {
        name: `sync ${atSign}`,
        noOverlap: true,
        ...(this.o.timezone !== undefined ? { timezone: this.o.timezone } : {}),
        // node-cron logs missed runs (e.g. after suspend) itself; route that through ours.
        logger: {
          info: (m) => log.debug(m),
          warn: (m) => log.debug(m),
          error: (m) => log.warn(typeof m === "string" ? m : m.message),
          debug: (m) => log.debug(typeof m === "string" ? m : m.message),
        },
      },
    );
    this.tasks.set(atSign, { expression, task });
    void Promise.resolve(task.start()).catch((err: unknown) => log.error("cannot start cron task", { error: err }));
    log.debug("sync schedule set", { expression });
  }

  delete(atSign: string): void {
    const t = this.tasks.get(atSign);
    if (t === undefined) return;
    this.tasks.delete(atSign);
    void Promise.resolve(t.task.destroy()).catch(() => undefined);
  }

  scheduled(): Array<{ atSign: string; expression: string }> {
    return [...this.tasks].map(([atSign, t]) => ({ atSign, expression: t.expression })).sort((a, b) => (a.atSign < b.atSign ? -1 : 1));
  }

  /** Stops every schedule; no tick fires after this resolves. */
  async stop(): Promise<void> {
    this.stopped = true;
    const all = [...this.tasks.values()];
    this.tasks.clear();
    await Promise.all(all.map((t) => Promise.resolve(t.task.destroy())));
  }
}
