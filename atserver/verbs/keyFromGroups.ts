// Rebuilds the full atKey from the named groups the update/delete/llookup regexes share.
import { normalizeAtSign } from "../../protocol/atKey.js";
import { ServerError } from "../connection/ServerError.js";

export const MAX_KEY_LENGTH = 248;
export const MAX_CACHED_KEY_LENGTH = 255;

export function keyFromGroups(g: Record<string, string | undefined>, ownAtSign: string): string {
  const scope = g["publicScope"] !== undefined ? "public:" : g["forAtSign"] !== undefined ? `${normalizeAtSign(g["forAtSign"])}:` : "";
  const owner = g["atSign"] !== undefined ? normalizeAtSign(g["atSign"]) : ownAtSign;
  const cached = g["cached"] !== undefined ? "cached:" : "";
  const body = g["atKey"] ?? "";
  // privatekey:at_pkam_publickey and privatekey:at_secret are owner-less internal keys.
  if (body.startsWith("privatekey:")) return body.toLowerCase();
  return `${cached}${scope}${body}${owner}`.toLowerCase();
}

/** The checks of abstract_update_verb_handler: own keys only, and the length limit. */
export function checkWritableKey(key: string, owner: string | undefined, ownAtSign: string): void {
  if (owner !== undefined && normalizeAtSign(owner) !== ownAtSign) {
    throw new ServerError(
      "AT0016",
      `Invalid update command - sharedBy atsign ${normalizeAtSign(owner)} should be same as current atsign ${ownAtSign}`,
    );
  }
  const limit = key.startsWith("cached:") ? MAX_CACHED_KEY_LENGTH : MAX_KEY_LENGTH;
  if (key.length > limit) {
    throw new ServerError("AT0016", `key length ${key.length} is greater than max allowed ${limit} chars`);
  }
}

export const keyNotFound = (key: string): ServerError => new ServerError("AT0015", `${key} does not exist in keystore`);
