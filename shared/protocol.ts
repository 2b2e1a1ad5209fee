// Frame shapes of the RPC: newline-delimited JSON-RPC 2.0 over a Unix socket.
// Every inbound frame is parsed from `unknown` into one of these unions at the edge
// (house-style §15). Batches are not supported: an array frame is an InvalidRequest,
// which keeps per-request cancellation and backpressure simple.

import type { ErrorObject } from "./errors.js";

/** Bumped on any incompatible change to methods, params, results or events. */
export const PROTOCOL_VERSION = 2;

/** One frame (one line, without its newline) may not exceed this many bytes. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** The largest value `keys.put` accepts, in UTF-8 bytes (the reference SDK's `maxDataSize`). */
export const MAX_VALUE_BYTES = 10_230_000;

/** Notification a client sends to abort one of its requests. */
export const CANCEL_METHOD = "$/cancel";
/** Notification the daemon sends for each event of a subscription. */
export const EVENT_METHOD = "events.event";

export type RequestId = string | number;

export interface RequestFrame {
  jsonrpc: "2.0";
  id: RequestId;
  method: string;
  params?: unknown;
}
export interface NotificationFrame {
  jsonrpc: "2.0";
  method: string;
  params?: unknown;
}
export interface SuccessFrame {
  jsonrpc: "2.0";
  id: RequestId;
  result: unknown;
}
export interface ErrorFrame {
  jsonrpc: "2.0";
  id: RequestId | null;
  error: ErrorObject;
}
export type ResponseFrame = SuccessFrame | ErrorFrame;

export interface CancelParams {
  id: RequestId;
}

/** What the daemon makes of one frame from a client. */
export type ClientFrame =
  | { kind: "request"; frame: RequestFrame }
  | { kind: "notification"; frame: NotificationFrame }
  | { kind: "invalid"; id: RequestId | null; message: string };

/** What a client makes of one frame from the daemon. */
export type DaemonFrame =
  | { kind: "response"; frame: ResponseFrame }
  | { kind: "notification"; frame: NotificationFrame }
  | { kind: "invalid"; message: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isRequestId(v: unknown): v is RequestId {
  return (typeof v === "string" && v.length <= 256) || (typeof v === "number" && Number.isSafeInteger(v));
}

export function parseClientFrame(value: unknown): ClientFrame {
  if (Array.isArray(value)) return { kind: "invalid", id: null, message: "batch requests are not supported: send one request per line" };
  if (!isRecord(value)) return { kind: "invalid", id: null, message: "a frame must be a JSON object" };
  const id = "id" in value ? value.id : undefined;
  const replyId = isRequestId(id) ? id : null;
  if (value.jsonrpc !== "2.0") return { kind: "invalid", id: replyId, message: "'jsonrpc' must be \"2.0\"" };
  if (typeof value.method !== "string" || value.method === "") {
    return { kind: "invalid", id: replyId, message: "'method' must be a non-empty string" };
  }
  if (value.params !== undefined && !isRecord(value.params) && !Array.isArray(value.params)) {
    return { kind: "invalid", id: replyId, message: "'params' must be an object" };
  }
  if (id === undefined) {
    return { kind: "notification", frame: { jsonrpc: "2.0", method: value.method, params: value.params } };
  }
  if (!isRequestId(id)) return { kind: "invalid", id: null, message: "'id' must be a string or an integer" };
  return { kind: "request", frame: { jsonrpc: "2.0", id, method: value.method, params: value.params } };
}

export function parseDaemonFrame(value: unknown): DaemonFrame {
  if (!isRecord(value) || value.jsonrpc !== "2.0") return { kind: "invalid", message: "not a JSON-RPC 2.0 object" };
  if (typeof value.method === "string" && value.id === undefined) {
    return { kind: "notification", frame: { jsonrpc: "2.0", method: value.method, params: value.params } };
  }
  const id = value.id;
  if (id !== null && !isRequestId(id)) return { kind: "invalid", message: "response without a valid id" };
  if ("result" in value && id !== null) return { kind: "response", frame: { jsonrpc: "2.0", id, result: value.result } };
  const err = value.error;
  if (isRecord(err) && typeof err.code === "number" && typeof err.message === "string") {
    const error: ErrorObject = err.data === undefined ? { code: err.code, message: err.message } : { code: err.code, message: err.message, data: err.data };
    return { kind: "response", frame: { jsonrpc: "2.0", id, error } };
  }
  return { kind: "invalid", message: "response with neither result nor error" };
}
