// Owns one atSign's sync: triggers coalesce into flags (a local write → push, a statsNotification
// above what we hold → pull, syncNow()), one run at a time, backoff after failures, typed events
// and a status snapshot. The work of a run is in SyncRun; the decisions are in daemon/core.
import { ClockOffset } from "../core/clockOffset.js";
import { HeadMarks } from "../core/headMarks.js";
import { setMaxListeners } from "node:events";
import { normalizeAtSign } from "../../protocol/atKey.js";
import { InternalCode } from "../../shared/errors.js";
import { transition, type SyncLoopState, type TrackedState } from "../core/syncLoopState.js";
import { KeyFilter } from "../core/filter.js";
import type { ConflictPolicy, SyncFilter } from "../core/types.js";
import type { AtNotification, AtRemote, Clock, Disposable, Logger, Store } from "../ports.js";
import { decideFilter, nextRetryAt, nextRunAfterOpenRepair } from "../core/syncState.js";
import { classifyError } from "./classifyError.js";
import { type SyncCounts, type SyncErrorInfo, type SyncEvent } from "./events.js";
import { LocalWrites } from "./LocalWrites.js";
import { SyncRun, type PullLane } from "./SyncRun.js";
import { SyncFactsTracker, type SyncFacts } from "./SyncFactsTracker.js";
import { SyncProgressTracker } from "./SyncProgressTracker.js";

export type { SyncFacts } from "./SyncFactsTracker.js";

export interface NotificationSource {
  onNotification(fn: (n: AtNotification) => void): Disposable;
  /** The monitor's connection state (daemon/remote/Monitor.ts): a gap in it may hide a server restart. */
  onStateChange?(fn: (s: "connecting" | "online" | "offline") => void): Disposable;
}

export interface BackoffPolicy {
  next(): number;
  reset(): void;
}

export interface SyncDriverOptions {
  atSign: string;
  remote: AtRemote;
  /** Extra authenticated connections for long pulls, in disjoint commit-id ranges (optional). */
  pullRemotes?: readonly PullLane[];
  store: Store;
  clock: Clock;
  logger: Logger;
  backoff: BackoffPolicy;
  notifications?: NotificationSource;
  policy?: ConflictPolicy;
  filter?: SyncFilter;
  /** Commands per `batch` (default 50). */
  batchItems?: number;
}

export class SyncStoppedError extends Error {
  readonly code = InternalCode.ATSYNC_STOPPED;
  readonly retryable = false;
  constructor() {
    super("the sync driver stopped");
    this.name = "SyncStoppedError";
  }
}

interface Waiter {
  resolve: (c: SyncCounts) => void;
  reject: (e: Error) => void;
}

export class SyncDriver {
  readonly atSign: string;
  readonly local: LocalWrites;
  private readonly o: SyncDriverOptions;
  private readonly log: Logger;
  private readonly filter: KeyFilter;
  private readonly listeners = new Set<(e: SyncEvent) => void>();
  private readonly tracker: SyncFactsTracker;
  private tracked: TrackedState;
  private started = false;
  private pullFlag = false;
  private pushFlag = false;
  private waiters: Waiter[] = [];
  private loopPromise: Promise<void> | null = null;
  private backoffTimer: Disposable | null = null;
  private retryTimer: Disposable | null = null;
  private subscription: Disposable | null = null;
  private monitorState: Disposable | null = null;
  private abort = new AbortController();
  private attempt = 0;
  /** Runs failed in a row (the backoff's attempt number). */
  private failures = 0;
  /** Successful runs in a row that left a repair open (the server written faster than it catches up). */
  private openRepairs = 0;
  /** A run is under way (from its start until its outcome is known, before anyone hears of it). */
  private running = false;
  /** The server's clock minus ours, from its notifications (0 until one arrives). */
  private readonly clockOffset = new ClockOffset();
  private readonly headMarks = new HeadMarks();
  /** The highest global commit id notified so far, and the one a completed pull has covered. */
  private notifiedUpTo = -1;
  private coveredUpTo = -1;

