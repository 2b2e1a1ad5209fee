// One client connection: frames in, dispatch, replies out. Writes go through the
// socket in order (Node serializes them); reading pauses while the socket's write
// buffer is full or too many requests are in flight, so a client that does not read
// its replies cannot make the daemon buffer without bound. One read is handled for at most
// FRAMES_PER_READ frames before the connection yields the event loop (the rest of the chunk
// waits, reading paused), so a flood of tiny frames, each cheap, cannot hold the loop for long.
// Replies that arrive from workers one message at a time are gathered and written once
// per event-loop turn (setImmediate runs right after the poll phase that delivered them),
// and held back while requests that arrived in the same read (or earlier) are still in
// flight (at most `replyHoldMs`, at most HOLD_MAX_CHARS), so a pipelining client gets its burst
// answered in one write: per-reply writes (and the client wake-up each costs) were the
// largest cost under load. A lone request's reply goes out in the same turn, unheld.

import type { Duplex } from "node:stream";
import type { Clock, Disposable, Logger } from "../ports.js";
import { AtsyncError, ErrorCode, type ErrorObject } from "../../shared/errors.js";
import type { ConnectionId } from "../../shared/ids.js";
import { RpcHello } from "../../shared/methods.js";
import { FrameSplitter, type FrameLimits, type FrameRefusal } from "../../shared/FrameSplitter.js";
import { CANCEL_METHOD, PROTOCOL_VERSION, leadingFrameId, parseClientFrame, type RequestFrame, type RequestId } from "../../shared/protocol.js";
import type { AtsyncEvent } from "../../shared/events.js";
import { toErrorObject } from "./errorBoundary.js";
import { isThenable } from "../thenable.js";
import { InflightRequest } from "./InflightRequest.js";
import type { LargeFrameGate } from "./LargeFrameGate.js";
import { RawJson } from "./RawJson.js";
import type { Handler, RpcPeer } from "./types.js";

/** Default longest a finished reply waits for its siblings still in flight. */
export const DEFAULT_REPLY_HOLD_MS = 1;
/** Above this much gathered output, write at once. */
const HOLD_MAX_CHARS = 64 * 1024;
/**
 * Frames handled from one read before the connection yields to the event loop. A 64 KiB read of
 * two-byte bad frames is 32,768 parse errors of ~8 µs each: handled at once, a quarter of a
 * second per read and several seconds per turn for every other client; 256 are about 2 ms.
 */
const FRAMES_PER_READ = 256;

export interface Registry {
  /** True while the server drains for shutdown: new requests are refused with ShuttingDown. */
  readonly draining: boolean;
  lookup(method: string): { validate: (v: unknown, path: string) => unknown; handler: Handler<unknown, unknown> } | undefined;
}

/**
 * What a connection may do beyond what every method allows: the web listener's per-app scope
 * (daemon/web/appScope.ts). Given the validated params, it throws an AtsyncError to refuse the
 * request or returns the params the handler gets (narrowed to the app's grant). The Unix socket
 * has none: its peers are the user's own processes (SECURITY.md).
 */
export type RequestGuard = (method: string, params: unknown, peer: RpcPeer) => unknown;

/** A connection's guard, and what it narrows of what the connection is sent (an app's grant: daemon/web/appScope.ts). */
export interface ConnectionScope {
  guard: RequestGuard;
  /** The result of `method` as this connection gets it; default: as it is. */
  narrowResult?(method: string, result: unknown): unknown;
  /** An event as this connection's subscriptions get it; default: as it is. */
  narrowEvent?(event: AtsyncEvent): AtsyncEvent;
}

export interface ConnectionOptions {
  daemonVersion: string;
  /** Bytes, depth and values one frame may have (REQUEST_FRAME_LIMITS). */
  frameLimits: FrameLimits;
  maxInFlight: number;
  /** Longest a finished reply waits for requests of the same read still in flight. */
  replyHoldMs: number;
  /** The daemon-wide cap on connections holding a large incomplete frame (LargeFrameGate.ts); none: no cap. */
  frameGate?: LargeFrameGate;
}

