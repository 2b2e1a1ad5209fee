// Cancellation of a forwarded request without an AbortController per request: the RPC
// layer's request context implements this directly (an AbortSignal plus its listener cost
// more than the rest of a forwarded `keys.get` on the main thread). An AbortSignal is
// accepted wherever a CancelSource is, for callers that have one anyway.

export interface CancelSource {
  readonly aborted: boolean;
  /** Calls `fn` once on cancellation (at once if already cancelled). */
  onAbort(fn: () => void): void;
  /** Forgets a function given to onAbort (the request was answered). */
  offAbort(fn: () => void): void;
}

export type Cancellation = AbortSignal | CancelSource;

export function isCancelSource(c: Cancellation): c is CancelSource {
  return typeof (c as Partial<CancelSource>).onAbort === "function";
}
