// One sync run for one atSign: stats, reset checks, pull, push, and a last pull of what the push
// committed. The decisions come from daemon/core; this file only carries them out.
import { AtProtocolError } from "../../protocol/errors.js";
import { batchCommand, markSentOps, needsHeadCheck, planPush, toBatches, type PushCommand } from "../core/pushPlan.js";
import { batchErrorOutcomes, interpretBatchReply, isAuthError, type PushOutcome } from "../core/batchReply.js";
import { decideOutcomes } from "../core/decideOutcomes.js";
import type { KeyFilter } from "../core/filter.js";
import { checkPageOrder, parseStats3, parseSyncPage, statsCommand, type SyncPage } from "../core/pull.js";
import { FALLBACK_CANDIDATES, fallbackProbes, highestKnownCommitId, isResetByStats, probeCommand, probesFrom, readProbes, windowCommand, windowOutcome, type ResetReason } from "../core/reset.js";
import { beginRepair, countPending, finishRepair, repairCatchUp } from "../core/syncState.js";
import type { ClockOffset } from "../core/clockOffset.js";
import type { HeadMarks } from "../core/headMarks.js";
import type { ConflictPolicy, OutboxId, PendingChange, ResetProbe } from "../core/types.js";
import type { AtRemote, Clock, Logger, Store } from "../ports.js";
import type { SyncCounts, SyncEvent } from "./events.js";
import { applyPulled, type PullApplyContext, type PullApplyResult } from "./applyPulled.js";
import { RangePuller, ServerResetDuringPullError } from "./RangePuller.js";

/** An extra pull connection; one that can be released is closed after each pull that used it. */
export interface PullLane extends AtRemote {
  release?(): Promise<void>;
}

export interface SyncRunDeps {
  remote: AtRemote;
  /** Extra connections a long pull may use in parallel (never for push or reset checks). */
  pullRemotes?: readonly PullLane[];
  store: Store;
  clock: Clock;
  /** The server's clock minus ours (for last-writer-wins); this run's pushes bound it too. */
  clockOffset?: ClockOffset;
  /** When the server's head reached each commit id (from its notifications); cleared by a repair. */
  headMarks?: HeadMarks;
  logger: Logger;
  filter: KeyFilter;
  policy: ConflictPolicy;
  emit: (e: SyncEvent) => void;
  signal: AbortSignal;
  /** Marks the upload/download phases for status(). */
  phase: (p: "download" | "upload" | "idle") => void;
  batchItems?: number;
  /** Counts the sync's progress (SyncProgressTracker): a pull or push begins, commits arrive, changes are answered. */
  progress?: {
    pulling(cursor: number, target: number): void;
    covered(from: number, to: number): void;
    pushing(): void;
    answered(n: number): void;
    /** A push was given this commit id: pulling it back later is no download. */
    committed(commitId: number): void;
  };
}

/**
 * How far the server's clock may trail ours when nothing measured it yet (clocks kept by NTP agree
 * within milliseconds): an acknowledged push is taken as applied no earlier than its sending less this.
 */
export const UNMEASURED_SKEW_MS = 5_000;

/** Rounds of plan-and-send within one run before leaving the rest to the next run. */
const MAX_PUSH_ROUNDS = 1000;

export class SyncRun {
  readonly counts: SyncCounts = { pulled: 0, pushed: 0, conflicts: 0, rejected: 0, retrying: 0 };
  private readonly d: SyncRunDeps;
  /** Keys a repair's pages queued again (ours was newer than what the restored server holds). */
  private requeuedInPages = 0;
  /** A batch reply's commit id was at or below our last received id: only a server that lost data does that. */
  private resetByAck = false;
  /** Repairs this run has made (each may queue again what the server lost). */
  private repairs = 0;
  /**
   * A pull asked for pages after the stats:3 that set its target: the next batch checks the
   * server's head first, as one after the first does (daemon/core/pushPlan.ts needsHeadCheck), or
   * a key another client wrote during a pull of many pages is overwritten unseen.
   */
  private pulledSinceHead = false;
  /** This run's acknowledged pushes: when each was sent, for the clock offset once its echo tells its server time. */
  private readonly sentAt = new Map<string, { commitId: number; atMs: number }>();