  constructor(opts: SyncDriverOptions) {
    this.o = opts;
    this.atSign = normalizeAtSign(opts.atSign);
    this.log = opts.logger.child({ component: "SyncDriver" });
    this.filter = new KeyFilter(opts.filter);
    this.tracked = { state: { kind: "stopped" }, enteredAtMs: opts.clock.now() };
    this.tracker = new SyncFactsTracker(this.atSign, opts.store, this.filter, new SyncProgressTracker(() => opts.clock.now()));
    this.local = new LocalWrites(opts.store, (e) => this.emit(e), () => this.requestPush());
  }

  on(fn: (e: SyncEvent) => void): Disposable {
    this.listeners.add(fn);
    return { dispose: () => void this.listeners.delete(fn) };
  }

  /** Idempotent; subscribes to notifications and asks for a first full sync. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.abort = new AbortController();
    // Every request of every pull lane listens on this one signal: six lanes pass the default 10.
    setMaxListeners(0, this.abort.signal);
    const stored = this.o.store.syncState().filterRegex;
    const unseenLeft = stored !== null && stored !== (this.filter.regex ?? "") && this.o.store.unseenKeys().length > 0;
    const filterChange = decideFilter(stored, this.filter.regex, unseenLeft);
    this.o.store.apply(filterChange.ops);
    if (filterChange.restarted) this.log.info("selective-sync filter changed: pulling again from the start");
    this.subscription = this.o.notifications?.onNotification((n) => this.onNotification(n)) ?? null;
    // The marks date entries by the log the monitor heard; after a gap in it the server may have
    // restarted with another log (a restore) whose ids the old marks would misdate.
    this.monitorState = this.o.notifications?.onStateChange?.((s) => {
      if (s !== "online") this.headMarks.clear();
    }) ?? null;
    this.requestPull();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.subscription?.dispose();
    this.subscription = null;
    this.monitorState?.dispose();
    this.monitorState = null;
    this.clearTimers();
    this.abort.abort();
    const loop = this.loopPromise;
    if (loop) await loop;
    for (const w of this.waiters.splice(0)) w.reject(new SyncStoppedError());
    if (this.tracked.state.kind !== "stopped") this.setState({ kind: "stopped" });
  }

  requestPull(): void {
    this.pullFlag = true;
    this.kick();
  }

  requestPush(): void {
    this.pushFlag = true;
    this.kick();
  }

  /** Resolves when a full run that started after this call has finished, or rejects with its failure. */
  syncNow(): Promise<SyncCounts> {
    if (!this.started) return Promise.reject(new SyncStoppedError());
    return new Promise<SyncCounts>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.pullFlag = true;
      // An explicit request does not wait out the backoff.
      if (this.backoffTimer) {
        this.backoffTimer.dispose();
        this.backoffTimer = null;
      }
      this.kick();
    });
  }

  /**
   * The atServer is reachable again (its monitor reconnected, the network came back): a backoff
   * waits no longer, and a pull checks what was missed meanwhile. A failure no retry fixes
   * (needs-attention) still waits for an explicit syncNow().
   */
  retrySoon(): void {
    if (this.backoffTimer) {
      this.backoffTimer.dispose();
      this.backoffTimer = null;
    }
    this.requestPull();
  }

  /** Which keys this device uploads (the selective-sync filter; the others stay on this device). */
  uploads(atKey: string): boolean {
    return this.filter.matches(atKey);
  }

  /** What the driver knows now (the SyncStatus is derived from these and the connections' health). */
  facts(): SyncFacts {
    const busy = this.running || this.pullFlag || this.pushFlag;
    return this.tracker.facts(this.tracked.state, this.tracked.enteredAtMs, busy);
  }

  /**
   * A statsNotification carries the server's global (unfiltered) last commit id and its clock. A
   * pull is asked for only when that id is news: above what we received, above what our own
   * pushes committed, and above the id the last completed pull already covered (with selective
   * sync the global id stays above our filtered one, and the server repeats it every 15 s).
   */
  private onNotification(n: AtNotification): void {
    if (n.key.toLowerCase() !== `statsnotification.${this.atSign}`) return;
    if (Number.isFinite(n.epochMillis) && n.epochMillis > 0) this.clockOffset.atMost(n.epochMillis, this.o.clock.now());
    const value = Number(n.value);
    if (!Number.isInteger(value)) return;
    if (Number.isFinite(n.epochMillis) && n.epochMillis > 0) this.headMarks.record(value, n.epochMillis);
    this.notifiedUpTo = Math.max(this.notifiedUpTo, value);
    if (value <= Math.max(this.o.store.syncState().lastReceivedCommitId, this.coveredUpTo)) return;
    this.requestPull();
  }

  private emit(e: SyncEvent): void {
    for (const fn of [...this.listeners]) {
      try {
        fn(e);
      } catch (err) {
        this.log.error("sync event listener threw", { type: e.type, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  private setState(to: SyncLoopState): void {
    const { next, change } = transition(this.tracked, to, this.o.clock.now());
    this.tracked = next;
    this.log.info("sync state changed", { from: change.from, to: change.to, durationMs: change.durationMs });
    this.emit({ type: "state.changed", ...change });
  }

  private clearTimers(): void {
    this.backoffTimer?.dispose();
    this.backoffTimer = null;
    this.retryTimer?.dispose();
    this.retryTimer = null;
  }

  private kick(): void {
    if (!this.started || this.loopPromise || this.backoffTimer) return;
    if (this.waitingForUser()) return;
    this.loopPromise = this.loop()
      .catch((err: unknown) => this.log.error("sync loop failed", { error: err instanceof Error ? err.message : String(err) }))
      .finally(() => {
        this.loopPromise = null;
        // A trigger that arrived while the last run was finishing.
        if (this.started && (this.pullFlag || this.pushFlag) && !this.backoffTimer) this.kick();
      });
  }

  /** After a failure no retry fixes, only an explicit syncNow() tries again. */
  private waitingForUser(): boolean {
    return this.tracked.state.kind === "needs-attention" && this.waiters.length === 0;
  }

  private async loop(): Promise<void> {
    // Runs back to back are one sync: their progress counts from here.
    this.tracker.progress.reset();
    while (this.started && (this.pullFlag || this.pushFlag) && !this.backoffTimer && !this.waitingForUser()) {
      // Every run checks that the server still holds the log we pulled: a push-only run after a
      // restore would otherwise raise the server's id past ours and hide the reset.
      const verify = true;
      this.pullFlag = false;
      this.pushFlag = false;
      const waiters = this.waiters.splice(0);
      await this.runOnce(verify, waiters);
    }
  }

  private async runOnce(verify: boolean, waiters: Waiter[]): Promise<void> {
    const kind = this.tracked.state.kind;
    if (kind !== "ready" && kind !== "starting") this.setState({ kind: "starting", attempt: ++this.attempt });
    const startedAt = this.o.clock.now();
    const notifiedAtStart = this.notifiedUpTo;
    let serverReset = false;
    this.emit({ type: "sync.started", atMs: startedAt });
    const run = new SyncRun({
      remote: this.o.remote,
      pullRemotes: this.o.pullRemotes,
      store: this.o.store,
      clock: this.o.clock,
      clockOffset: this.clockOffset,
      headMarks: this.headMarks,
      logger: this.log,
      filter: this.filter,
      policy: this.o.policy ?? "local-wins",
      emit: (e) => {
        if (e.type === "server.reset") serverReset = true;
        this.emit(e);
      },
      signal: this.abort.signal,
      phase: (p) => this.tracker.setPhase(p),
      progress: this.progressSink(),
      batchItems: this.o.batchItems,
    });
    this.running = true;
    try {
      await run.run({ verify });
      this.running = false;
      const now = this.o.clock.now();
      this.o.store.apply([{ op: "setSyncState", patch: { lastSyncedAtMs: now } }]);
      this.o.store.prune();
      if (serverReset) {
        // The ids notified so far belong to the log that is gone: the new one restarts below
        // them, and its commits must still start pulls.
        this.notifiedUpTo = this.coveredUpTo = this.o.store.syncState().lastReceivedCommitId;
      } else {
        // Every commit notified before the run began was committed before its stats:3.
        this.coveredUpTo = Math.max(this.coveredUpTo, notifiedAtStart);
      }
      this.tracker.succeeded(run.counts, startedAt);
      this.attempt = 0;
      this.failures = 0;
      const repairOpen = this.o.store.syncState().repairInProgress;
      this.openRepairs = repairOpen ? this.openRepairs + 1 : 0;
      if (!repairOpen) this.o.backoff.reset();
      if (this.tracked.state.kind !== "ready") this.setState({ kind: "ready", sinceMs: now });
      // Asked for before anyone hears of the run: its listeners see the driver busy.
      if (repairOpen) this.resumeRepair();
      this.emit({ type: "sync.completed", atMs: now, durationMs: now - startedAt, counts: run.counts });
      this.scheduleRetry();
      for (const w of waiters) w.resolve(run.counts);
    } catch (err) {
      this.running = false;
      const info = classifyError(err);
      const now = this.o.clock.now();
      this.tracker.failed(info);
      this.tracker.setPhase("idle");
      this.emit({ type: "sync.failed", atMs: now, durationMs: now - startedAt, counts: run.counts, error: info });
      for (const w of waiters) w.reject(err instanceof Error ? err : new Error(String(err)));
      if (!this.started) return;
      this.afterFailure(info);
    }
  }

  /** Where a run reports its progress: the tracker counts, and a `sync.progress` tick says it moved. */
  private progressSink(): NonNullable<ConstructorParameters<typeof SyncRun>[0]["progress"]> {
    const p = this.tracker.progress;
    const tick = (): void => this.emit({ type: "sync.progress" });
    return {
      pulling: (cursor, target) => {
        p.pulling(cursor, target);
        tick();
      },
      committed: (id) => p.committed(id),
      covered: (from, to) => {
        p.covered(from, to);
        tick();
      },
      pushing: () => {
        p.pushing();
        tick();
      },
      answered: (n) => {
        p.answered(n);
        tick();
      },
    };
  }

  private afterFailure(info: SyncErrorInfo): void {
    if (!info.retryable) {
      this.log.error("sync needs attention", { code: info.code });
      this.setState({ kind: "needs-attention", code: info.code, reason: info.message });
      return;
    }
    const delay = this.o.backoff.next();
    const untilMs = this.o.clock.now() + delay;
    this.log.warn("sync failed, backing off", { code: info.code, delayMs: delay });
    this.setState({ kind: "backoff", untilMs, attempt: ++this.failures, lastError: info.message });
    this.pullFlag = true;
    this.backoffTimer = this.o.clock.setTimer(delay, () => {
      this.backoffTimer = null;
      this.kick();
    });
  }

  /**
   * A run left its repair open (the server kept moving past its catch-up pulls): the next run
   * resumes it without waiting for another trigger, at once or after the backoff's delay
   * (nextRunAfterOpenRepair). The flag keeps the driver busy meanwhile, so it is not in sync.
   */
  private resumeRepair(): void {
    this.pullFlag = true;
    if (nextRunAfterOpenRepair(this.openRepairs) === "now") return;
    const delay = this.o.backoff.next();
    this.log.warn("repair left open again: resuming after a delay", { delayMs: delay, runs: this.openRepairs });
    this.backoffTimer?.dispose();
    this.backoffTimer = this.o.clock.setTimer(delay, () => {
      this.backoffTimer = null;
      this.kick();
    });
  }

  /** Wakes the push when the earliest transiently failed change is due again. */
  private scheduleRetry(): void {
    this.retryTimer?.dispose();
    this.retryTimer = null;
    const at = nextRetryAt(this.o.store.pendingRetries(), this.filter);
    if (at === null) return;
    this.retryTimer = this.o.clock.setTimer(Math.max(0, at - this.o.clock.now()), () => {
      this.retryTimer = null;
      this.requestPush();
    });
  }
}
