// workerData fields beyond protocol.ts's WorkerData (proposed for it: logLevel, keyStore):
// read leniently, with defaults, so an older main still starts a worker.
import type { KeyStoreKind } from "../../shared/status.js";

export interface WorkerExtras {
  logLevel: "error" | "warn" | "info" | "debug";
  keyStore: KeyStoreKind;
}

const LEVELS = new Set(["error", "warn", "info", "debug"]);

export function readWorkerExtras(data: unknown): WorkerExtras {
  const d = typeof data === "object" && data !== null ? (data as Record<string, unknown>) : {};
  const logLevel = typeof d.logLevel === "string" && LEVELS.has(d.logLevel) ? (d.logLevel as WorkerExtras["logLevel"]) : "info";
  const keyStore: KeyStoreKind = d.keyStore === "keychain" ? "keychain" : "file";
  return { logLevel, keyStore };
}
