// sync.now and status.get for this atSign. A waiting sync.now is detached from the inbox:
// other requests keep being served while the sync runs.
import { AtsyncError, ErrorCode } from "../../../shared/errors.js";
import { StatusGet, SyncNow } from "../../../shared/methods.js";
import type { SyncStatus } from "../../../shared/status.js";
import type { SyncNowResult } from "../../../shared/types.js";
import type { Disposable } from "../../ports.js";
import { detach, type Detached } from "../Inbox.js";
import { toAtsyncError } from "../toWireError.js";
import type { WorkerContext } from "../WorkerContext.js";

async function waitForSync(ctx: WorkerContext, run: Promise<unknown>, timeoutMs: number | undefined, signal: AbortSignal): Promise<SyncNowResult> {
  let timer: Disposable | undefined;
  let onAbort: (() => void) | undefined;
  const limits = new Promise<never>((_, reject) => {
    if (timeoutMs !== undefined) {
      timer = ctx.clock.setTimer(timeoutMs, () => reject(new AtsyncError(ErrorCode.Timeout, `${ctx.atSign} did not finish syncing within ${timeoutMs} ms`)));
    }
    onAbort = () => reject(new AtsyncError(ErrorCode.RequestCancelled, "request cancelled"));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    await Promise.race([run, limits]);
  } catch (err) {
    throw toAtsyncError(err);
  } finally {
    timer?.dispose();
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
  return { statuses: [ctx.status.flush()] };
}

export function syncNow(ctx: WorkerContext, raw: unknown, signal: AbortSignal): SyncNowResult | Detached<SyncNowResult> {
  const p = SyncNow.validate(raw, "");
  const run = ctx.driver.syncNow();
  if (p.wait !== true) {
    // Its failure shows in status and events; nobody waits for it here.
    run.catch(() => undefined);
    return { statuses: [ctx.status.flush()] };
  }
  return detach(waitForSync(ctx, run, p.timeoutMs, signal));
}

export function statusGet(ctx: WorkerContext, raw: unknown): SyncStatus[] {
  StatusGet.validate(raw, "");
  return [ctx.status.flush()];
}
