// The sync connection's state machine: every move goes through transition(), which refuses
// illegal ones and says how long the previous state lasted (house-style §9).
import { InternalCode } from "../../shared/errors.js";

export type ConnectionState =
  | { kind: "offline" }
  | { kind: "connecting"; attempt: number }
  | { kind: "online"; sinceMs: number }
  | { kind: "backoff"; untilMs: number; lastError: string }
  | { kind: "needs-attention"; code: string; reason: string };

export type ConnectionStateKind = ConnectionState["kind"];

const ALLOWED: Readonly<Record<ConnectionStateKind, readonly ConnectionStateKind[]>> = {
  offline: ["connecting", "needs-attention"],
  connecting: ["online", "backoff", "needs-attention", "offline"],
  online: ["backoff", "needs-attention", "offline"],
  backoff: ["connecting", "needs-attention", "offline"],
  "needs-attention": ["connecting", "offline"],
};

export interface TrackedState {
  state: ConnectionState;
  enteredAtMs: number;
}

export interface StateChange {
  from: ConnectionStateKind;
  to: ConnectionStateKind;
  durationMs: number;
  state: ConnectionState;
}

export class IllegalTransitionError extends Error {
  readonly code = InternalCode.ATSYNC_ILLEGAL_TRANSITION;
  constructor(from: ConnectionStateKind, to: ConnectionStateKind) {
    super(`illegal state transition ${from} -> ${to}`);
    this.name = "IllegalTransitionError";
  }
}

export function canTransition(from: ConnectionStateKind, to: ConnectionStateKind): boolean {
  return ALLOWED[from].includes(to);
}

/** The new tracked state and the change to publish; throws on an illegal move. */
export function transition(current: TrackedState, to: ConnectionState, nowMs: number): { next: TrackedState; change: StateChange } {
  const from = current.state.kind;
  if (!canTransition(from, to.kind)) throw new IllegalTransitionError(from, to.kind);
  return {
    next: { state: to, enteredAtMs: nowMs },
    change: { from, to: to.kind, durationMs: Math.max(0, nowMs - current.enteredAtMs), state: to },
  };
}
