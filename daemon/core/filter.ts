// Selective sync and outbox membership: which keys travel in each direction.
import { isAlwaysIncludedInSync, isCommittedKey } from "../../protocol/atKey.js";
import type { ChangeOp, SyncFilter } from "./types.js";

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/gu, "\\$&");
}

/**
 * The regex sent to the server (`sync:from`, `stats:3`) for a filter, or undefined for everything.
 * A namespace is the text after the last `.` of the entity, so `.wavi@` selects `phone.wavi@alice`
 * and `@bob:phone.wavi@alice` alike. The same regex filters pushes, so both directions agree.
 */
export function filterRegex(filter: SyncFilter | undefined): string | undefined {
  if (!filter) return undefined;
  const parts: string[] = [];
  const ns = (filter.namespaces ?? []).filter((n) => n.length > 0);
  if (ns.length > 0) parts.push(`\\.(?:${ns.map(escapeRegex).join("|")})@`);
  if (filter.regex !== undefined && filter.regex.length > 0) parts.push(filter.regex);
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0];
  return parts.map((p) => `(?:${p})`).join("|");
}

/** A compiled filter: `matches(atKey)` is what the server applies, plus the always-included keys of §4. */
export class KeyFilter {
  readonly regex: string | undefined;
  private readonly re: RegExp | undefined;

  constructor(filter: SyncFilter | undefined) {
    this.regex = filterRegex(filter);
    this.re = this.regex === undefined ? undefined : new RegExp(this.regex, "u");
  }

  matches(atKey: string): boolean {
    if (!this.re) return true;
    return this.re.test(atKey) || isAlwaysIncludedInSync(atKey);
  }
}

/**
 * Whether a local change of this key goes into the outbox at all. Keys the server never commits
 * (`local:`, `private:`, `privatekey:`, `public:_x`) stay local; `cached:` keys are read-only
 * copies of another atSign's data, so only their deletion is pushed (as the SDK does).
 */
export function isPushable(atKey: string, op: ChangeOp): boolean {
  const k = atKey.toLowerCase();
  if (k.startsWith("cached:")) return op === "-";
  return isCommittedKey(k);
}
