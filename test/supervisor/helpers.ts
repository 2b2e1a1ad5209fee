// Shared pieces of the supervisor tests: a supervisor over the echo worker, captured logs,
// and a bounded poll (tests wait for facts, never for time).
import { randomBytes } from "node:crypto";
import type { AtKeys } from "../../protocol/atKeysFile.js";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { configFor, defaultConfig } from "../../daemon/config/DaemonConfig.js";
import { createLogger } from "../../daemon/log/createLogger.js";
import { Supervisor, type SupervisorOptions } from "../../daemon/supervisor/Supervisor.js";
import type { SupervisorEvent } from "../../daemon/supervisor/SupervisorEvent.js";
import { AtsyncError } from "../../shared/errors.js";
import { rejectionOf } from "../remote/support/waitFor.js";

export const echoWorkerUrl = new URL("./fixtures/echoWorker.mjs", import.meta.url);

export function fakeKeys(atSign: string): AtKeys {
  const k = (): string => randomBytes(96).toString("base64");
  return { atSign, pkamPublicKey: k(), pkamPrivateKey: k(), encryptionPublicKey: k(), encryptionPrivateKey: k(), selfEncryptionKey: k() };
}

export interface Harness {
  sup: Supervisor;
  events: SupervisorEvent[];
  logs: string[];
}

export function makeSupervisor(dataDir: string, over: Partial<SupervisorOptions> = {}): Harness {
  const logs: string[] = [];
  const events: SupervisorEvent[] = [];
  const cfg = defaultConfig();
  const sup = new Supervisor({
    workerUrl: echoWorkerUrl,
    // The .mjs entry registers tsx itself (see fixtures/echoWorker.mjs).
    execArgv: [],
    makeWorkerData: (atSign, keys) => ({ atSign, dataDir, keys, config: configFor(cfg, atSign) }),
    clock: new SystemClock(),
    logger: createLogger({ level: "debug", style: "json", sink: (l) => logs.push(l) }),
    backoff: { baseMs: 20, maxMs: 100, jitter: 0.1 },
    crashLimit: { maxCrashes: 4, windowMs: 60_000 },
    readyTimeoutMs: 15_000,
    shutdownTimeoutMs: 10_000,
    ...over,
  });
  sup.onEvent((e) => events.push(e));
  return { sup, events, logs };
}

export async function waitFor(what: string, pred: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function waitRunning(sup: Supervisor, atSign: string): Promise<void> {
  await waitFor(`${atSign} running`, () => sup.worker(atSign)?.state.kind === "running");
}

/** The AtsyncError a promise rejects with; anything else (or resolving) fails the test. */
export async function rejection(p: Promise<unknown>): Promise<AtsyncError> {
  const err = await rejectionOf(p);
  if (AtsyncError.is(err)) return err;
  throw err;
}
