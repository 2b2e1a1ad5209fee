// A tiny schema helper for method params: shared/ has no dependencies, so the
// validators are a dozen combinators. Each validator takes `unknown` and returns the
// typed value or throws an AtsyncError naming the parameter (e.g. `items[2].key`).

import { AtsyncError, ErrorCode } from "./errors.js";

export interface Validator<T> {
  (value: unknown, path: string): T;
  /** Set by `optional()`: the property may be absent (or undefined). */
  readonly optional?: boolean;
}

export type Infer<V> = V extends Validator<infer T> ? T : never;

export function fail(path: string, expected: string, value: unknown, code: ErrorCode = ErrorCode.InvalidParams): never {
  throw new AtsyncError(code, `invalid params: '${label(path)}' must be ${expected} (got ${describe(value)})`, { path: label(path) });
}

function label(path: string): string {
  return path === "" ? "params" : path;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return value.length > 40 ? "a long string" : JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return `a value of type ${typeof value}`;
}

/**
 * UTF-8 byte length without Buffer (shared/ imports no node:*): counts code units,
 * pairing surrogates, so `@alice🛠` is 10 bytes.
 */
export function utf8ByteLength(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

export interface StringRules {
  minLength?: number;
  maxBytes?: number;
  /** Code used when maxBytes is exceeded (e.g. ValueTooLarge). */
  tooLargeCode?: ErrorCode;
  pattern?: RegExp;
  /** Human description of the pattern, for the error message. */
  patternName?: string;
  /** Code used when the pattern does not match (e.g. InvalidAtKey). */
  patternCode?: ErrorCode;
}

export function str(rules: StringRules = {}): Validator<string> {
  return (value, path) => {
    if (typeof value !== "string") fail(path, "a string", value);
    if (rules.minLength !== undefined && value.length < rules.minLength) {
      fail(path, rules.minLength === 1 ? "a non-empty string" : `at least ${rules.minLength} characters`, value);
    }
    if (rules.maxBytes !== undefined) {
      const bytes = utf8ByteLength(value);
      if (bytes > rules.maxBytes) {
        throw new AtsyncError(rules.tooLargeCode ?? ErrorCode.InvalidParams,
          `invalid params: '${label(path)}' is ${bytes} bytes, more than the limit of ${rules.maxBytes}`, { path: label(path), bytes, limit: rules.maxBytes });
      }
    }
    if (rules.pattern && !rules.pattern.test(value)) {
      fail(path, rules.patternName ?? `a string matching ${String(rules.pattern)}`, value, rules.patternCode);
    }
    return value;
  };
}

export function int(rules: { min?: number; max?: number } = {}): Validator<number> {
  return (value, path) => {
    if (typeof value !== "number" || !Number.isSafeInteger(value)) fail(path, "an integer", value);
    if (rules.min !== undefined && value < rules.min) fail(path, `an integer ≥ ${rules.min}`, value);
    if (rules.max !== undefined && value > rules.max) fail(path, `an integer ≤ ${rules.max}`, value);
    return value;
  };
}

export function bool(): Validator<boolean> {
  return (value, path) => (typeof value === "boolean" ? value : fail(path, "a boolean", value));
}

export function literal<const L extends readonly (string | number)[]>(...values: L): Validator<L[number]> {
  return (value, path) => {
    if ((values as readonly unknown[]).includes(value)) return value as L[number];
    return fail(path, `one of ${values.map((v) => JSON.stringify(v)).join(", ")}`, value);
  };
}

export function optional<T>(inner: Validator<T>): Validator<T | undefined> {
  const v = (value: unknown, path: string): T | undefined => (value === undefined ? undefined : inner(value, path));
  return Object.assign(v, { optional: true });
}

export function nullable<T>(inner: Validator<T>): Validator<T | null> {
  return (value, path) => (value === null ? null : inner(value, path));
}

export function arrayOf<T>(item: Validator<T>, rules: { min?: number; max?: number } = {}): Validator<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) fail(path, "an array", value);
    if (rules.min !== undefined && value.length < rules.min) fail(path, `an array of at least ${rules.min} items`, value);
    if (rules.max !== undefined && value.length > rules.max) {
      throw new AtsyncError(ErrorCode.InvalidParams,
        `invalid params: '${label(path)}' has ${value.length} items, more than the limit of ${rules.max}`, { path: label(path) });
    }
    return value.map((v, i) => item(v, `${path}[${i}]`));
  };
}

type Shape = Record<string, Validator<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { readonly optional: true } ? K : never }[keyof S];
type Simplify<T> = { [K in keyof T]: T[K] };
export type ObjectOf<S extends Shape> = Simplify<
  { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> }
>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * An object with exactly these properties. Unknown properties are refused so a
 * misspelt option (`tll`) is an error instead of a silent no-op.
 */
export function obj<S extends Shape>(shape: S): Validator<ObjectOf<S>> {
  const keys = Object.keys(shape);
  return (value, path) => {
    if (!isPlainObject(value)) fail(path, "an object", value);
    for (const k of Object.keys(value)) {
      if (!Object.hasOwn(shape, k)) {
        throw new AtsyncError(ErrorCode.InvalidParams, `invalid params: unknown parameter '${join(path, k)}'`, { path: join(path, k) });
      }
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const v = (shape[k] as Validator<unknown>)(value[k], join(path, k));
      if (v !== undefined) out[k] = v;
    }
    return out as ObjectOf<S>;
  };
}

/** A union told apart by a string tag, e.g. `op: "put" | "delete"`. */
export function tagged<K extends string, M extends Record<string, Validator<unknown>>>(
  tag: K, variants: M,
): Validator<Infer<M[keyof M]>> {
  const tags = Object.keys(variants);
  return (value, path) => {
    if (!isPlainObject(value)) fail(path, "an object", value);
    const t = value[tag];
    if (typeof t !== "string" || !Object.hasOwn(variants, t)) {
      fail(join(path, tag), `one of ${tags.map((x) => JSON.stringify(x)).join(", ")}`, t);
    }
    return (variants[t] as Validator<unknown>)(value, path) as Infer<M[keyof M]>;
  };
}

/** A string that compiles as a Unicode regular expression. */
export function regexSource(): Validator<string> {
  const base = str({ maxBytes: 4096 });
  return (value, path) => {
    const s = base(value, path);
    try {
      new RegExp(s, "u");
    } catch (e) {
      throw new AtsyncError(ErrorCode.InvalidRegex,
        `invalid params: '${label(path)}' is not a valid regular expression: ${e instanceof Error ? e.message : String(e)}`, { path: label(path) });
    }
    return s;
  };
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}
