// What a handler sees of the RPC layer.

import type { Disposable } from "../ports.js";
import type { AtsyncError } from "../../shared/errors.js";
import type { AtsyncEvent } from "../../shared/events.js";
import type { ConnectionId } from "../../shared/ids.js";

/** One client connection, as handlers and the event hub see it. */
export interface RpcPeer {
  readonly id: ConnectionId;
  readonly closed: boolean;
  /** Bytes written but not yet taken by the kernel: how far behind this client is. */
  readonly bufferedBytes: number;
  /** Sends a notification; never blocks, never throws. */
  notify(method: string, params: unknown): void;
  /** Same, with params already serialized (so one event is stringified once for all subscribers). */
  notifyRaw(method: string, paramsJson: string): void;
  /** An event as this peer's subscriptions get it (a browser app's, narrowed to its grant); absent: as it is. */
  narrowEvent?(event: AtsyncEvent): AtsyncEvent;
  /** Runs once when the connection closes (at once if already closed). */
  onClose(fn: () => void): Disposable;
  /** Closes the connection; with a reason, an `rpc.closing` notification tries to say why first. */
  close(reason?: AtsyncError): void;
}

export interface RequestContext {
  /** Aborted by `$/cancel`, by the connection closing, or by the server stopping. */
  readonly signal: AbortSignal;
  /** True once `signal` would be aborted (without creating it). */
  readonly aborted: boolean;
  /**
   * Calls `fn` once when the request is cancelled (at once if it already is): the cheap
   * alternative to `signal`, so the context can be passed as a supervisor CancelSource.
   */
  onAbort(fn: () => void): void;
  /** Forgets a function given to onAbort. */
  offAbort(fn: () => void): void;
  readonly connectionId: ConnectionId;
  readonly peer: RpcPeer;
  /** Runs `fn` right after the reply is written (e.g. to start a subscription's stream). */
  afterReply(fn: () => void): void;
}

export type Handler<P, R> = (params: P, ctx: RequestContext) => R | Promise<R>;
