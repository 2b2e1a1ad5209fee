// One request being handled: the context its handler receives. The AbortController
// is made only when a handler asks for `signal`; forwarding handlers pass the context
// itself as a cancel source instead (onAbort/offAbort), which costs a field, not an
// AbortController and an EventTarget listener per request.

import type { ConnectionId } from "../../shared/ids.js";
import type { RequestContext, RpcPeer } from "./types.js";

export class InflightRequest implements RequestContext {
  private ac: AbortController | undefined;
  private abortReason: unknown;
  private isAborted = false;
  private hooks: (() => void)[] | undefined;
  /** The usual single cancel listener, kept out of an array; more go to `moreListeners`. */
  private listener: (() => void) | undefined;
  private moreListeners: (() => void)[] | undefined;

  /** `gen`: which read of the connection brought the request (replies of one read are written together). */
  constructor(readonly connectionId: ConnectionId, readonly peer: RpcPeer, readonly gen = 0) {}

  get signal(): AbortSignal {
    if (!this.ac) {
      this.ac = new AbortController();
      if (this.isAborted) this.ac.abort(this.abortReason);
    }
    return this.ac.signal;
  }

  get aborted(): boolean {
    return this.isAborted;
  }

  onAbort(fn: () => void): void {
    if (this.isAborted) {
      fn();
      return;
    }
    if (this.listener === undefined) this.listener = fn;
    else (this.moreListeners ??= []).push(fn);
  }

  offAbort(fn: () => void): void {
    if (this.listener === fn) {
      this.listener = undefined;
      return;
    }
    const more = this.moreListeners;
    const i = more ? more.indexOf(fn) : -1;
    if (more && i >= 0) more.splice(i, 1);
  }

  abort(reason: unknown): void {
    if (this.isAborted) return;
    this.isAborted = true;
    this.abortReason = reason;
    this.ac?.abort(reason);
    const first = this.listener;
    const more = this.moreListeners;
    this.listener = undefined;
    this.moreListeners = undefined;
    // One that throws must not stop the others, nor escape into the socket callback
    // that is aborting (house-style §12); ours only settle a promise.
    for (const fn of first ? [first, ...(more ?? [])] : (more ?? [])) {
      try {
        fn();
      } catch {
        // Nothing to report to: the request is gone either way.
      }
    }
  }

  afterReply(fn: () => void): void {
    (this.hooks ??= []).push(fn);
  }

  /** The hooks registered with afterReply, to run once the reply is written. */
  takeHooks(): (() => void)[] {
    const h = this.hooks ?? [];
    this.hooks = undefined;
    return h;
  }
}
