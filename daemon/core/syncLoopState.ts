// The sync loop's state machine: what the driver is doing about its atSign's sync, not whether the
// atServer can be reached (the connections' health says that; daemon/status/deriveStatus.ts puts
// the two together into the one SyncStatus). Every move goes through transition(), which refuses
// illegal ones and says how long the previous state lasted (house-style §9).
import { InternalCode } from "../../shared/errors.js";

export type SyncLoopState =
  /** Not started, or stopped. */
  | { kind: "stopped" }
  /** A run is trying to get through: the first since start, or the first after a failure. */
  | { kind: "starting"; attempt: number }
  /** The last run succeeded; later runs start from here. */
  | { kind: "ready"; sinceMs: number }
  /** The last run failed with a retryable error; the next try is at `untilMs`. */
  | { kind: "backoff"; untilMs: number; attempt: number; lastError: string }
  /** The last run failed in a way no retry fixes; only an explicit sync tries again. */
  | { kind: "needs-attention"; code: string; reason: string };

export type SyncLoopStateKind = SyncLoopState["kind"];

const ALLOWED: Readonly<Record<SyncLoopStateKind, readonly SyncLoopStateKind[]>> = {
  stopped: ["starting", "needs-attention"],
  starting: ["ready", "backoff", "needs-attention", "stopped"],
  ready: ["backoff", "needs-attention", "stopped"],
  backoff: ["starting", "needs-attention", "stopped"],
  "needs-attention": ["starting", "stopped"],
};

export interface TrackedState {
  state: SyncLoopState;
  enteredAtMs: number;
}

export interface StateChange {
  from: SyncLoopStateKind;
  to: SyncLoopStateKind;
  durationMs: number;
  state: SyncLoopState;
}

export class IllegalTransitionError extends Error {
  readonly code = InternalCode.ATSYNC_ILLEGAL_TRANSITION;
  constructor(from: SyncLoopStateKind, to: SyncLoopStateKind) {
    super(`illegal state transition ${from} -> ${to}`);
    this.name = "IllegalTransitionError";
  }
}

export function canTransition(from: SyncLoopStateKind, to: SyncLoopStateKind): boolean {
  return ALLOWED[from].includes(to);
}

/** The new tracked state and the change to publish; throws on an illegal move. */
export function transition(current: TrackedState, to: SyncLoopState, nowMs: number): { next: TrackedState; change: StateChange } {
  const from = current.state.kind;
  if (!canTransition(from, to.kind)) throw new IllegalTransitionError(from, to.kind);
  return {
    next: { state: to, enteredAtMs: nowMs },
    change: { from, to: to.kind, durationMs: Math.max(0, nowMs - current.enteredAtMs), state: to },
  };
}