  constructor(deps: SyncRunDeps) {
    this.d = deps;
  }

  /** The server's clock minus ours, as estimated now (0 without an estimator). */
  private offsetMs(): number {
    return this.d.clockOffset?.ms ?? 0;
  }

  private request(command: string): Promise<string> {
    return this.d.remote.request(command, { signal: this.d.signal });
  }

  /**
   * A full run: pull (with reset checks when `verify`), then push, then pull our own commits.
   * The download and upload phases start where their work does (pull, push), so a run that only
   * checks the server, or only uploads, is never shown as downloading.
   */
  async run(opts: { verify: boolean }): Promise<void> {
    await this.pullToServer(opts.verify);
    const pushed = await this.push();
    if (this.resetByAck) {
      // The server gave our write a commit id we had already received: its log went back.
      await this.repairFromStart("commit-id-went-back");
      await this.push();
    }
    if (pushed > 0 || this.resetByAck) {
      const repairsBefore = this.repairs;
      await this.pullToServer(false);
      this.boundClockByEchoes();
      if (this.repairs > repairsBefore) {
        // That pull found the server had lost data since our push (wiped between the ack and it):
        // what its repair queued again goes out now, not at some later trigger that may not come.
        if ((await this.push()) > 0) await this.pullToServer(false);
      }
    }
    // On failure the phase stays: it tells which direction failed.
    this.d.phase("idle");
  }

  /** Each pushed version the server stamped after we sent it: its echo's time bounds the offset. */
  private boundClockByEchoes(): void {
    if (!this.d.clockOffset || this.sentAt.size === 0) return;
    for (const [atKey, f] of this.d.store.facts([...this.sentAt.keys()])) {
      const sent = this.sentAt.get(atKey);
      if (sent && f.key?.commitId === sent.commitId && f.key.serverTimeMs !== null && !f.key.deleted) {
        this.d.clockOffset.atLeast(f.key.serverTimeMs, sent.atMs);
      }
    }
  }

  private async serverCommitId(): Promise<number | null> {
    const id = parseStats3(await this.request(statsCommand(3, this.d.filter.regex)));
    // Every command sent before this stats:3 on this connection is done: if the server applied
    // one whose reply we lost, its commit id is at most this head (a filtered head bounds only
    // the keys it counts; the unfiltered log is never lower).
    this.d.store.apply([{ op: "setSyncState", patch: { serverCommitId: id } }, ...(id !== null ? [{ op: "boundSent" as const, maxCommitId: id }] : [])]);
    this.pulledSinceHead = false;
    return id;
  }

  /**
   * Probes first, then stats:3, then the pull: the server's commit id is read last, so the push
   * that follows is planned from the freshest reply (a probe round trip between them would widen
   * the window in which another client's write goes unseen).
   */
  private async pullToServer(verify: boolean): Promise<void> {
    const before = this.d.store.syncState();
    const probeFailed = verify && !(await this.probeHolds(before.lastReceivedCommitId, before.repairInProgress));
    if (probeFailed) this.beginRepair("last-entry-missing");
    const server = await this.serverCommitId();
    // The log as this run found it (a repair begun just now restarted it at -1).
    const known = probeFailed ? before : this.d.store.syncState();
    // The head an earlier stats:3 of this log read counts too (before this one overwrote it).
    const wentBack = isResetByStats(server, highestKnownCommitId(known.lastReceivedCommitId, known.probes, before.serverCommitId));
    // A repair resumed (after a crash or a failed run) goes on from where it stopped only while
    // the log it was pulling is still there: a server restored again meanwhile restarts it.
    if (wentBack) {
      if (!probeFailed) this.beginRepair("commit-id-went-back");
      await this.repair(server, "commit-id-went-back");
      return;
    }
    if (probeFailed) {
      await this.repair(server, "last-entry-missing");
      return;
    }
    if (known.repairInProgress) {
      await this.repair(server, null);
      return;
    }
    await this.pull(server);
  }

