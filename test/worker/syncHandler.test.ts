// The worker's sync.now handler: a waiting call gives up after timeoutMs on the worker's Clock.
import { expect } from "chai";
import { syncNow } from "../../daemon/worker/handlers/sync.js";
import type { Detached } from "../../daemon/worker/Inbox.js";
import type { WorkerContext } from "../../daemon/worker/WorkerContext.js";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import type { SyncNowResult } from "../../shared/types.js";
import type { SyncStatus } from "../../shared/status.js";
import { FakeClock } from "../remote/support/FakeClock.js";
import { syncStatus } from "../support/statusFixture.js";

/** A status source the test moves: flush() gives the current one; publish() announces a new one. */
function scriptedStatus(first: SyncStatus) {
  let current = first;
  const watchers = new Set<(s: SyncStatus) => void>();
  return {
    flush: () => current,
    onChange: (fn: (s: SyncStatus) => void) => (watchers.add(fn), { dispose: () => watchers.delete(fn) }),
    publish(s: SyncStatus) {
      current = s;
      for (const w of watchers) w(s);
    },
    get watching() {
      return watchers.size;
    },
  };
}

const turn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

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

  it("scenario: the run ends while the monitor still reconnects: the wait returns only once the status says in sync", async () => {
    const clock = new FakeClock();
    const status = scriptedStatus(syncStatus({ inSync: false, connected: false, state: { kind: "offline", since: 1, reason: "monitor: ECONNREFUSED", nextAttemptAt: 17_000 } }));
    const ctx = { atSign: "@alice🛠", clock, driver: { syncNow: () => Promise.resolve({}) }, status } as unknown as WorkerContext;
    const r = syncNow(ctx, { wait: true, timeoutMs: 60_000 }, new AbortController().signal) as Detached<SyncNowResult>;
    let outcome: SyncNowResult | undefined;
    void r.detached.then((x) => (outcome = x));
    await turn();
    expect(outcome).to.equal(undefined);
    status.publish(syncStatus({ inSync: false, state: { kind: "syncing", since: 2, progress: { direction: "download", upload: null, download: null } } }));
    await turn();
    expect(outcome).to.equal(undefined);
    status.publish(syncStatus({ inSync: true }));
    await turn();
    expect(outcome?.statuses.map((s) => s.inSync)).to.deep.equal([true]);
    expect([status.watching, clock.pendingTimers]).to.deep.equal([0, 0]);
  });

  it("returns at once, with the status, when the state is one waiting cannot fix (backoff, needs attention, a refused change)", async () => {
    for (const over of [
      { inSync: false, state: { kind: "backoff", untilMs: 9, attempt: 2, lastError: { code: 1, message: "x", at: 1 } } },
      { inSync: false, state: { kind: "needs-attention", since: 1, reason: "keys", code: 1 } },
      { inSync: false, rejectedUploads: 1 },
    ] as Partial<SyncStatus>[]) {
      const status = scriptedStatus(syncStatus(over));
      const ctx = { atSign: "@alice🛠", clock: new FakeClock(), driver: { syncNow: () => Promise.resolve({}) }, status } as unknown as WorkerContext;
      const r = syncNow(ctx, { wait: true, timeoutMs: 60_000 }, new AbortController().signal) as Detached<SyncNowResult>;
      expect((await r.detached).statuses[0]).to.deep.equal(syncStatus(over));
    }
  });
});
