// Argument parsing for every command: node:util parseArgs in strict mode, so an unknown
// option or a missing value is a usage error (exit 2) that shows the command's usage.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { CliError, ExitCode } from "./Command.js";

export type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig["options"]>;

type OptionValue<C> = C extends { type: "string"; multiple: true } ? string[]
  : C extends { type: "string" } ? string
  : C extends { type: "boolean"; multiple: true } ? boolean[]
  : boolean;

export interface ParsedCommandArgs<O> {
  values: { [K in keyof O]?: OptionValue<O[K]> };
  positionals: string[];
}

/** Options every command that talks to the daemon accepts. */
export const SOCKET_OPTION = { socket: { type: "string" } } as const satisfies ParseArgsOptionsConfig;
/** Clock times in UTC instead of local time (status, conflicts, watch). */
export const UTC_OPTION = { utc: { type: "boolean" } } as const satisfies ParseArgsOptionsConfig;
/** Options every command that reads accepts. */
export const JSON_OPTION = { json: { type: "boolean" } } as const satisfies ParseArgsOptionsConfig;

export interface Arity {
  min: number;
  max: number;
}

export function usageError(message: string, usage: string): CliError {
  return new CliError(`${message}\n\n${usage.trimEnd()}`, ExitCode.Usage);
}

/** Node's parse errors run to three lines; an unknown option needs only the first sentence. */
export function shortParseError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown }).code;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return message.split(". ")[0] ?? message;
  return message.split("\n").join(" ");
}

/**
 * Parses `args` against `options`; throws a usage CliError for an unknown option, a missing
 * value, or a positional count outside `arity`.
 */
export function parseCommandArgs<const O extends ParseArgsOptionsConfig>(args: string[], options: O, usage: string, arity: Arity): ParsedCommandArgs<O> {
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (err) {
    throw usageError(shortParseError(err), usage);
  }
  const n = parsed.positionals.length;
  if (n < arity.min) throw usageError(n === 0 ? "missing arguments" : "too few arguments", usage);
  if (n > arity.max) throw usageError(`unexpected argument ${JSON.stringify(parsed.positionals[arity.max])}`, usage);
  return { values: parsed.values as ParsedCommandArgs<O>["values"], positionals: parsed.positionals };
}

/** An option holding a non-negative (or ≥ min) integer of milliseconds, or undefined when absent. */
export function intOption(value: string | undefined, name: string, usage: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/u.test(value.trim())) throw usageError(`--${name} must be a whole number, not ${JSON.stringify(value)}`, usage);
  const n = Number(value.trim());
  if (!Number.isSafeInteger(n) || n < min) throw usageError(`--${name} must be at least ${min}, not ${value}`, usage);
  return n;
}
