// What the supervisor fans out to the RPC layer: the workers' own events and statuses,
// and its own view of each worker's lifecycle.
import type { EventInput } from "../../shared/events.js";
import type { SyncStatus } from "../../shared/status.js";
import type { WorkerState, WorkerStateKind } from "./WorkerState.js";

export type SupervisorEvent =
  | { kind: "worker.event"; atSign: string; event: EventInput }
  | { kind: "worker.status"; atSign: string; status: SyncStatus }
  | { kind: "worker.state"; atSign: string; from: WorkerStateKind; to: WorkerState; durationMs: number };

export interface WorkerInfo {
  atSign: string;
  state: WorkerState;
  /** Restarts after crashes since the atSign was added. */
  restarts: number;
  /** The last SyncStatus the worker pushed, kept across restarts; null before the first. */
  status: SyncStatus | null;
}
