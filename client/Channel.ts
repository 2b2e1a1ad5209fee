// One connection to the daemon: request/response matching, cancellation with
// `$/cancel`, notifications handed to one listener, and every pending call rejected
// with ConnectionClosed when the socket drops (house-style §17).

import type { Socket } from "node:net";
import { AtsyncError, ErrorCode } from "../shared/errors.js";
import { RpcHello } from "../shared/methods.js";
import { CANCEL_METHOD, MAX_FRAME_BYTES, PROTOCOL_VERSION, parseDaemonFrame } from "../shared/protocol.js";
import type { HelloResult } from "../shared/types.js";
import { connectError } from "./connectError.js";
import { LineSplitter } from "./LineSplitter.js";

interface Pending {
  resolve(v: unknown): void;
  reject(e: AtsyncError): void;
  /** Runs synchronously as the response frame is read, before any later frame. */
  onResult?: (v: unknown) => void;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export type NotificationListener = (method: string, params: unknown) => void;

export class Channel {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private isClosed = false;
  private readonly closeFns = new Set<(err: AtsyncError) => void>();
  private readonly splitter = new LineSplitter(MAX_FRAME_BYTES + 1024);
  private outgoing: string | undefined;
  hello: HelloResult = { protocolVersion: PROTOCOL_VERSION, daemonVersion: "" };
  onNotification: NotificationListener = () => {};

  private constructor(private readonly socket: Socket, readonly socketPath: string) {
    socket.setNoDelay?.(true);
    socket.on("data", (chunk: Buffer) => {
      if (!this.splitter.push(chunk, (line) => this.onLine(line))) {
        this.fail(new AtsyncError(ErrorCode.FrameTooLarge, "the daemon sent a frame larger than the limit"));
      }
    });
    socket.on("error", () => {}); // 'close' follows and carries the consequence
    socket.on("close", () => this.fail(new AtsyncError(ErrorCode.ConnectionClosed, "the connection to atsyncd closed")));
  }

  /** Connects and performs the `rpc.hello` handshake. */
  static async open(makeSocket: () => Socket, socketPath: string, clientName: string, signal?: AbortSignal): Promise<Channel> {
    // An AtsyncError, like an abort during the connect: apps test for the code, not a DOMException.
    if (signal?.aborted) throw new AtsyncError(ErrorCode.RequestCancelled, "connect cancelled");
    const socket = makeSocket();
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        cleanup();
        socket.destroy();
        reject(connectError(err, socketPath));
      };
      const onAbort = (): void => {
        cleanup();
        socket.destroy();
        reject(new AtsyncError(ErrorCode.RequestCancelled, "connect cancelled"));
      };
      const onConnect = (): void => {
        cleanup();
        resolve();
      };
      const cleanup = (): void => {
        socket.off("error", onError);
        socket.off("connect", onConnect);
        signal?.removeEventListener("abort", onAbort);
      };
      socket.once("error", onError);
      socket.once("connect", onConnect);
      signal?.addEventListener("abort", onAbort, { once: true });
      // An injected socket may already be connected.
      if (!socket.connecting && !socket.destroyed && socket.readyState === "open") onConnect();
    });
    const ch = new Channel(socket, socketPath);
    try {
      ch.hello = (await ch.call(RpcHello.name, { protocolVersion: PROTOCOL_VERSION, client: clientName }, { signal })) as HelloResult;
    } catch (e) {
      ch.close();
      throw e;
    }
    return ch;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  call(method: string, params: unknown, opts: CallOptions & { onResult?: (v: unknown) => void } = {}): Promise<unknown> {
    const { signal } = opts;
    if (this.isClosed) return Promise.reject(new AtsyncError(ErrorCode.ConnectionClosed, "the connection to atsyncd is closed"));
    if (signal?.aborted) return Promise.reject(new AtsyncError(ErrorCode.RequestCancelled, `${method} was cancelled`));
    const id = this.nextId++;
    if (signal === undefined) {
      // No signal, nothing to detach: the promise's own functions are the pending entry.
      return new Promise<unknown>((resolve, reject) => {
        this.pending.set(id, { resolve, reject, onResult: opts.onResult });
        this.write({ jsonrpc: "2.0", id, method, params });
      });
    }
    return new Promise<unknown>((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.pending.delete(id)) return;
        this.write({ jsonrpc: "2.0", method: CANCEL_METHOD, params: { id } });
        reject(new AtsyncError(ErrorCode.RequestCancelled, `${method} was cancelled`));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      const done = (): void => signal.removeEventListener("abort", onAbort);
      this.pending.set(id, {
        resolve: (v) => {
          done();
          resolve(v);
        },
        reject: (e) => {
          done();
          reject(e);
        },
        onResult: opts.onResult,
      });
      this.write({ jsonrpc: "2.0", id, method, params });
    });
  }

  onClose(fn: (err: AtsyncError) => void): () => void {
    this.closeFns.add(fn);
    return () => this.closeFns.delete(fn);
  }

  close(): void {
    this.socket.destroy();
    this.fail(new AtsyncError(ErrorCode.ConnectionClosed, "the connection to atsyncd was closed by the client"));
  }

  /**
   * Frames written in the same tick leave in one socket write: many concurrent calls
   * cost one syscall, and a lone call waits only for the current microtasks.
   */
  private write(frame: object): void {
    if (this.isClosed) return;
    const line = JSON.stringify(frame) + "\n";
    if (this.outgoing !== undefined) {
      this.outgoing += line;
      return;
    }
    this.outgoing = line;
    queueMicrotask(() => {
      const out = this.outgoing;
      this.outgoing = undefined;
      if (out && !this.isClosed) this.socket.write(out);
    });
  }

  private onLine(line: Buffer): void {
    let value: unknown;
    try {
      value = JSON.parse(line.toString("utf8"));
    } catch {
      return; // a daemon bug; nothing useful to do with the frame
    }
    const f = parseDaemonFrame(value);
    if (f.kind === "notification") {
      try {
        this.onNotification(f.frame.method, f.frame.params);
      } catch {
        // A listener's failure must not break the connection for every other call.
      }
      return;
    }
    if (f.kind !== "response" || typeof f.frame.id !== "number") {
      if (f.kind === "response" && f.frame.id === null && "error" in f.frame && f.frame.error.code === ErrorCode.FrameTooLarge) {
        // The daemon refused a frame it could not read whole and closes next: say why.
        this.fail(AtsyncError.fromJSON(f.frame.error));
      }
      return;
    }
    const p = this.pending.get(f.frame.id);
    if (!p) return; // cancelled meanwhile
    this.pending.delete(f.frame.id);
    if ("error" in f.frame) {
      p.reject(AtsyncError.fromJSON(f.frame.error));
      return;
    }
    try {
      p.onResult?.(f.frame.result);
    } finally {
      p.resolve(f.frame.result);
    }
  }

  private fail(err: AtsyncError): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.socket.destroy();
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(err);
    for (const fn of this.closeFns) {
      try {
        fn(err);
      } catch {
        // listeners must not break shutdown
      }
    }
    this.closeFns.clear();
  }
}
