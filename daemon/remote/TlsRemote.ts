// The daemon's authenticated request/reply channel to its own atServer (AtRemote in
// daemon/ports.ts). It connects lazily, logs in with PKAM, runs one request at a time,
// and after any transport failure starts afresh on the next request. It never retries
// by itself: the sync driver owns backoff.
import { inspect } from "node:util";
import { redactedLabel } from "../../protocol/protectAtKeys.js";
import { normalizeAtSign } from "../../protocol/atKey.js";
import { AtProtocolError } from "../../protocol/errors.js";
import { parseReply } from "../../protocol/framing.js";
import type { AtRemote, Logger } from "../ports.js";
import { AtConnection } from "./AtConnection.js";
import { LocalProtocolError, RemoteUnavailableError } from "./errors.js";
import { DEFAULT_CONNECT_TIMEOUT_MS, dialAtServer, loginWithPkam, type AtServerAccess } from "./openAtServer.js";

export interface TlsRemoteOptions extends AtServerAccess {
  requestTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 90_000;
/** The atServer's inbound buffer (atprotocol.md §1.2); a bigger command gets AT0005 and a closed connection. */
export const MAX_COMMAND_BYTES = 10_240_000;

export class TlsRemote implements AtRemote {
  private readonly atSign: string;
  private readonly log: Logger;
  private readonly requestTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private conn: AtConnection | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Aborts the connect and login under way, so close() need not wait for their timeouts. */
  private connecting: AbortController | undefined;

  constructor(private readonly opts: TlsRemoteOptions) {
    this.atSign = normalizeAtSign(opts.atSign);
    this.log = opts.logger.child({ component: "TlsRemote" });
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  /** Holds keys: logs and inspection show only the atSign. */
  [inspect.custom](): string {
    return redactedLabel("TlsRemote", this.atSign);
  }

  toJSON(): string {
    return redactedLabel("TlsRemote", this.atSign);
  }

  get connected(): boolean {
    return this.conn?.isOpen === true;
  }

  request(command: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<string> {
    if (/[\r\n]/u.test(command)) {
      return Promise.reject(new LocalProtocolError("AT0022", "a command must be a single line"));
    }
    if (Buffer.byteLength(command) + 1 > MAX_COMMAND_BYTES) {
      return Promise.reject(new LocalProtocolError("AT0005", "command exceeds the server's buffer limit"));
    }
    const run = this.tail.then(() => this.run(command, opts));
    // The chain must survive a failed request; the caller still sees the failure.
    this.tail = run.catch(() => undefined);
    const signal = opts.signal;
    if (!signal) return run;
    // A request still waiting its turn settles as soon as it is aborted (run() then skips it).
    return new Promise<string>((resolve, reject) => {
      const onAbort = (): void => reject(abortReason(signal));
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
      void run.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.connecting?.abort();
    const conn = this.conn;
    this.conn = undefined;
    if (conn) await conn.close();
    await this.tail;
  }

  private async run(command: string, opts: { timeoutMs?: number; signal?: AbortSignal }): Promise<string> {
    if (this.closed) throw new RemoteUnavailableError("closed", "remote is closed");
    opts.signal?.throwIfAborted();
    const conn = await this.ensureConnection();
    const reply = parseReply(
      await conn.request(command, {
        timeoutMs: opts.timeoutMs ?? this.requestTimeoutMs,
        ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
      }),
    );
    if (reply.kind === "error") throw new AtProtocolError(reply.code, reply.message);
    return reply.data;
  }

  private async ensureConnection(): Promise<AtConnection> {
    if (this.conn?.isOpen) return this.conn;
    this.conn = undefined;
    const abort = new AbortController();
    this.connecting = abort;
    try {
      return await this.connect(abort.signal);
    } finally {
      if (this.connecting === abort) this.connecting = undefined;
    }
  }

  private async connect(signal: AbortSignal): Promise<AtConnection> {
    const { resolver, clock } = this.opts;
    const closedError = (): RemoteUnavailableError => new RemoteUnavailableError("closed", "remote is closed");
    const attempt = { atSign: this.atSign, timeoutMs: this.connectTimeoutMs, signal, aborted: closedError };
    const started = clock.now();
    const { socket, address } = await dialAtServer(this.opts, attempt).catch((err: unknown) => {
      // The root's answer may be stale (the atServer moved): ask again next time.
      if (!signal.aborted) resolver.invalidate(this.atSign);
      throw err;
    });
    const conn = new AtConnection(socket, clock);
    try {
      await loginWithPkam(conn, this.opts, attempt);
    } catch (err) {
      if (!signal.aborted) this.log.warn("authentication failed", { error: errorName(err) });
      throw err;
    }
    if (this.closed) {
      await conn.close();
      throw closedError();
    }
    conn.onClose((err) => {
      if (!this.closed) this.log.info("connection lost", { reason: err.reason });
    });
    this.log.info("connected", { server: `${address.host}:${address.port}`, ms: clock.now() - started });
    this.conn = conn;
    return conn;
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The operation was aborted", "AbortError");
}

function errorName(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === "string" ? `${err.name} ${code}` : err.name;
  }
  return "unknown";
}
