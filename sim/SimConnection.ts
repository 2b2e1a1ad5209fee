// One device's authenticated connection to the SimServer, as an AtRemote (daemon/ports.ts).
// A request does not reach the server when it is made: it waits, serialized as TlsRemote
// serializes them, until the scheduler delivers it, with or without a fault:
//   ok    the server runs it and the reply arrives;
//   drop  the connection drops before the command reaches the server;
//   lost  the server runs it, the connection drops before the reply arrives;
//   hang  the server runs it and the reply never comes: the request times out in sim time.
import { AtProtocolError } from "../protocol/errors.js";
import { parseReply } from "../protocol/framing.js";
import type { AtRemote, Disposable } from "../daemon/ports.js";
import { RemoteUnavailableError } from "../daemon/remote/errors.js";
import type { SimClock } from "./SimClock.js";
import type { SimServer } from "./SimServer.js";

export type Fault = "ok" | "drop" | "lost" | "hang";

/** TlsRemote's default request timeout. */
export const REQUEST_TIMEOUT_MS = 90_000;

/** What the world watches on a connection. */
export interface ConnectionHooks {
  /** The driver asked for a round trip. */
  requested?: () => void;
  /** The server ran a command of this connection (whether or not its reply arrives). */
  applied?: (command: string, reply: string, fault: Fault) => void;
  /** A reply reached the device. */
  replied?: (command: string, reply: string) => void;
}

interface Pending {
  command: string;
  timeoutMs: number;
  resolve: (data: string) => void;
  reject: (err: unknown) => void;
  detach: () => void;
  hung?: Disposable;
  /** The server is running it now. */
  running?: boolean;
}

export class SimConnection implements AtRemote {
  /** Commands asked for (every round trip, failed ones too). */
  requests = 0;
  private readonly queue: Pending[] = [];
  private killed = false;
  private open = false;
  private readonly session;

  constructor(
    private readonly server: SimServer,
    private readonly clock: SimClock,
    private readonly owner: object,
    private readonly hooks: ConnectionHooks = {},
  ) {
    this.session = server.open();
  }

  get connected(): boolean {
    return this.open && !this.killed;
  }

  /** A request on the wire that the scheduler may deliver (not one hanging). */
  get deliverable(): boolean {
    const head = this.queue[0];
    return head !== undefined && head.hung === undefined && head.running !== true;
  }

  /** Requests waiting, the one on the wire included. */
  get waiting(): number {
    return this.queue.length;
  }

  request(command: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<string> {
    this.requests++;
    this.hooks.requested?.();
    if (this.killed) return Promise.reject(new RemoteUnavailableError("closed", "the device crashed (sim)"));
    // TlsRemote's own checks: a command is one line.
    if (/[\r\n]/u.test(command)) return Promise.reject(new AtProtocolError("AT0022", "a command must be a single line"));
    return new Promise<string>((resolve, reject) => {
      const signal = opts.signal;
      const onAbort = (): void => {
        this.remove(p);
        reject(signal?.reason ?? new DOMException("The operation was aborted", "AbortError"));
      };
      const p: Pending = {
        command,
        timeoutMs: opts.timeoutMs ?? REQUEST_TIMEOUT_MS,
        resolve,
        reject,
        detach: () => signal?.removeEventListener("abort", onAbort),
      };
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      this.queue.push(p);
    });
  }

  /** Delivers the request on the wire with `fault`; false when there is none. */
  async deliver(fault: Fault): Promise<boolean> {
    const p = this.queue[0];
    if (!p || p.hung !== undefined || p.running === true) return false;
    if (fault === "drop") {
      this.fail(p, "closed", "connection dropped before the command reached the server (sim)");
      return true;
    }
    p.running = true;
    const reply = await this.server.execute(p.command, this.session.conn);
    p.running = false;
    this.hooks.applied?.(p.command, reply, fault);
    // Crashed, aborted or dropped by a server restart while the server was answering.
    if (this.queue[0] !== p) return true;
    if (fault === "lost") {
      this.fail(p, "closed", "connection dropped before the reply arrived (sim)");
    } else if (fault === "hang") {
      this.open = false;
      p.hung = this.clock.setTimer(p.timeoutMs, () => this.fail(p, "timeout", "no reply (sim)"), this.owner);
    } else {
      this.remove(p);
      this.open = true;
      this.hooks.replied?.(p.command, reply);
      const parsed = parseReply(reply);
      if (parsed.kind === "data") p.resolve(parsed.data);
      else p.reject(new AtProtocolError(parsed.code, parsed.message));
    }
    return true;
  }

  /** The server went away (restart after a restore): whatever is on the wire fails. */
  dropWire(): void {
    const p = this.queue[0];
    if (p) this.fail(p, "closed", "the server restarted (sim)");
  }

  /** The device crashed: every request fails, now and later. */
  kill(): void {
    this.killed = true;
    for (const p of [...this.queue]) this.fail(p, "closed", "the device crashed (sim)");
    this.session.release();
  }

  async close(): Promise<void> {
    this.kill();
  }

  private fail(p: Pending, reason: "closed" | "timeout", message: string): void {
    this.remove(p);
    this.open = false;
    p.reject(new RemoteUnavailableError(reason, message));
  }

  private remove(p: Pending): void {
    const i = this.queue.indexOf(p);
    if (i >= 0) this.queue.splice(i, 1);
    p.hung?.dispose();
    p.detach();
  }
}

/** A connection whose every request the server answers at once, without faults (contract tests, tools). */
export function promptRemote(server: SimServer, clock: SimClock): AtRemote {
  const conn = new SimConnection(server, clock, {});
  // One delivery per request, in turn: requests are serialized as on a real connection.
  let turn: Promise<unknown> = Promise.resolve();
  return {
    request: (command, opts) => {
      const reply = conn.request(command, opts);
      turn = turn.then(() => conn.deliver("ok"));
      return reply;
    },
    get connected() {
      return true;
    },
    close: () => conn.close(),
  };
}