  private async probeHolds(lastReceivedCommitId: number, repairing: boolean): Promise<boolean> {
    const probes = this.d.store.syncState().probes;
    if (probes.length === 0) return true;
    const from = probesFrom(probes);
    const page = parseSyncPage(await this.request(windowCommand(probes, this.d.filter.regex)));
    checkPageOrder(page, from);
    let outcome = windowOutcome(probes, page.entries, lastReceivedCommitId);
    // A window without some probe's key that does not prove it absent: read on with the probes' own keys.
    if (outcome === "unseen") outcome = await this.readProbes(probes, [page], lastReceivedCommitId);
    if (outcome === "holds" && !repairing && from <= lastReceivedCommitId) this.applyWindow(page, lastReceivedCommitId);
    if (outcome !== "unsure") return outcome === "holds";
    // Every probe was rewritten: ask about older keys before calling it a reset.
    const older = fallbackProbes(this.d.store.keysUpTo(lastReceivedCommitId, FALLBACK_CANDIDATES), probes, (k) => this.d.filter.matches(k));
    if (older.length === 0) return false;
    return (await this.readProbes(older, [], lastReceivedCommitId)) === "holds";
  }

  /** The probes' own pages, each from the last one's highest id, until daemon/core/reset.ts readProbes has a verdict. */
  private async readProbes(probes: readonly ResetProbe[], read: readonly SyncPage[], lastReceivedCommitId: number): Promise<"holds" | "gone" | "unsure"> {
    const pages = [...read];
    for (;;) {
      const step = readProbes(probes, pages, lastReceivedCommitId);
      if ("outcome" in step) return step.outcome;
      const page = parseSyncPage(await this.request(probeCommand(probes, step.next)));
      checkPageOrder(page, step.next);
      pages.push(page);
    }
  }

  /**
   * The window that proved the log holds also carries its first new entries (the server reads
   * its log in commit order): read from at or below our last received id, they are a sync:from
   * page like any other, applied now, so a run that a notification of one change started needs
   * no pull round trip after its stats:3. (Probes above it, from a parallel pull that stopped
   * with a range missing or from acknowledged pushes, start the window past that gap.)
   */
  private applyWindow(page: SyncPage, lastReceivedCommitId: number): void {
    const news = page.entries.filter((e) => e.commitId > lastReceivedCommitId);
    if (news.length === 0) return;
    this.d.phase("download");
    this.d.progress?.pulling(lastReceivedCommitId, page.maxCommitId);
    this.applied(applyPulled(this.applyContext(), news, page.maxCommitId));
    this.d.progress?.covered(lastReceivedCommitId, page.maxCommitId);
  }

  private applyContext(): PullApplyContext {
    return {
      store: this.d.store, clock: this.d.clock, policy: this.d.policy,
      clockOffsetMs: () => this.offsetMs(),
      writtenBy: (id) => this.d.headMarks?.writtenBy(id) ?? null,
    };
  }

  /** What an applied page changed: counts and events. */
  private applied(res: PullApplyResult): void {
    this.counts.pulled += res.changed.length;
    this.requeuedInPages += res.requeued;
    this.counts.conflicts += res.conflicts.length;
    for (const c of res.changed) this.d.emit({ type: "key.changed", atKey: c.atKey, origin: "remote", op: c.op, commitId: c.commitId });
    for (const conflict of res.conflicts) this.d.emit({ type: "conflict.detected", conflict });
  }

  /**
   * The server lost data: a repair begins, and is stored at once. Until then the finding (a probe
   * gone, an ack at a known id, a reset met mid-pull) is this run's alone: stored before the next
   * round trip (the stats:3 the repair pulls to), a run cut short there resumes the repair, where
   * it would forget the reset, and a log that moved on meanwhile (its new ids past ours, each
   * rewritten since) hides it from the next run's probes (soak seed 59816).
   */
  private beginRepair(reason: ResetReason): void {
    this.d.logger.warn("server lost data: pulling everything again", { reason });
    this.d.store.apply(beginRepair());
    this.d.headMarks?.clear();
  }

  /** A repair begun now, pulling to the server's head as it reads now. */
  private async repairFromStart(reason: ResetReason): Promise<void> {
    this.beginRepair(reason);
    await this.repair(await this.serverCommitId(), reason);
  }

