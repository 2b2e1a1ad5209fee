// The worker's sync.now handler: a waiting call gives up after timeoutMs on the worker's Clock.
import { expect } from "chai";
import { syncNow } from "../../daemon/worker/handlers/sync.js";
import type { Detached } from "../../daemon/worker/Inbox.js";
import type { WorkerContext } from "../../daemon/worker/WorkerContext.js";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import type { SyncNowResult } from "../../shared/types.js";
import { FakeClock } from "../remote/support/FakeClock.js";

describe("worker sync.now handler", () => {
  it("a waiting sync.now fails with Timeout once timeoutMs have passed on the Clock, not before", async () => {
    const clock = new FakeClock();
    const ctx = {
      atSign: "@alice🛠",
      clock,
      driver: { syncNow: () => new Promise<never>(() => {}) },
      status: { flush: () => { throw new Error("no status for a run that did not finish"); } },
    } as unknown as WorkerContext;
    const r = syncNow(ctx, { wait: true, timeoutMs: 1000 }, new AbortController().signal) as Detached<SyncNowResult>;
    let outcome: unknown;
    r.detached.then(() => (outcome = "resolved"), (err: unknown) => (outcome = err));
    clock.advance(999);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(outcome).to.equal(undefined);
    clock.advance(1);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(AtsyncError.is(outcome, ErrorCode.Timeout), String(outcome)).to.equal(true);
    expect(clock.pendingTimers).to.equal(0);
  });
});
