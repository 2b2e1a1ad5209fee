// The lifecycle of one atSign's worker as the supervisor sees it (house-style §9): a tagged
// union, changed only through `checkTransition`, which refuses moves that make no sense.
import { InternalCode } from "../../shared/errors.js";

export type WorkerState =
  | { kind: "starting"; since: number; attempt: number }
  | { kind: "running"; since: number }
  | { kind: "backoff"; since: number; untilMs: number; attempt: number; lastError: string; lastExitCode: number | null }
  | { kind: "failed"; since: number; lastError: string; lastExitCode: number | null }
  | { kind: "stopping"; since: number }
  | { kind: "stopped"; since: number };

export type WorkerStateKind = WorkerState["kind"];

const LEGAL: Readonly<Record<WorkerStateKind, readonly WorkerStateKind[]>> = {
  starting: ["running", "backoff", "failed", "stopping"],
  running: ["backoff", "failed", "stopping"],
  backoff: ["starting", "stopping"],
  failed: ["starting", "stopping"],
  stopping: ["stopped"],
  stopped: [],
};

export class IllegalTransitionError extends Error {
  readonly code = InternalCode.ILLEGAL_TRANSITION;
  constructor(readonly from: WorkerStateKind, readonly to: WorkerStateKind) {
    super(`worker state cannot go from ${from} to ${to}`);
    this.name = "IllegalTransitionError";
  }
}

export function checkTransition(from: WorkerStateKind, to: WorkerStateKind): void {
  if (!LEGAL[from].includes(to)) throw new IllegalTransitionError(from, to);
}
