// The contract between the main thread and one atSign's worker, over the worker's port.
// Both sides parse what they receive from `unknown` (parseMainToWorker / parseWorkerToMain):
// a malformed message is a bug on the other side, reported, never trusted.
import type { AtKeys } from "../../protocol/atKeysFile.js";
import { protectAtKeys } from "../../protocol/protectAtKeys.js";
import { InternalCode, type ErrorObject } from "../../shared/errors.js";
import { EventKinds, type EventInput } from "../../shared/events.js";
import type { SyncStatus } from "../../shared/status.js";
// Type-only: DaemonConfig.ts loads node-cron, which a worker has no use for.
import type { AtSignConfig, LogLevel } from "../config/DaemonConfig.js";

/** What a worker is started with (`new Worker(url, { workerData })`). Holds secrets: never log it. */
export interface WorkerData {
  atSign: string;
  dataDir: string;
  keys: AtKeys;
  config: AtSignConfig;
  /** The daemon's log level, for the worker's own logger (createLogger in the worker). Default "info". */
  logLevel?: LogLevel;
}

/** A failure the worker answers with: `AtsyncError#toJSON()`, `code` from shared/errors.ts. */
export type WireError = ErrorObject;

/** Why main pokes a worker outside any request: a cron tick or a network change (reconnect now). */
export const TriggerReasons = ["schedule", "network"] as const;
export type TriggerReason = (typeof TriggerReasons)[number];

export type RequestMessage = { type: "request"; id: number; method: string; params: unknown };
export type CancelMessage = { type: "cancel"; id: number };
export type TriggerMessage = { type: "trigger"; reason: TriggerReason };
export type ShutdownMessage = { type: "shutdown" };
export type MainToWorker = RequestMessage | CancelMessage | TriggerMessage | ShutdownMessage;
/**
 * Several messages in one postMessage, handled in order as if posted one by one (MessageBatcher.ts):
 * each postMessage costs a structured clone, a wake-up and a message event on the other side.
 */
export type BatchMessage<M> = { type: "batch"; messages: M[] };
/**
 * Replies with serialized results, several in one string: a line `<id> <json>` each (JSON text
 * holds no raw newline). Structured clone copies one string at memcpy speed, where a reply object
 * each cost ~1 µs more to clone and rebuild (packReplies; unbatch expands it).
 */
export type PackedRepliesMessage = { type: "replies"; text: string };

export type ReadyMessage = { type: "ready" };
/**
 * `json`: the result already serialized (JSON), as the worker sends it, so that main writes it into
 * the app's reply as it is, with no structured clone of the object and no second JSON encode.
 * `result` (an object) is accepted too.
 */
export type ReplyMessage =
  | { type: "reply"; id: number; result: unknown }
  | { type: "reply"; id: number; json: string }
  | { type: "reply"; id: number; error: WireError };
/** A worker event, without `seq` (the main thread's hub assigns it). */
export type EventMessage = { type: "event"; event: EventInput };
/** The worker's current SyncStatus, pushed when it changes. */
export type StatusMessage = { type: "status"; status: SyncStatus };
export type WorkerToMain = ReadyMessage | ReplyMessage | EventMessage | StatusMessage;

/**
 * Named exit codes (house-style §13). A worker that cannot go on calls `process.exit(code)`;
 * the supervisor restarts it with backoff, except for the codes in NO_RESTART_EXIT_CODES,
 * where a restart cannot help and the atSign is marked failed at once.
 * An uncaught exception exits with 1 (Node's own choice).
 */
export const WorkerExitCode = {
  Clean: 0,
  Uncaught: 1,
  StoreCorrupt: 70,
  SchemaTooNew: 71,
  KeysInvalid: 72,
  ConfigInvalid: 73,
} as const;
export type WorkerExitCode = (typeof WorkerExitCode)[keyof typeof WorkerExitCode];

export const NO_RESTART_EXIT_CODES: ReadonlySet<number> = new Set([WorkerExitCode.SchemaTooNew, WorkerExitCode.KeysInvalid, WorkerExitCode.ConfigInvalid]);