export class RpcConnection implements RpcPeer {
  private readonly splitter: FrameSplitter;
  private readonly inflight = new Map<RequestId, InflightRequest>();
  private readonly closeFns = new Set<() => void>();
  private helloDone = false;
  private writeBlocked = false;
  private paused = false;
  private isClosed = false;
  private refused = false;
  /** Its incomplete frame has grown past the gate's largeBytes and every place is taken: reading waits for one. */
  private gateWait = false;
  private readonly gateOpened = (): void => {
    this.gateWait = false;
    this.updateFlow();
  };
  /** The unhandled rest of a read, after the connection yielded or had to wait: reading is paused until it is handled. */
  private rest: Buffer | undefined;
  private restScheduled = false;
  private framesThisRead = 0;
  private idleWaiters: (() => void)[] = [];
  /** Output gathered during this event-loop turn, written once at its end (one syscall, not one per reply). */
  private batch = "";
  private flushScheduled = false;
  private holdTimer: Disposable | undefined;
  /** Counts reads: requests of one read form a burst whose replies are written together. */
  private readGen = 0;
  /** The latest burst with a reply in `batch`. */
  private heldGen = 0;
  private readonly endOfTurn = (): void => {
    this.flushScheduled = false;
    if (this.batch === "") return;
    if (this.oldestInflightGen() <= this.heldGen && this.batch.length < HOLD_MAX_CHARS && !this.writeBlocked) {
      // The next reply schedules another check; the timer bounds the wait if none comes soon.
      this.holdTimer ??= this.clock.setTimer(this.opts.replyHoldMs, this.holdExpired);
      return;
    }
    this.flushBatch();
  };
  private readonly holdExpired = (): void => {
    this.holdTimer = undefined;
    this.flushBatch();
  };

