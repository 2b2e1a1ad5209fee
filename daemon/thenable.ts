// Whether a handler's or a task's outcome is a promise to wait for, or a value already there: the
// RPC connection and the worker's inbox and server answer a synchronous result in the same turn.

export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function";
}
