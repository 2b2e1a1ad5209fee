// A TCP proxy that stands in for a long link: every chunk, in each direction, is released to the
// other side `oneWayDelayMs` after it arrived, in arrival order. Chunks are never merged or held
// back for a later one (the release time is the arrival time plus the delay, whatever else is
// queued), so nothing arrives sooner or in bigger pieces than it would over the slow link. TLS
// passes through untouched: clients verify the real server's certificate.
import net from "node:net";
import type { AddressInfo } from "node:net";

export interface DelayProxyOptions {
  target: { host: string; port: number };
  oneWayDelayMs: number;
  /** Where to listen; 127.0.0.1 and an ephemeral port by default. */
  host?: string;
  port?: number;
}

export interface DelayProxy {
  /** "host:port" clients connect to. */
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

interface Queued {
  dueMs: number;
  /** null is the end of the stream (the sender half-closed). */
  chunk: Buffer | null;
}

/** One direction of one connection: a FIFO released by a single timer armed for its head. */
class DelayedPipe {
  private readonly queue: Queued[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly to: net.Socket,
    private readonly delayMs: number,
  ) {}

  push(chunk: Buffer | null): void {
    this.queue.push({ dueMs: performance.now() + this.delayMs, chunk });
    if (!this.timer) this.arm();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.head = 0;
  }

  private arm(): void {
    const next = this.queue[this.head];
    if (!next) {
      this.queue.length = 0;
      this.head = 0;
      this.timer = undefined;
      return;
    }
    // Node timers have millisecond resolution and may fire a little early: release() re-arms then.
    this.timer = setTimeout(() => this.release(), Math.max(0, Math.ceil(next.dueMs - performance.now())));
  }

  private release(): void {
    const now = performance.now();
    for (let q = this.queue[this.head]; q && q.dueMs <= now; q = this.queue[this.head]) {
      this.head++;
      if (this.to.destroyed) continue;
      if (q.chunk === null) this.to.end();
      else this.to.write(q.chunk);
    }
    this.arm();
  }
}

export async function startDelayProxy(opts: DelayProxyOptions): Promise<DelayProxy> {
  if (!(opts.oneWayDelayMs >= 0)) throw new RangeError("oneWayDelayMs must be a non-negative number");
  const host = opts.host ?? "127.0.0.1";
  const open = new Set<() => void>();

  // Half-open on both sides: an end is forwarded after the delayed data, not applied at once.
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ host: opts.target.host, port: opts.target.port, allowHalfOpen: true });
    // Nagle would add its own wait on top of the modelled link.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const toUpstream = new DelayedPipe(upstream, opts.oneWayDelayMs);
    const toClient = new DelayedPipe(client, opts.oneWayDelayMs);
    const teardown = (): void => {
      open.delete(teardown);
      toUpstream.stop();
      toClient.stop();
      client.destroy();
      upstream.destroy();
    };
    open.add(teardown);
    client.on("data", (chunk: Buffer) => toUpstream.push(chunk));
    upstream.on("data", (chunk: Buffer) => toClient.push(chunk));
    // A half-close travels the link like data, after what was sent before it.
    client.on("end", () => toUpstream.push(null));
    upstream.on("end", () => toClient.push(null));
    // A reset is not delayed: the bench only needs it to tear both sides down.
    client.on("error", teardown);
    upstream.on("error", teardown);
    let closed = 0;
    const onClose = (): void => {
      if (++closed === 2) open.delete(teardown);
    };
    client.on("close", onClose);
    upstream.on("close", onClose);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    address: `${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const teardown of [...open]) teardown();
        server.close(() => resolve());
      }),
  };
}
