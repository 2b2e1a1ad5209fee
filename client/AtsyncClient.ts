// The library apps import (`atsyncd/client`). It finds the daemon's socket by itself,
// makes typed calls with AbortSignal, and streams events as async iterators that
// survive reconnects. It depends only on shared/.

import { createConnection, type Socket } from "node:net";
import { AtsyncError, ErrorCode } from "../shared/errors.js";
import type { AtsyncEvent, EventFilter } from "../shared/events.js";
import type { MethodDescriptor } from "../shared/method.js";
import * as M from "../shared/methods.js";
import type { SyncStatus } from "../shared/status.js";
import type * as T from "../shared/types.js";
import { Channel, type CallOptions } from "./Channel.js";
import { checkSocketOwner } from "./checkSocketOwner.js";
import { EventStream, eventRouter, type SubscribeOptions } from "./EventStream.js";
import { resolveSocketPath } from "./socketPath.js";

export interface ConnectOptions {
  /** Default: `$ATSYNCD_SOCKET`, else the platform default (shared/paths.ts). */
  socketPath?: string;
  /**
   * Injected transport (tests, proxies): returns a socket connecting or connected to the daemon.
   * Without it, each connect first checks that the socket is the user's own (checkSocketOwner).
   */
  connect?: () => Socket;
  /** Shown in the daemon's debug log. */
  clientName?: string;
  signal?: AbortSignal;
}

export class AtsyncClient {
  private current: Channel;
  private opening: Promise<Channel> | undefined;
  private readonly routes = new WeakMap<Channel, Map<string, (e: AtsyncEvent) => void>>();
  private readonly streams = new Set<EventStream>();
  private isClosed = false;
  private readonly closing = new AbortController();

  private constructor(
    channel: Channel,
    readonly socketPath: string,
    private readonly makeSocket: () => Socket,
    private readonly clientName: string,
  ) {
    this.current = this.adopt(channel);
  }

  /**
   * Connects and shakes hands. Rejects with DaemonNotRunning ("atsyncd is not running:
   * start it with ...") when nothing listens on the socket, and with SocketNotOurs, before
   * connecting, when the socket or its directory may be another user's.
   */
  static async connect(opts: ConnectOptions = {}): Promise<AtsyncClient> {
    const socketPath = resolveSocketPath(opts.socketPath);
    const makeSocket = opts.connect ?? (() => {
      checkSocketOwner(socketPath);
      return createConnection({ path: socketPath });
    });
    const clientName = opts.clientName ?? `atsyncd-client/${process.pid}`;
    const channel = await Channel.open(makeSocket, socketPath, clientName, opts.signal);
    return new AtsyncClient(channel, socketPath, makeSocket, clientName);
  }

  get daemonVersion(): string {
    return this.current.hello.daemonVersion;
  }

  /** True while the current connection is open (calls reconnect lazily when it is not). */
  get connected(): boolean {
    return !this.current.closed;
  }

  /** Calls one method. A dropped connection rejects pending calls with ConnectionClosed; the next call reconnects. */
  call<N extends string, P, R>(method: MethodDescriptor<N, P, R>, params: P, opts: CallOptions = {}): Promise<R> {
    // The usual case, an open connection, without the two promise hops of awaiting it.
    const ch = this.current;
    if (!ch.closed) return ch.call(method.name, params, opts) as Promise<R>;
    return this.channel(opts.signal).then((c) => c.call(method.name, params, opts) as Promise<R>);
  }