  /**
   * Full re-pull from -1 of a repair begun (beginRepair) or resumed (`reason` null); uncommitted
   * changes stay pending, keys the server lost are queued again.
   */
  private async repair(server: number | null, reason: ResetReason | null): Promise<void> {
    this.repairs++;
    await this.pull(server);
    if (!(await this.repairCaughtUp())) return;
    const pending = new Set(this.d.store.pendingKeys());
    const { ops, requeued } = finishRepair(this.d.store.unseenKeys(), pending, this.d.filter, this.d.clock.now());
    this.d.store.apply(ops);
    this.d.emit({ type: "server.reset", reason: reason ?? "commit-id-went-back", requeued: requeued.length + this.requeuedInPages });
  }

  /**
   * A re-pull that took several pages took several round trips, and a key another client wrote
   * meanwhile left the id where a later page would have met it for one past the target: unseen,
   * it would be taken for a key the server lost, and our older version of it pushed over the
   * newer one (a delete undone, a write lost). So the repair ends only once a stats:3 read after
   * the pull shows nothing past what it received (daemon/core/syncState.ts repairCatchUp). A
   * server gone back meanwhile fails the run (the next one starts the repair over); one still
   * moving after its catch-ups leaves the repair open (stored: not in sync, resumed by the next run).
   */
  private async repairCaughtUp(): Promise<boolean> {
    for (let pulls = 0; ; pulls++) {
      const head = await this.serverCommitId();
      const step = repairCatchUp(head, this.d.store.syncState().lastReceivedCommitId, pulls);
      if (step.kind === "went-back") throw new ServerResetDuringPullError(head);
      if (step.kind === "finish") return true;
      if (step.kind === "leave-open") {
        this.d.logger.warn("repair left open: the server is still being written", { catchUps: pulls });
        return false;
      }
      await this.pull(step.to);
    }
  }

  /** Pulls until the last received id reaches `target`; short and empty pages do not stop it. */
  private async pull(target: number | null): Promise<void> {
    if (target === null) return;
    const cursor = this.d.store.syncState().lastReceivedCommitId;
    if (cursor >= target) return;
    this.d.phase("download");
    this.d.progress?.pulling(cursor, target);
    this.pulledSinceHead = true;
    const puller = new RangePuller({
      remotes: [this.d.remote, ...(this.d.pullRemotes ?? [])],
      apply: this.applyContext(),
      regex: this.d.filter.regex,
      signal: this.d.signal,
      onCovered: (from, to) => this.d.progress?.covered(from, to),
      onApplied: (res) => this.applied(res),
    });
    try {
      await puller.pull(cursor, target);
      await this.releaseLanes();
    } catch (err) {
      await this.releaseLanes();
      // A reset met mid-pull is repaired now, not left for a trigger that may not come (the
      // server's notifications carry ids below ours until it passes them). A reset met during
      // the repair itself fails the run; the next run resumes the repair.
      if (!(err instanceof ServerResetDuringPullError) || this.d.store.syncState().repairInProgress) throw err;
      await this.repairFromStart("commit-id-went-back");
    }
  }

  /** Closes the extra connections a long pull opened: an idle atSign keeps only its sync connection and monitor. */
  private async releaseLanes(): Promise<void> {
    const lanes = (this.d.pullRemotes ?? []).filter((r) => r.release !== undefined);
    await Promise.all(lanes.map((r) => r.release!().catch(() => undefined)));
  }

