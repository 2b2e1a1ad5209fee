// A method declared once (house-style §14): its wire name, a runtime validator for
// its params, and (at the type level only) its result. The daemon registers a
// handler with `rpc.handle(KeysGet, fn)`; the client calls `client.call(KeysGet, p)`.

import type { Validator } from "./schema.js";

export interface MethodDescriptor<M extends string, P, R> {
  readonly name: M;
  readonly validate: Validator<P>;
  /** Type-only: never set at run time. */
  readonly __result?: R;
}

export function method<M extends string, P, R>(name: M, validate: Validator<P>): MethodDescriptor<M, P, R> {
  return Object.freeze({ name, validate });
}

export type AnyMethod = MethodDescriptor<string, never, unknown>;
export type ParamsOf<D> = D extends MethodDescriptor<string, infer P, unknown> ? P : never;
export type ResultOf<D> = D extends MethodDescriptor<string, never, infer R> ? R : never;