  constructor(
    readonly id: ConnectionId,
    /** A Unix socket, or a WebSocket as a stream of newline-delimited frames (daemon/web/WebSocketStream.ts). */
    private readonly socket: Duplex,
    private readonly registry: Registry,
    private readonly opts: ConnectionOptions,
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly scope?: ConnectionScope,
  ) {
    this.splitter = new FrameSplitter(opts.frameLimits);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("drain", () => {
      this.writeBlocked = false;
      this.updateFlow();
    });
    socket.on("error", (err: NodeJS.ErrnoException) => log.debug("rpc connection error", { connection: id, code: err.code }));
    socket.on("close", () => this.onSocketClose());
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Resolves once no request of this connection is in flight (or it closed). */
  whenIdle(): Promise<void> {
    if (this.inflight.size === 0 || this.isClosed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get bufferedBytes(): number {
    // The gathered batch counts too (in UTF-16 units: a slow-consumer bound, not an exact size).
    return this.socket.writableLength + this.batch.length;
  }

  narrowEvent(event: AtsyncEvent): AtsyncEvent {
    return this.scope?.narrowEvent ? this.scope.narrowEvent(event) : event;
  }

  notify(method: string, params: unknown): void {
    this.notifyRaw(method, JSON.stringify(params));
  }

  notifyRaw(method: string, paramsJson: string): void {
    this.out(`{"jsonrpc":"2.0","method":${JSON.stringify(method)},"params":${paramsJson}}\n`);
  }

  onClose(fn: () => void): Disposable {
    if (this.isClosed) {
      fn();
      return { dispose() {} };
    }
    this.closeFns.add(fn);
    return { dispose: () => this.closeFns.delete(fn) };
  }

  close(reason?: AtsyncError): void {
    if (this.isClosed) return;
    if (reason) this.log.warn("closing rpc connection", { connection: this.id, code: reason.code, reason: reason.message });
    // Replies already decided (a drain's last answers) go out before the cut, as they did unbatched.
    this.flushBatch();
    // A stuck client cannot read anything more, so no goodbye frame: just cut it off.
    this.socket.destroy();
    this.onSocketClose();
  }

  private readonly onFrameBound = (frame: Uint8Array): void => this.onFrame(frame);
  private readonly onRefusedBound = (r: FrameRefusal): void => this.onRefused(r);
  /** After each frame: may the split go on with the next frame of this read? */
  private readonly goOn = (): boolean => ++this.framesThisRead < FRAMES_PER_READ && !this.mustWait() && !this.isClosed;
  private readonly readRest = (): void => {
    this.restScheduled = false;
    const rest = this.rest;
    // Still waiting: updateFlow schedules this again once the connection may read.
    if (this.isClosed || rest === undefined || this.mustWait()) return;
    this.rest = undefined;
    this.readGen++;
    this.consume(rest);
    this.updateFlow();
  };

  private onData(chunk: Buffer): void {
    if (this.refused) return;
    this.readGen++;
    this.consume(chunk);
  }

  /** Handles the frames of `chunk` until this read's share is used or the connection must wait; the rest is kept in `rest`. */
  private consume(chunk: Buffer): void {
    this.framesThisRead = 0;
    let used = chunk.length;
    try {
      used = this.splitter.push(chunk, this.onFrameBound, this.onRefusedBound, this.goOn);
    } catch (err) {
      // Nothing may escape a socket callback (house-style §12).
      this.log.error("rpc frame handling failed", { connection: this.id, error: err instanceof Error ? err.message : String(err) });
    }
    if (used < chunk.length) {
      this.rest = chunk.subarray(used);
      this.updateFlow();
    }
    this.checkGate();
  }

  /** A large incomplete frame reads on only while it holds a place at the gate; a frame that ended gives its place up. */
  private checkGate(): void {
    const gate = this.opts.frameGate;
    if (gate === undefined || this.isClosed) return;
    if (this.splitter.pendingBytes <= gate.largeBytes) {
      gate.leave(this);
      return;
    }
    if (gate.enter(this, this.gateOpened)) return;
    this.gateWait = true;
    this.updateFlow();
  }

  /** Replies do not leave (the client does not read them) or too many requests are in flight. */
  private mustWait(): boolean {
    return this.writeBlocked || this.gateWait || this.inflight.size >= this.opts.maxInFlight;
  }

  /** A frame over a limit, dropped unread: an error reply (to its id when it leads with one), and the connection goes on. */
  private onRefused({ violation, head }: FrameRefusal): void {
    if (this.isClosed || this.refused) return;
    const l = this.opts.frameLimits;
    const [code, message] = violation === "depth"
      ? [ErrorCode.FrameTooDeep, `frame nests deeper than ${l.maxDepth} levels; it was dropped unread`]
      : violation === "values"
        ? [ErrorCode.FrameTooLarge, `frame holds more than ${l.maxValues} values; it was dropped unread`]
        : [ErrorCode.FrameTooLarge, `frame larger than ${l.maxBytes} bytes; it was dropped unread`];
    // Sizes and limits only: the frame itself may hold a secret.
    this.log.warn("rpc frame refused", { connection: this.id, violation });
    this.sendError(leadingFrameId(head), { code, message });
  }

  private onFrame(frame: Uint8Array): void {
    // After a refusal, the rest of the chunk is not ours to answer.
    if (this.isClosed || this.refused) return;
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString("utf8"));
    } catch (e) {
      this.sendError(null, { code: ErrorCode.ParseError, message: `parse error: ${e instanceof Error ? e.message : "invalid JSON"}` });
      return;
    }
    const parsed = parseClientFrame(value);
    switch (parsed.kind) {
      case "invalid":
        this.sendError(parsed.id, { code: ErrorCode.InvalidRequest, message: `invalid request: ${parsed.message}` });
        return;
      case "notification":
        if (parsed.frame.method === CANCEL_METHOD) this.cancel(parsed.frame.params);
        else this.log.debug("rpc notification ignored", { connection: this.id, method: parsed.frame.method });
        return;
      case "request":
        this.onRequest(parsed.frame);
        return;
    }
  }

  private cancel(params: unknown): void {
    const id = typeof params === "object" && params !== null ? (params as { id?: unknown }).id : undefined;
    if (typeof id !== "string" && typeof id !== "number") return;
    this.inflight.get(id)?.abort(new AtsyncError(ErrorCode.RequestCancelled, "request cancelled by the client"));
  }

  private onRequest(req: RequestFrame): void {
    const { id, method } = req;
    if (this.inflight.has(id)) {
      this.sendError(id, { code: ErrorCode.InvalidRequest, message: `invalid request: id ${JSON.stringify(id)} is already in flight` });
      return;
    }
    if (this.registry.draining) {
      this.sendError(id, { code: ErrorCode.ShuttingDown, message: "atsyncd is shutting down; retry once it is back" });
      return;
    }
    if (method === RpcHello.name) {
      this.hello(req);
      return;
    }
    if (!this.helloDone) {
      this.sendError(id, { code: ErrorCode.HandshakeRequired, message: `the first request must be ${RpcHello.name}` });
      return;
    }
    const entry = this.registry.lookup(method);
    if (!entry) {
      this.sendError(id, { code: ErrorCode.MethodNotFound, message: `method not found: ${method}` });
      return;
    }
    let params: unknown;
    try {
      params = entry.validate(req.params ?? {}, "");
      if (this.scope) params = this.scope.guard(method, params, this);
    } catch (err) {
      this.sendError(id, toErrorObject(err, method, this.log));
      return;
    }
    const job = new InflightRequest(this.id, this, this.readGen);
    this.inflight.set(id, job);
    this.updateFlow();
    let out: unknown;
    try {
      out = entry.handler(params, job);
    } catch (err) {
      this.finish(id, method, job, undefined, err);
      return;
    }
    if (isThenable(out)) {
      out.then((r) => this.finish(id, method, job, r, undefined), (e: unknown) => this.finish(id, method, job, undefined, e ?? new Error("rejected")));
    } else {
      this.finish(id, method, job, out, undefined);
    }
  }

  private hello(req: RequestFrame): void {
    let p;
    try {
      p = RpcHello.validate(req.params ?? {}, "");
    } catch (err) {
      this.sendError(req.id, toErrorObject(err, RpcHello.name, this.log));
      return;
    }
    if (p.protocolVersion !== PROTOCOL_VERSION) {
      this.sendError(req.id, {
        code: ErrorCode.ProtocolVersionMismatch,
        message: `protocol mismatch: the client speaks atsyncd protocol ${p.protocolVersion}, this daemon (${this.opts.daemonVersion}) speaks ${PROTOCOL_VERSION}; upgrade the older of the two`,
        data: { daemonProtocolVersion: PROTOCOL_VERSION, daemonVersion: this.opts.daemonVersion },
      });
      this.refused = true;
      this.flushBatch();
      this.socket.end(() => this.socket.destroy());
      return;
    }
    this.helloDone = true;
    this.log.debug("rpc client connected", { connection: this.id, client: p.client });
    this.send({ jsonrpc: "2.0", id: req.id, result: { protocolVersion: PROTOCOL_VERSION, daemonVersion: this.opts.daemonVersion } });
  }

  private finish(id: RequestId, method: string, req: InflightRequest, result: unknown, err: unknown): void {
    if (this.inflight.get(id) === req) this.inflight.delete(id);
    this.updateFlow();
    if (this.inflight.size === 0) this.wakeIdle();
    if (this.isClosed) return;
    if (err !== undefined) {
      this.sendError(id, toErrorObject(err, method, this.log));
      return;
    }
    let json: string;
    try {
      const narrow = this.scope?.narrowResult;
      if (result instanceof RawJson && narrow === undefined) {
        // The same frame JSON.stringify would make, key for key, around the result as serialized.
        json = `{"jsonrpc":"2.0","id":${typeof id === "number" ? id : JSON.stringify(id)},"result":${result.json}}`;
      } else {
        const value = result instanceof RawJson ? JSON.parse(result.json) as unknown : result;
        const out = narrow ? narrow(method, value) : value;
        json = JSON.stringify({ jsonrpc: "2.0", id, result: out === undefined ? null : out });
      }
    } catch (e) {
      this.sendError(id, toErrorObject(e, method, this.log));
      return;
    }
    if (req.gen > this.heldGen) this.heldGen = req.gen;
    this.writeReply(json);
    const hooks = req.takeHooks();
    if (hooks.length === 0) return;
    // A hook may close the connection or stop the daemon: the reply must be out first.
    this.flushBatch();
    for (const fn of hooks) {
      try {
        fn();
      } catch (e) {
        this.log.error("rpc afterReply hook failed", { method, error: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  private sendError(id: RequestId | null, error: ErrorObject): void {
    this.send({ jsonrpc: "2.0", id, error });
  }

  private send(frame: object): void {
    this.writeReply(JSON.stringify(frame));
  }

  private writeReply(json: string): void {
    this.out(json + "\n");
  }

  /** Every frame leaves through here, in order, into this turn's batch. */
  private out(line: string): void {
    if (this.isClosed) return;
    this.batch += line;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.endOfTurn);
    }
  }

  private flushBatch(): void {
    if (this.holdTimer !== undefined) {
      this.holdTimer.dispose();
      this.holdTimer = undefined;
    }
    const b = this.batch;
    if (b === "") return;
    this.batch = "";
    this.write(b);
  }

  private write(data: string): void {
    if (this.isClosed || this.socket.destroyed || !this.socket.writable) return;
    if (!this.socket.write(data)) {
      this.writeBlocked = true;
      this.updateFlow();
    }
  }

  private updateFlow(): void {
    if (this.isClosed) return;
    const wait = this.mustWait();
    // The rest of a read goes before anything read after it.
    const shouldPause = wait || this.rest !== undefined;
    if (shouldPause && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!shouldPause && this.paused) {
      this.paused = false;
      this.socket.resume();
    }
    if (!wait && this.rest !== undefined && !this.restScheduled) {
      this.restScheduled = true;
      setImmediate(this.readRest);
    }
  }

  /** The burst of the longest-waiting request in flight (Map order is arrival order). */
  private oldestInflightGen(): number {
    for (const r of this.inflight.values()) return r.gen;
    return Number.POSITIVE_INFINITY;
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private onSocketClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.opts.frameGate?.leave(this);
    this.holdTimer?.dispose();
    this.holdTimer = undefined;
    this.batch = "";
    const reason = new AtsyncError(ErrorCode.ConnectionClosed, "the client connection closed");
    for (const req of this.inflight.values()) req.abort(reason);
    this.inflight.clear();
    this.wakeIdle();
    for (const fn of this.closeFns) {
      try {
        fn();
      } catch (e) {
        this.log.error("rpc close hook failed", { connection: this.id, error: e instanceof Error ? e.message : String(e) });
      }
    }
    this.closeFns.clear();
  }
}
