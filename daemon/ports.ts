// The narrow interfaces between the sync core and the world (house-style §2).
// Adapters implement them (SystemClock, TlsRemote, SqliteStore, a winston logger);
// the core never sees an adapter class.

export interface Disposable {
  dispose(): void;
}

/** All time goes through a Clock, so tests can drive it. */
export interface Clock {
  now(): number;
  setTimer(ms: number, fn: () => void): Disposable;
}

export type LogFields = Record<string, unknown>;

/** Structured logging; never pass secrets in `msg` or `fields`. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(bindings: LogFields): Logger;
}

/**
 * An authenticated request/reply channel to one atSign's own atServer.
 * `request` sends one command (without the trailing newline) and resolves with the
 * reply payload after `data:` (e.g. "27" for `data:27`); an `error:` reply rejects with
 * an AtProtocolError (protocol/errors.ts) carrying the AT code; a transport failure
 * (closed socket, timeout) rejects with a RemoteUnavailableError. Requests are
 * serialized: at most one is on the wire at a time.
 */
export interface AtRemote {
  request(command: string, opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<string>;
  readonly connected: boolean;
  close(): Promise<void>;
}

/** A `notification: {json}` line from a monitor connection (the wire shape, shared with the dev-server). */
export type { AtNotification } from "../protocol/notification.js";
