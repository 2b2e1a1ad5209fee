// notifications.send: a key or text notification to another atSign, kept durably and sent by
// the worker's NotificationOutbox. With `wait`, the reply comes once it is delivered (detached
// from the inbox, so other requests go on meanwhile).
import { AtsyncError, ErrorCode } from "../../../shared/errors.js";
import { NotificationsSend } from "../../../shared/methods.js";
import type { NotificationsSendResult } from "../../../shared/types.js";
import type { Disposable } from "../../ports.js";
import { detach, type Detached } from "../Inbox.js";
import type { NotificationOutbox } from "../NotificationOutbox.js";
import type { WorkerContext } from "../WorkerContext.js";

async function delivered(ctx: WorkerContext, outbox: NotificationOutbox, sent: NotificationsSendResult, timeoutMs: number | undefined, signal: AbortSignal): Promise<NotificationsSendResult> {
  let timer: Disposable | undefined;
  let onAbort: (() => void) | undefined;
  const limits = new Promise<never>((_, reject) => {
    if (timeoutMs !== undefined) {
      timer = ctx.clock.setTimer(timeoutMs, () => reject(new AtsyncError(ErrorCode.Timeout, `the notification ${sent.notificationId} was not delivered within ${timeoutMs} ms; it goes on in the background`)));
    }
    onAbort = () => reject(new AtsyncError(ErrorCode.RequestCancelled, "request cancelled"));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    const status = await Promise.race([outbox.settled(sent.notificationId), limits]);
    if (status !== "delivered") {
      const why = status === "sent" ? "sent, but its atServer has not confirmed delivery" : `not delivered (${status})`;
      throw new AtsyncError(ErrorCode.NotificationUndelivered, `the notification ${sent.notificationId} was ${why}`, { notificationId: sent.notificationId, status });
    }
    return { notificationId: sent.notificationId, status };
  } finally {
    timer?.dispose();
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}

export async function notificationsSend(ctx: WorkerContext, raw: unknown, signal: AbortSignal): Promise<NotificationsSendResult | Detached<NotificationsSendResult>> {
  const p = NotificationsSend.validate(raw, "");
  const outbox = ctx.notifications;
  if (outbox === undefined) throw new AtsyncError(ErrorCode.Internal, "this worker sends no notifications");
  const sent = await outbox.send(p);
  if (p.wait !== true) return sent;
  return detach(delivered(ctx, outbox, sent, p.timeoutMs, signal));
}
