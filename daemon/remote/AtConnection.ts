// One TLS connection to an atServer or root: writes one command at a time and matches
// the next reply to it (the server does not pipeline, atprotocol.md §1.2). Any transport
// failure fails the pending request and closes the connection for good.
import type { TLSSocket } from "node:tls";
import { MonitorReader, ReplyReader } from "../../protocol/framing.js";
import type { Clock, Disposable } from "../ports.js";
import { RemoteUnavailableError, describeSocketError } from "./errors.js";

/** More unframed bytes than this means the peer is not speaking the protocol. */
const MAX_PENDING_BYTES = 64 * 1024 * 1024;
const CLOSE_GRACE_MS = 2000;

interface Pending {
  resolve: (reply: string) => void;
  reject: (err: unknown) => void;
  timer: Disposable;
  cleanup: () => void;
}

export interface RequestOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

export type ConnectionMode =
  | { kind: "request" }
  | { kind: "monitor"; onNotification: (json: string) => void; onStrayReply: (reply: string) => void };

export class AtConnection {
  private readonly replyReader = new ReplyReader();
  private readonly monitorReader = new MonitorReader();
  private pending: Pending | undefined;
  private failure: RemoteUnavailableError | undefined;
  private readonly closeListeners: Array<(err: RemoteUnavailableError) => void> = [];
  private readonly closedPromise: Promise<void>;

  constructor(
    private readonly socket: TLSSocket,
    private readonly clock: Clock,
    private readonly mode: ConnectionMode = { kind: "request" },
  ) {
    this.closedPromise = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => this.fail(new RemoteUnavailableError("closed", `connection error: ${describeSocketError(err)}`)));
    socket.on("close", () => this.fail(new RemoteUnavailableError("closed", "connection closed")));
  }

  get isOpen(): boolean {
    return this.failure === undefined;
  }

  onClose(fn: (err: RemoteUnavailableError) => void): void {
    if (this.failure) fn(this.failure);
    else this.closeListeners.push(fn);
  }

  /** Sends one command and resolves with its reply (prompt stripped, `data:`/`error:` kept). */
  request(command: string, opts: RequestOptions): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error("AtConnection: a request is already in flight"));
    if (opts.signal?.aborted) return Promise.reject(abortReason(opts.signal));
    return new Promise<string>((resolve, reject) => {
      const onAbort = (): void => {
        const signal = opts.signal;
        // The reply may still come; the connection cannot be reused without it.
        this.fail(new RemoteUnavailableError("closed", "request aborted"), signal ? abortReason(signal) : undefined);
      };
      const timer = this.clock.setTimer(opts.timeoutMs, () => {
        this.fail(new RemoteUnavailableError("timeout", `no reply within ${opts.timeoutMs} ms`));
      });
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      this.pending = {
        resolve,
        reject,
        timer,
        cleanup: () => opts.signal?.removeEventListener("abort", onAbort),
      };
      this.socket.write(`${command}\n`);
    });
  }

  /** Writes a command that gets no reply (`monitor`, `@exit`). */
  send(command: string): void {
    if (!this.failure) this.socket.write(`${command}\n`);
  }

  /** Ends the connection politely (flushing `@exit` and the like); pending requests fail. */
  async close(): Promise<void> {
    if (this.failure) {
      await this.closedPromise;
      return;
    }
    this.fail(new RemoteUnavailableError("closed", "connection closed by client"), undefined, false);
    this.socket.end();
    // A peer that never closes its side must not hold us up.
    const timer = this.clock.setTimer(CLOSE_GRACE_MS, () => this.socket.destroy());
    await this.closedPromise;
    timer.dispose();
  }

  /** Drops the connection at once. */
  destroy(): void {
    this.fail(new RemoteUnavailableError("closed", "connection closed by client"));
  }

  private onData(chunk: Buffer): void {
    if (this.failure) return;
    if (this.mode.kind === "monitor") {
      for (const item of this.monitorReader.push(chunk)) {
        if (item.kind === "notification") this.mode.onNotification(item.json);
        else this.deliver(item.reply);
      }
    } else {
      for (const reply of this.replyReader.push(chunk)) this.deliver(reply);
      if (this.replyReader.pendingBytes > MAX_PENDING_BYTES) {
        this.fail(new RemoteUnavailableError("closed", "reply exceeds the size limit"));
      }
    }
  }

  private deliver(reply: string): void {
    const p = this.pending;
    if (!p && this.mode.kind === "monitor") {
      this.mode.onStrayReply(reply);
      return;
    }
    if (!p) {
      // A reply nobody asked for: the stream is out of step, so it cannot be trusted.
      this.fail(new RemoteUnavailableError("closed", "unexpected reply from server"));
      return;
    }
    this.pending = undefined;
    p.timer.dispose();
    p.cleanup();
    p.resolve(reply);
  }

  private fail(err: RemoteUnavailableError, pendingError?: unknown, destroy = true): void {
    if (this.failure) return;
    this.failure = err;
    const p = this.pending;
    this.pending = undefined;
    if (p) {
      p.timer.dispose();
      p.cleanup();
      p.reject(pendingError ?? err);
    }
    if (destroy) this.socket.destroy();
    for (const fn of this.closeListeners.splice(0)) fn(err);
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The operation was aborted", "AbortError");
}
