// Frame shapes of the RPC: newline-delimited JSON-RPC 2.0 over a Unix socket.
// Every inbound frame is parsed from `unknown` into one of these unions at the edge
// (house-style §15). Batches are not supported: an array frame is an InvalidRequest,
// which keeps per-request cancellation and backpressure simple.

import type { ErrorObject } from "./errors.js";
import type { FrameLimits } from "./FrameSplitter.js";

/**
 * Bumped on any incompatible change to methods, params, results or events. 3: `keys.list` answers
 * in pages (a client of 2 would take the first page for the whole list), and a status may be `starting`.
 */
export const PROTOCOL_VERSION = 3;

/**
 * One frame (one line, without its newline) may not exceed this many bytes. The largest real
 * request is a `keys.put` of a MAX_VALUE_BYTES value: 10,230,126 bytes as ASCII, 11,764,627 when
 * the value is a JSON document (its quotes escaped); `keys.putMany` of 10,000 items with 1 KiB
 * values is 10,870,095 and `identities.onboard` about 6 KB (bench/bad-frames.ts). 16 MiB leaves
 * room for values with heavier escaping.
 */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/**
 * Deepest nesting of arrays and objects in a request, the frame's own object counting 1.
 * `keys.putMany` is the deepest real request, at 5 (frame, params, items, item, metadata).
 */
export const MAX_FRAME_DEPTH = 16;

/**
 * Most values in a request, counted as opening brackets plus commas outside strings.
 * `keys.putMany` of 10,000 items with every metadata field, the most a real request holds,
 * counts 100,006 (bench/bad-frames.ts runs the scanner over it); twice that bounds what JSON.parse
 * of one frame may build.
 */
export const MAX_FRAME_VALUES = 200_000;

/** The daemon's limits on each frame from a client. */
export const REQUEST_FRAME_LIMITS: FrameLimits = { maxBytes: MAX_FRAME_BYTES, maxDepth: MAX_FRAME_DEPTH, maxValues: MAX_FRAME_VALUES };

/**
 * The client's limits on each frame from the daemon: replies grow with the store (conflicts.list),
 * so no count of values, but nothing a daemon sends nests near 64 deep.
 */
export const REPLY_FRAME_LIMITS: FrameLimits = { maxBytes: MAX_FRAME_BYTES + 1024, maxDepth: 64, maxValues: Number.POSITIVE_INFINITY };

/**
 * Keys in one `keys.list` page when the request names no limit, and the most it may name. A key is
 * at most 255 UTF-16 units, about 1 KB as escaped UTF-8 at worst, so a page of the most fits a frame.
 */
export const DEFAULT_LIST_LIMIT = 1000;
export const MAX_LIST_LIMIT = 10_000;

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

/** A frame that opens `{"jsonrpc":"2.0","id":…` or `{"id":…`, as every request and reply atsyncd writes does. */
const LEADING_ID = /^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*(-?\d{1,16}|"(?:[^"\\]|\\.){0,256}")\s*[,}]/u;

/**
 * The id of a frame refused unread (over a frame limit), from its first bytes, so the error
 * reply can name the request; null when the frame does not start with its id.
 */
export function leadingFrameId(head: Uint8Array): RequestId | null {
  const m = LEADING_ID.exec(new TextDecoder().decode(head));
  if (!m?.[1]) return null;
  let id: unknown;
  try {
    id = JSON.parse(m[1]);
  } catch {
    return null;
  }
  return isRequestId(id) ? id : null;
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
