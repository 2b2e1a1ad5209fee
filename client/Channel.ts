// One connection to the daemon: request/response matching, cancellation with
// `$/cancel`, notifications handed to one listener, and every pending call rejected
// with ConnectionClosed when the socket drops (house-style §17).

import type { Socket } from "node:net";
import { AtsyncError, ErrorCode } from "../shared/errors.js";
import { RpcHello } from "../shared/methods.js";
import { FrameSplitter, type FrameRefusal } from "../shared/FrameSplitter.js";
import { CANCEL_METHOD, MAX_FRAME_BYTES, PROTOCOL_VERSION, REPLY_FRAME_LIMITS, leadingFrameId, parseDaemonFrame } from "../shared/protocol.js";
import type { HelloResult } from "../shared/types.js";
import { connectError } from "./connectError.js";

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
  private readonly splitter = new FrameSplitter(REPLY_FRAME_LIMITS);
  private outgoing: string | undefined;
  hello: HelloResult = { protocolVersion: PROTOCOL_VERSION, daemonVersion: "" };
  onNotification: NotificationListener = () => {};

  private constructor(private readonly socket: Socket, readonly socketPath: string) {
    socket.setNoDelay?.(true);
    socket.on("data", (chunk: Buffer) => this.splitter.push(chunk, (line) => this.onLine(line), (r) => this.onRefused(r)));
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
    const line = JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n";
    const tooLarge = oversized(method, line);
    if (tooLarge) return Promise.reject(tooLarge);
    if (signal === undefined) {
      // No signal, nothing to detach: the promise's own functions are the pending entry.
      return new Promise<unknown>((resolve, reject) => {
        this.pending.set(id, { resolve, reject, onResult: opts.onResult });
        this.send(line);
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
      this.send(line);
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
    this.send(JSON.stringify(frame) + "\n");
  }

  private send(line: string): void {
    if (this.isClosed) return;
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

  /**
   * A frame from the daemon over the client's limits, dropped unread: the call it answers fails
   * with the limit's code and the connection goes on; when it names no call (an event), the
   * connection fails, so streams resubscribe from their last seq rather than miss an event.
   */
  private onRefused({ violation, head }: FrameRefusal): void {
    const limits = REPLY_FRAME_LIMITS;
    const err = violation === "depth"
      ? new AtsyncError(ErrorCode.FrameTooDeep, `the daemon sent a frame nested deeper than ${limits.maxDepth} levels`)
      : new AtsyncError(ErrorCode.FrameTooLarge, `the daemon sent a frame larger than ${limits.maxBytes} bytes`);
    const id = leadingFrameId(head);
    if (typeof id !== "number") {
      this.fail(err);
      return;
    }
    const p = this.pending.get(id);
    if (!p) return; // cancelled meanwhile
    this.pending.delete(id);
    p.reject(err);
  }

  private onLine(line: Uint8Array): void {
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString("utf8"));
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
      if (f.kind === "response" && f.frame.id === null && "error" in f.frame && isFrameRefusal(f.frame.error.code)) {
        // The daemon refused a frame it could not tell the id of: whichever call it was waits for
        // nothing, so fail them all, saying why.
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

function isFrameRefusal(code: number): boolean {
  return code === ErrorCode.FrameTooLarge || code === ErrorCode.FrameTooDeep;
}

/** A request the daemon would refuse unread: refused here, before a byte of it is sent. */
function oversized(method: string, line: string): AtsyncError | undefined {
  // A UTF-16 unit is at most 3 UTF-8 bytes: most frames need no byte count at all.
  if ((line.length - 1) * 3 <= MAX_FRAME_BYTES) return undefined;
  const bytes = Buffer.byteLength(line) - 1;
  if (bytes <= MAX_FRAME_BYTES) return undefined;
  return new AtsyncError(ErrorCode.FrameTooLarge, `${method} would be a ${bytes}-byte frame, more than the ${MAX_FRAME_BYTES} a request may have; nothing was sent`);
}
