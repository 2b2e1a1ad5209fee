// The daemon's RPC endpoint: newline-delimited JSON-RPC 2.0 on a Unix socket (0600 in a
// 0700 directory; socketMode says the system-wide daemon's). Handlers are registered per
// method descriptor and receive validated params plus a context with an AbortSignal.

import { chmodSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import type { Clock, Disposable, Logger } from "../ports.js";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import { asConnectionId } from "../../shared/ids.js";
import type { MethodDescriptor } from "../../shared/method.js";
import type { FrameLimits } from "../../shared/FrameSplitter.js";
import { REQUEST_FRAME_LIMITS } from "../../shared/protocol.js";
import { nullLogger } from "../adapters/nullLogger.js";
import type { Duplex } from "node:stream";
import { DEFAULT_REPLY_HOLD_MS, RpcConnection, type ConnectionScope, type Registry } from "./RpcConnection.js";
import { LargeFrameGate } from "./LargeFrameGate.js";
import { prepareSocketPath, socketMode } from "./socketFile.js";
import type { Handler } from "./types.js";

export interface RpcServerOptions {
  socketPath: string;
  daemonVersion: string;
  clock: Clock;
  logger?: Logger;
  /** Bytes, depth and values one frame may have; default REQUEST_FRAME_LIMITS. */
  frameLimits?: Partial<FrameLimits>;
  /** Requests one connection may have in flight before its reading pauses. Default 256. */
  maxInFlight?: number;
  /** Longest a finished reply waits to share a write with replies to the same read. Default 1 ms. */
  replyHoldMs?: number;
  /**
   * The daemon-wide cap on large incomplete frames (LargeFrameGate.ts), shared by the socket's and
   * the web listener's connections: how many connections may hold one at once, and past how many
   * bytes a frame counts as large. Default LARGE_FRAME_SLOTS and LARGE_FRAME_BYTES.
   */
  largeFrames?: { slots: number; largeBytes: number };
}

/** Connections that may hold an incomplete frame past LARGE_FRAME_BYTES at once: four of the largest legal frames, 64 MiB. */
export const LARGE_FRAME_SLOTS = 4;
/** 1 MiB: a `putMany` of a few thousand ordinary keys; larger frames take a place at the gate. */
export const LARGE_FRAME_BYTES = 1 << 20;

type Entry = { validate: (v: unknown, path: string) => unknown; handler: Handler<unknown, unknown> };

export class RpcServer implements Registry {
  private readonly handlers = new Map<string, Entry>();
  private readonly connections = new Set<RpcConnection>();
  private nextConnection = 1;
  private closing: Promise<void> | undefined;
  private isDraining = false;

  private constructor(
    private readonly server: Server,
    readonly socketPath: string,
    private readonly opts: Required<Omit<RpcServerOptions, "logger" | "clock" | "frameLimits" | "largeFrames">> & { frameLimits: FrameLimits; frameGate: LargeFrameGate },
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {
    server.on("connection", (socket: Socket) => this.accept(socket));
    server.on("error", (err) => log.error("rpc server error", { error: err.message }));
  }

  /**
   * Listens on `socketPath`. Rejects with DaemonAlreadyRunning when another process
   * answers there; replaces a stale socket file.
   */
  static async listen(options: RpcServerOptions): Promise<RpcServer> {
    const log = (options.logger ?? nullLogger).child({ component: "rpc" });
    const opts = {
      socketPath: options.socketPath,
      daemonVersion: options.daemonVersion,
      frameLimits: { ...REQUEST_FRAME_LIMITS, ...options.frameLimits },
      maxInFlight: options.maxInFlight ?? 256,
      replyHoldMs: options.replyHoldMs ?? DEFAULT_REPLY_HOLD_MS,
      frameGate: new LargeFrameGate(options.largeFrames?.slots ?? LARGE_FRAME_SLOTS, options.largeFrames?.largeBytes ?? LARGE_FRAME_BYTES),
    };
    await prepareSocketPath(opts.socketPath, options.clock);
    const server = createServer({ pauseOnConnect: false });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        reject(err.code === "EADDRINUSE"
          ? new AtsyncError(ErrorCode.DaemonAlreadyRunning, `another atsyncd is already running on ${opts.socketPath}`)
          : new AtsyncError(ErrorCode.SocketUnavailable, `cannot listen on ${opts.socketPath}: ${err.code ?? err.message}`));
      };
      server.once("error", onError);
      server.listen(opts.socketPath, () => {
        server.off("error", onError);
        resolve();
      });
    });
    chmodSync(opts.socketPath, socketMode(opts.socketPath));
    log.info("rpc listening", { socket: opts.socketPath });
    return new RpcServer(server, opts.socketPath, opts, log, options.clock);
  }

  /** Serves `descriptor` with `handler` until the returned Disposable is disposed. */
  handle<M extends string, P, R>(descriptor: MethodDescriptor<M, P, R>, handler: Handler<P, R>): Disposable {
    if (this.handlers.has(descriptor.name)) throw new Error(`rpc: ${descriptor.name} already has a handler`);
    const entry: Entry = { validate: descriptor.validate, handler: handler as Handler<unknown, unknown> };
    this.handlers.set(descriptor.name, entry);
    return {
      dispose: () => {
        if (this.handlers.get(descriptor.name) === entry) this.handlers.delete(descriptor.name);
      },
    };
  }

  lookup(method: string): Entry | undefined {
    return this.handlers.get(method);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  get draining(): boolean {
    return this.isDraining;
  }

  /**
   * Stops listening and removes the socket file. With `drainMs`, requests already in
   * flight may finish (new ones get ShuttingDown) for up to that long; then every
   * connection closes and what is still running is aborted.
   */
  close(opts: { drainMs?: number } = {}): Promise<void> {
    this.closing ??= (async () => {
      this.isDraining = true;
      const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
      const drainMs = opts.drainMs ?? 0;
      if (drainMs > 0) {
        let timer: Disposable | undefined;
        await Promise.race([
          Promise.all([...this.connections].map((c) => c.whenIdle())),
          new Promise<void>((resolve) => (timer = this.clock.setTimer(drainMs, resolve))),
        ]);
        timer?.dispose();
      }
      for (const c of [...this.connections]) c.close();
      await stopped;
      this.log.info("rpc stopped", { socket: this.socketPath });
    })();
    return this.closing;
  }

  /**
   * Serves a connection that came another way (the web listener's WebSockets) with the same
   * methods, frame limits, flow control and shutdown as the socket's: one dispatcher, two
   * transports. `scope` narrows what it may do and see. Undefined while draining (the stream is destroyed).
   */
  attach(stream: Duplex, scope?: ConnectionScope): RpcConnection | undefined {
    return this.accept(stream, "w", scope);
  }

  private accept(socket: Duplex, prefix = "c", scope?: ConnectionScope): RpcConnection | undefined {
    if (this.isDraining) {
      socket.destroy();
      return undefined;
    }
    const id = asConnectionId(`${prefix}${this.nextConnection++}`);
    const conn = new RpcConnection(id, socket, this, this.opts, this.log, this.clock, scope);
    this.connections.add(conn);
    conn.onClose(() => this.connections.delete(conn));
    return conn;
  }

  /** Connections holding a large incomplete frame, and waiting to (LargeFrameGate.ts). */
  get largeFrameCounts(): { holding: number; waiting: number } {
    return this.opts.frameGate.counts;
  }

  /** The limits every connection's frames are held to (the web listener sizes maxPayload by them). */
  get frameLimits(): FrameLimits {
    return this.opts.frameLimits;
  }
}
