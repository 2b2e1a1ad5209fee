// The operands commands share: an atSign (`@alice`, or `alice` for short) and an atKey,
// which may leave out its owner (`phone.wavi` under @alice means `phone.wavi@alice`).
import { ATSIGN_PATTERN, parseAtKey } from "../../shared/atKey.js";
import { usageError } from "./args.js";

export function isAtSignLike(s: string): boolean {
  return s.startsWith("@");
}

/** `@alice` from `@alice` or `alice`; a usage error for anything that cannot be an atSign. */
export function atSignOperand(s: string, usage: string): string {
  const candidate = s.startsWith("@") ? s : `@${s}`;
  if (!ATSIGN_PATTERN.test(candidate)) throw usageError(`${JSON.stringify(s)} is not an atSign (like @alice)`, usage);
  return candidate;
}

/**
 * The full atKey: as given when it already is one, else with `@atSign` appended when that
 * makes one. Anything else is passed on as given, for the daemon to refuse with its reason.
 */
export function atKeyOperand(atSign: string, key: string): string {
  if (parseAtKey(key) !== undefined) return key;
  const owned = `${key}${atSign}`;
  return parseAtKey(owned) !== undefined ? owned : key;
}
