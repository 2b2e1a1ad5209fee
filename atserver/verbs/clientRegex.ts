// Regexes clients send (scan, sync:from, stats, monitor, notify:list), run so that one
// connection's pathological pattern cannot stall the event loop every other client shares.
// Dart's RegExp.hasMatch and JS RegExp.test agree on syntax and anchoring for these uses.
// Patterns V8's linear-time engine accepts (no backreferences or lookarounds) run on the normal,
// fast backtracking engine, which V8 switches to the linear one once a match backtracks too
// much (--enable-experimental-regexp-engine-on-excessive-backtracks); the linear engine alone
// is 15-20x slower on ordinary patterns. The rest run in a vm context with a time budget, and
// a request that overruns it gets an AT0003 error instead of hanging the server.
import v8 from "node:v8";
import vm from "node:vm";
import { ServerError, syntaxError } from "../connection/ServerError.js";

/** How long one request may spend matching a backtracking regex. */
export const REGEX_BUDGET_MS = 1000;

let linearFlag: string | undefined;

/**
 * The `l` flag when this V8 has the linear engine, which also turns on the fallback to it
 * (once, process-wide; neither changes what any regex matches).
 */
function linear(): string {
  if (linearFlag !== undefined) return linearFlag;
  try {
    v8.setFlagsFromString("--enable-experimental-regexp-engine");
    v8.setFlagsFromString("--enable-experimental-regexp-engine-on-excessive-backtracks");
    const flag = "l";
    new RegExp("a", flag);
    linearFlag = flag;
  } catch {
    linearFlag = "";
  }
  return linearFlag;
}

const MATCH_ALL = new vm.Script("items.map((s) => re.test(s))");

/**
 * Where the real server lets Dart's FormatException escape (the keystore's getKeys, the commit
 * log's hasMatch): an unexpected exception, so AT0011 and a closed connection.
 */
export function unexpectedRegexError(err: unknown): Error {
  return new Error(`FormatException: ${err instanceof Error ? err.message : String(err)}`);
}

export class ClientRegex {
  private constructor(
    readonly source: string,
    private readonly re: RegExp,
    /** Whether `re` may backtrack (it needs the time budget). */
    private readonly guarded: boolean,
  ) {}

  /**
   * Compiles `source`; a pattern that does not compile is AT0003 "Invalid syntax. <usage>", or
   * the error `invalid` makes from the compile error (see unexpectedRegexError).
   */
  static compile(source: string, usage: string, invalid: (err: unknown) => Error = () => syntaxError(usage)): ClientRegex {
    const flag = linear();
    if (flag !== "") {
      try {
        // Compiles only if the linear engine supports it, so the fallback can take over.
        new RegExp(source, flag);
        return new ClientRegex(source, new RegExp(source), false);
      } catch {
        // Not supported by the linear engine (or not a regex at all): try the normal one.
      }
    }
    let re: RegExp;
    try {
      re = new RegExp(source);
    } catch (err) {
      throw invalid(err);
    }
    return new ClientRegex(source, re, true);
  }

  /** hasMatch for each item, in one budgeted run. */
  matches(items: readonly string[]): boolean[] {
    if (!this.guarded) return items.map((s) => this.re.test(s));
    try {
      return MATCH_ALL.runInNewContext({ items, re: this.re }, { timeout: REGEX_BUDGET_MS }) as boolean[];
    } catch (err) {
      if ((err as { code?: unknown }).code === "ERR_SCRIPT_EXECUTION_TIMEOUT") {
        throw new ServerError("AT0003", `regex took longer than ${REGEX_BUDGET_MS} ms: ${this.source.slice(0, 100)}`);
      }
      throw err;
    }
  }

  test(item: string): boolean {
    return this.matches([item])[0] === true;
  }
}