export function exitCodeName(code: number): string {
  const name = Object.entries(WorkerExitCode).find(([, v]) => v === code)?.[0];
  return name ?? `exit code ${code}`;
}

export class WorkerProtocolError extends Error {
  readonly code = InternalCode.WORKER_PROTOCOL;
  constructor(message: string) {
    super(message);
    this.name = "WorkerProtocolError";
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isId(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function typeOf(msg: unknown): string {
  if (!isRecord(msg)) throw new WorkerProtocolError(`message is not an object (${msg === null ? "null" : typeof msg})`);
  if (typeof msg.type !== "string") throw new WorkerProtocolError("message has no string `type`");
  return msg.type;
}

function needId(msg: Record<string, unknown>, type: string): number {
  if (!isId(msg.id)) throw new WorkerProtocolError(`${type} message needs a non-negative integer \`id\``);
  return msg.id;
}

export function parseMainToWorker(msg: unknown): MainToWorker {
  const type = typeOf(msg);
  const m = msg as Record<string, unknown>;
  switch (type) {
    case "request": {
      const id = needId(m, type);
      if (typeof m.method !== "string" || m.method === "") throw new WorkerProtocolError("request message needs a string `method`");
      return { type, id, method: m.method, params: m.params };
    }
    case "cancel":
      return { type, id: needId(m, type) };
    case "trigger": {
      const reason = m.reason;
      if (typeof reason !== "string" || !(TriggerReasons as readonly string[]).includes(reason)) {
        throw new WorkerProtocolError(`trigger message needs a reason among ${TriggerReasons.join(", ")}`);
      }
      return { type, reason: reason as TriggerReason };
    }
    case "shutdown":
      return { type };
    default:
      throw new WorkerProtocolError(`unknown message type ${JSON.stringify(type)} from main`);
  }
}

/**
 * The messages one postMessage carried, in order: a batch's, or the message itself. A batch of
 * batches is refused (neither side makes one). Each message is still parsed on its own.
 */
export function unbatch(raw: unknown): unknown[] {
  if (!isRecord(raw) || (raw.type !== "batch" && raw.type !== "replies")) return [raw];
  if (raw.type === "replies") return unpackReplies(raw);
  const list = raw.messages;
  if (!Array.isArray(list)) throw new WorkerProtocolError("batch message needs an array `messages`");
  const out: unknown[] = [];
  for (const m of list) {
    if (isRecord(m) && m.type === "batch") throw new WorkerProtocolError("a batch message may not hold a batch");
    if (isRecord(m) && m.type === "replies") out.push(...unpackReplies(m));
    else out.push(m);
  }
  return out;
}

/**
 * The messages to post for a batch, runs of replies with serialized results packed into one
 * PackedRepliesMessage each, in order: what unbatch gives back on the other side.
 */
export function packReplies(messages: readonly WorkerToMain[]): Array<WorkerToMain | PackedRepliesMessage> {
  const out: Array<WorkerToMain | PackedRepliesMessage> = [];
  let text = "";
  for (const m of messages) {
    if (m.type === "reply" && "json" in m) {
      text += `${m.id} ${m.json}\n`;
      continue;
    }
    if (text !== "") {
      out.push({ type: "replies", text });
      text = "";
    }
    out.push(m);
  }
  if (text !== "") out.push({ type: "replies", text });
  return out;
}

/** The reply messages of a PackedRepliesMessage; a malformed line is passed on as one (parseWorkerToMain refuses it alone). */
function unpackReplies(m: Record<string, unknown>): unknown[] {
  const text = m.text;
  if (typeof text !== "string") throw new WorkerProtocolError("replies message needs a string `text`");
  const out: unknown[] = [];
  let at = 0;
  while (at < text.length) {
    let nl = text.indexOf("\n", at);
    if (nl < 0) nl = text.length;
    const sp = text.indexOf(" ", at);
    const id = sp >= 0 && sp < nl ? Number(text.slice(at, sp)) : Number.NaN;
    out.push(isId(id) && sp + 1 < nl ? { type: "reply", id, json: text.slice(sp + 1, nl) } : { type: "reply", id: -1 });
    at = nl + 1;
  }
  return out;
}

function parseWireError(v: unknown): WireError {
  if (!isRecord(v) || typeof v.code !== "number" || !Number.isInteger(v.code) || typeof v.message !== "string") {
    throw new WorkerProtocolError("reply error needs an integer `code` and a string `message`");
  }
  return v.data === undefined ? { code: v.code, message: v.message } : { code: v.code, message: v.message, data: v.data };
}

export function parseWorkerToMain(msg: unknown): WorkerToMain {
  const type = typeOf(msg);
  const m = msg as Record<string, unknown>;
  switch (type) {
    case "ready":
      return { type };
    case "reply": {
      const id = needId(m, type);
      const hasError = "error" in m && m.error !== undefined;
      const hasJson = "json" in m && m.json !== undefined;
      const hasResult = "result" in m && m.result !== undefined;
      if (Number(hasError) + Number(hasJson) + Number(hasResult) !== 1) {
        throw new WorkerProtocolError("reply message needs exactly one of `result`, `json` and `error`");
      }
      if (hasError) return { type, id, error: parseWireError(m.error) };
      if (!hasJson) return { type, id, result: m.result };
      if (typeof m.json !== "string" || m.json === "") throw new WorkerProtocolError("reply `json` must be a non-empty string");
      return { type, id, json: m.json };
    }
    case "event": {
      // Shallow check: the worker is our own code; this catches contract drift, not attacks.
      const e = m.event;
      if (!isRecord(e) || typeof e.kind !== "string" || e.kind === "snapshot" || !(EventKinds as readonly string[]).includes(e.kind) || typeof e.atSign !== "string") {
        throw new WorkerProtocolError("event message needs an `event` with a known `kind` and an `atSign`");
      }
      return { type, event: e as unknown as EventInput };
    }
    case "status": {
      const st = m.status;
      if (!isRecord(st) || typeof st.atSign !== "string" || !isRecord(st.state) || typeof st.state.kind !== "string") {
        throw new WorkerProtocolError("status message needs a SyncStatus `status`");
      }
      return { type, status: st as unknown as SyncStatus };
    }
    default:
      throw new WorkerProtocolError(`unknown message type ${JSON.stringify(type)} from worker`);
  }
}

const KEY_FIELDS = ["pkamPublicKey", "encryptionPublicKey", "encryptionPrivateKey", "selfEncryptionKey"] as const;

/** Checks the shape of `workerData` in the worker; error messages name fields, never values. */
export function parseWorkerData(data: unknown): WorkerData {
  if (!isRecord(data)) throw new WorkerProtocolError("workerData is not an object");
  if (typeof data.atSign !== "string" || !data.atSign.startsWith("@")) throw new WorkerProtocolError("workerData.atSign must be an atSign");
  if (typeof data.dataDir !== "string" || data.dataDir === "") throw new WorkerProtocolError("workerData.dataDir must be a path");
  const keys = data.keys;
  if (!isRecord(keys)) throw new WorkerProtocolError("workerData.keys is not an object");
  for (const f of KEY_FIELDS) {
    if (typeof keys[f] !== "string" || keys[f] === "") throw new WorkerProtocolError(`workerData.keys.${f} is missing`);
  }
  const config = data.config;
  if (!isRecord(config) || !isRecord(config.rootServer) || typeof config.conflictPolicy !== "string" || !Array.isArray(config.namespaces)) {
    throw new WorkerProtocolError("workerData.config is not an AtSignConfig");
  }
  if (data.logLevel !== undefined && !["error", "warn", "info", "debug"].includes(String(data.logLevel))) {
    throw new WorkerProtocolError("workerData.logLevel is not a log level");
  }
  return data as unknown as WorkerData;
}

/**
 * What the worker does with its `workerData` on arrival: checks its shape, and makes the keys
 * print redacted again (a structured clone drops the hooks protectAtKeys puts on them).
 */
export function receiveWorkerData(data: unknown): WorkerData {
  const parsed = parseWorkerData(data);
  protectAtKeys(parsed.keys);
  return parsed;
}
