// sync.now and status.get for this atSign. A waiting sync.now is detached from the inbox:
// other requests keep being served while the sync runs; it returns once the status says in sync
// (or cannot get there by waiting), not merely once its run ended.
import { AtsyncError, ErrorCode } from "../../../shared/errors.js";
import { StatusGet, SyncNow } from "../../../shared/methods.js";
import type { SyncStatus } from "../../../shared/status.js";
import type { SyncNowResult } from "../../../shared/types.js";
import type { Disposable } from "../../ports.js";
import { detach, type Detached } from "../Inbox.js";
import { toAtsyncError } from "../toWireError.js";
import type { WorkerContext } from "../WorkerContext.js";

/**
 * Where a waiting sync.now stops waiting, once the run it asked for has ended: in sync (verified:
 * deriveStatus), or a state that waiting cannot turn into in sync (a failure backing off, one that
 * needs the user, a change the server refused). Anything else (the monitor still reconnecting, so
 * a commit meanwhile would go unnoticed; the follow-up run it starts; a heartbeat not yet answered)
 * is waited out, within the timeout.
 */
export function waitIsOver(s: SyncStatus): boolean {
  return s.inSync || s.state.kind === "backoff" || s.state.kind === "needs-attention" || s.rejectedUploads > 0;
}

async function waitForSync(ctx: WorkerContext, run: Promise<unknown>, timeoutMs: number | undefined, signal: AbortSignal): Promise<SyncNowResult> {
  let timer: Disposable | undefined;
  let onAbort: (() => void) | undefined;
  let watch: Disposable | undefined;
  const limits = new Promise<never>((_, reject) => {
    if (timeoutMs !== undefined) {
      timer = ctx.clock.setTimer(timeoutMs, () => reject(new AtsyncError(ErrorCode.Timeout, `${ctx.atSign} did not finish syncing within ${timeoutMs} ms`)));
    }
    onAbort = () => reject(new AtsyncError(ErrorCode.RequestCancelled, "request cancelled"));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    await Promise.race([run, limits]);
    // The run ended well; the status says in sync only once that is verified (deriveStatus).
    const settled = new Promise<SyncStatus>((resolve) => {
      watch = ctx.status.onChange((s) => {
        if (waitIsOver(s)) resolve(s);
      });
      const now = ctx.status.flush();
      if (waitIsOver(now)) resolve(now);
    });
    return { statuses: [await Promise.race([settled, limits])] };
  } catch (err) {
    throw toAtsyncError(err);
  } finally {
    timer?.dispose();
    watch?.dispose();
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
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
