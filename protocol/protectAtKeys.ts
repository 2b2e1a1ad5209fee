// Objects that hold keys must be safe to log by construction: console.log, util.inspect,
// String() and JSON.stringify (winston's JSON output) of them show the atSign and nothing else.
// The hooks are non-enumerable, so spreads, Object.keys, deep-equal and structuredClone (the
// worker's workerData) see plain key fields; a clone is plain again, so protect it on arrival.
import { inspect } from "node:util";

/** What an AtKeys holder prints as. */
export function redactedLabel(kind: string, atSign: string): string {
  return `${kind}(${atSign}, redacted)`;
}

/** Makes `keys` print as `AtKeys(@alice, redacted)` everywhere; returns the same object. */
export function protectAtKeys<T extends { atSign: string }>(keys: T): T {
  const label = function (this: { atSign: string }): string {
    return redactedLabel("AtKeys", this.atSign);
  };
  const hidden = { enumerable: false, configurable: true, writable: true } as const;
  Object.defineProperty(keys, inspect.custom, { ...hidden, value: label });
  Object.defineProperty(keys, "toString", { ...hidden, value: label });
  Object.defineProperty(keys, "toJSON", { ...hidden, value: label });
  return keys;
}
