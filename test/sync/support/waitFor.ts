// Polls a predicate until it holds or a deadline passes; never a fixed sleep.
import type { SyncEvent, SyncEventType } from "../../../daemon/sync/events.js";
import type { SyncDriver } from "../../../daemon/sync/SyncDriver.js";

export async function waitFor(pred: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((r) => setTimeout(r, 2));
  }
}

/** Resolves with the next event of a type (optionally matching), registered before the action that causes it. */
export function nextEvent<T extends SyncEventType>(
  driver: SyncDriver,
  type: T,
  match: (e: Extract<SyncEvent, { type: T }>) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<Extract<SyncEvent, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out waiting for ${type}`));
    }, timeoutMs);
    const sub = driver.on((e) => {
      if (e.type !== type) return;
      const ev = e as Extract<SyncEvent, { type: T }>;
      if (!match(ev)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(ev);
    });
  });
}

/** Collects every event a driver emits. */
export function recordEvents(driver: SyncDriver): SyncEvent[] {
  const events: SyncEvent[] = [];
  driver.on((e) => events.push(e));
  return events;
}