  atSigns(opts?: CallOptions): Promise<T.AtSignSummary[]> {
    return this.call(M.AtSignsList, {}, opts);
  }
  get(atSign: string, key: string, opts?: CallOptions): Promise<T.KeysGetResult> {
    return this.call(M.KeysGet, { atSign, key }, opts);
  }
  getMeta(atSign: string, key: string, opts?: CallOptions): Promise<T.KeysGetMetaResult> {
    return this.call(M.KeysGetMeta, { atSign, key }, opts);
  }
  /**
   * Another atSign's key: a public one (`public:name.wavi@bob`, its signature checked) or one it
   * shared with `atSign` (`@alice:k.wavi@bob`), decrypted; cached by its ttr, and served from that
   * copy while offline (`source: "cache"`, with `ageMs` and `stale`).
   */
  lookup(atSign: string, key: string, options: { bypassCache?: boolean } = {}, opts?: CallOptions): Promise<T.KeysLookupResult> {
    return this.call(M.KeysLookup, { atSign, key, ...options }, opts);
  }
  /**
   * Sends a key or text notification from `atSign` to `params.to`, encrypted for the recipient.
   * It is kept durably first: offline it is `queued` and goes out on reconnect. Its delivery
   * shows as `notification.statusChanged` events; with `wait` this resolves once delivered.
   */
  notify(atSign: string, params: Omit<T.NotificationsSendParams, "atSign">, opts?: CallOptions): Promise<T.NotificationsSendResult> {
    return this.call(M.NotificationsSend, { atSign, ...params }, opts);
  }
  put(atSign: string, key: string, value: string, metadata?: T.PutMetadata, opts?: CallOptions): Promise<T.KeysPutResult> {
    return this.call(M.KeysPut, metadata ? { atSign, key, value, metadata } : { atSign, key, value }, opts);
  }
  putMany(atSign: string, items: T.PutManyItem[], opts?: CallOptions): Promise<T.KeysPutManyResult> {
    return this.call(M.KeysPutMany, { atSign, items }, opts);
  }
  delete(atSign: string, key: string, opts?: CallOptions): Promise<T.KeysDeleteResult> {
    return this.call(M.KeysDelete, { atSign, key }, opts);
  }
  /**
   * The keys of `atSign` (optionally by regex or namespace), page by page as the daemon sends
   * them: `for await (const page of client.listPages("@alice")) ...`. `limit` is the page size
   * (default 1000, at most 10,000); a page may hold fewer keys, even none, before the end. Keys
   * written or deleted while it runs may or may not be listed; none is listed twice.
   */
  async *listPages(atSign: string, query: Omit<T.KeysListParams, "atSign" | "cursor"> = {}, opts?: CallOptions): AsyncGenerator<string[], void, undefined> {
    let cursor: string | undefined;
    do {
      const page: T.KeysListResult = await this.call(M.KeysList, { atSign, ...query, ...(cursor !== undefined ? { cursor } : {}) }, opts);
      yield page.keys;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }
  /** Every key of the listing in one array (every page of listPages): for listings known to be small. */
  async list(atSign: string, query: Omit<T.KeysListParams, "atSign" | "cursor"> = {}, opts?: CallOptions): Promise<string[]> {
    const keys: string[] = [];
    for await (const page of this.listPages(atSign, query, opts)) keys.push(...page);
    return keys;
  }
  syncNow(params: T.SyncNowParams = {}, opts?: CallOptions): Promise<T.SyncNowResult> {
    return this.call(M.SyncNow, params, opts);
  }
  /** The daemon's version, pid, start time, socket, data dir and config file. */
  describeDaemon(opts?: CallOptions): Promise<T.DaemonDescribeResult> {
    return this.call(M.DaemonDescribe, {}, opts);
  }
  status(atSign?: string, opts?: CallOptions): Promise<SyncStatus[]> {
    return this.call(M.StatusGet, atSign ? { atSign } : {}, opts);
  }
  conflicts(params: T.ConflictsListParams = {}, opts?: CallOptions): Promise<T.Conflict[]> {
    return this.call(M.ConflictsList, params, opts);
  }
  resolveConflict(atSign: string, id: string, choose: "local" | "remote", opts?: CallOptions): Promise<T.Conflict> {
    return this.call(M.ConflictsResolve, { atSign, id, choose }, opts);
  }
  onboard(atSign: string, atKeys: string, opts?: CallOptions): Promise<T.IdentitiesOnboardResult> {
    return this.call(M.IdentitiesOnboard, { atSign, atKeys }, opts);
  }
  offboard(atSign: string, opts?: CallOptions): Promise<T.IdentitiesOffboardResult> {
    return this.call(M.IdentitiesOffboard, { atSign }, opts);
  }

  /**
   * Streams events matching `filter`: first a snapshot (or the events after
   * `opts.since`), then deltas. Reconnects and resumes by itself; ends on `break`,
   * `stream.close()`, `opts.signal` or `client.close()`. Throws InvalidParams at once
   * for a bad filter.
   */
  subscribe(filter: EventFilter = {}, opts: SubscribeOptions = {}): EventStream {
    const stream = new EventStream({
      channel: (signal) => this.channel(signal),
      route: (ch, id, fn) => {
        const r = this.routes.get(ch);
        if (!r) return;
        if (fn) r.set(id, fn);
        else r.delete(id);
      },
    }, filter, opts);
    // After close() no channel will come: the stream would retry forever, holding the process open.
    if (this.isClosed) {
      void stream.close().catch(() => undefined);
      return stream;
    }
    this.streams.add(stream);
    void stream.closed.then(() => this.streams.delete(stream));
    return stream;
  }

  /** Ends every stream and closes the connection; pending calls reject with ConnectionClosed. */
  async close(): Promise<void> {
    this.isClosed = true;
    this.closing.abort();
    await Promise.all([...this.streams].map((s) => s.close()));
    this.current.close();
  }

  private adopt(channel: Channel): Channel {
    const routes = new Map<string, (e: AtsyncEvent) => void>();
    this.routes.set(channel, routes);
    channel.onNotification = eventRouter(routes);
    return channel;
  }

  private async channel(signal?: AbortSignal): Promise<Channel> {
    if (!this.current.closed) return this.current;
    if (this.isClosed) return this.current; // its call() rejects with ConnectionClosed
    // The reconnect is shared by every waiting caller, so one caller's signal must not
    // cancel it for the others: only close() does; each caller stops waiting on its own.
    this.opening ??= Channel.open(this.makeSocket, this.socketPath, this.clientName, this.closing.signal)
      .then((ch) => {
        if (this.isClosed) ch.close();
        else this.current = this.adopt(ch);
        return this.current;
      }, (e: unknown) => {
        if (this.isClosed) return this.current;
        throw e;
      })
      .finally(() => (this.opening = undefined));
    return signal === undefined ? this.opening : untilAborted(this.opening, signal);
  }
}

/** `p`, or RequestCancelled as soon as `signal` aborts (`p` itself goes on). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new AtsyncError(ErrorCode.RequestCancelled, "connect cancelled"));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AtsyncError(ErrorCode.RequestCancelled, "connect cancelled"));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then((v) => {
      signal.removeEventListener("abort", onAbort);
      resolve(v);
    }, (e: unknown) => {
      signal.removeEventListener("abort", onAbort);
      reject(e);
    });
  });
}