  /**
   * Sends every due pending change; returns how many commands the server acknowledged. Before
   * each batch after the first, the server's commit id is checked: if another client committed
   * since what we know, that is pulled first, so a key it wrote meets our pending change as a
   * conflict instead of being overwritten unseen (a long upload would otherwise overwrite every
   * write made meanwhile). What is left is the one round trip between that check and the batch:
   * the atProtocol has no conditional write.
   */
  private async push(): Promise<number> {
    let acked = 0;
    // Stop at a went-back ack of this push only: after the repair it started, the push that
    // follows must send every pending change, not stop at its first batch.
    const wentBackBefore = this.resetByAck;
    const state = this.d.store.syncState();
    let known = Math.max(state.lastReceivedCommitId, state.serverCommitId ?? -1);
    const tried = new Set<number>();
    const toSend = countPending(this.d.store.pendingKeys(), this.d.filter).inside;
    if (toSend === 0) return 0;
    this.d.phase("upload");
    this.d.progress?.pushing();
    for (let round = 0; round < MAX_PUSH_ROUNDS; round++) {
      const pending = this.d.store.pendingChanges();
      const rows = new Map(pending.map((r) => [r.id, r]));
      const plan = planPush(pending, (k) => this.d.store.get(k), {
        filter: this.d.filter,
        nowMs: this.d.clock.now(),
      });
      if (plan.invalid.length > 0) this.record(plan.invalid);
      // Within one run each row goes out once; failures wait for their retry time.
      const fresh = plan.commands.filter((c) => c.changeIds.some((id) => !tried.has(id)));
      if (fresh.length === 0) break;
      for (const batch of toBatches(fresh, { maxItems: this.d.batchItems })) {
        if (needsHeadCheck(acked, round, this.pulledSinceHead)) {
          const server = await this.serverCommitId();
          if (server !== null && server > known) {
            // Another client wrote meanwhile: pull it, then plan again from what is still pending.
            // What we know is what that pull received: a reset it met was repaired, to the new
            // log's head, and later batches must still check for writes made since on that log.
            await this.pull(server);
            known = this.d.store.syncState().lastReceivedCommitId;
            break;
          }
        }
        for (const c of batch) for (const id of c.changeIds) tried.add(id);
        const sentAtMs = this.d.clock.now();
        const outcomes = await this.send(batch, sentAtMs, rows);
        // Acks extend what we know only where they follow it without a gap: an id skipped is
        // another client's commit, to pull before the next batch.
        for (const o of outcomes) if (o.kind === "committed" && o.commitId === known + 1) known = o.commitId;
        acked += this.record(outcomes, sentAtMs);
        if (this.resetByAck && !wentBackBefore) return acked;
      }
    }
    return acked;
  }

  private async send(batch: readonly PushCommand[], sentAtMs: number, rows: ReadonlyMap<OutboxId, PendingChange>): Promise<PushOutcome[]> {
    this.d.store.apply(markSentOps(batch, rows));
    try {
      const outcomes = interpretBatchReply(batch, await this.request(batchCommand(batch)));
      for (const o of outcomes) {
        if (o.kind !== "committed" || o.commitId === null) continue;
        this.sentAt.set(o.atKey.toLowerCase(), { commitId: o.commitId, atMs: sentAtMs });
        this.d.progress?.committed(o.commitId);
      }
      return outcomes;
    } catch (err) {
      if (!(err instanceof AtProtocolError) || isAuthError(err.code)) throw err;
      return batchErrorOutcomes(batch, err.code, err.serverMessage || err.message);
    }
  }

  /**
   * The earliest the server's clock can have read at our `localMs`: by the offset's measured
   * lower bound, or, before any measurement, by the estimate less UNMEASURED_SKEW_MS.
   */
  private serverTimeNotBefore(localMs: number, nowMs: number): number {
    const low = this.d.clockOffset?.lowerBound(nowMs) ?? null;
    return localMs + (low ?? this.offsetMs() - UNMEASURED_SKEW_MS);
  }

  /** `sentAtMs`: when the batch went out (our clock), for the earliest server time its acks can have. */
  private record(outcomes: readonly PushOutcome[], sentAtMs: number | null = null): number {
    const facts = this.d.store.facts([...new Set(outcomes.map((o) => o.atKey))]);
    const now = this.d.clock.now();
    const d = decideOutcomes(outcomes, facts, now, this.d.store.syncState(), this.offsetMs(), sentAtMs === null ? null : this.serverTimeNotBefore(sentAtMs, now));
    this.d.store.apply(d.ops);
    if (d.serverWentBack) this.resetByAck = true;
    this.d.progress?.answered(outcomes.filter((o) => o.kind !== "retry").length);
    let acked = 0;
    for (const o of outcomes) {
      if (o.kind === "committed") {
        acked++;
        this.counts.pushed++;
      } else if (o.kind === "rejected") {
        this.counts.rejected++;
        this.d.emit({ type: "change.rejected", atKey: o.atKey, changeIds: o.changeIds, code: o.code, error: o.error });
      } else {
        this.counts.retrying++;
      }
    }
    return acked;
  }
}
