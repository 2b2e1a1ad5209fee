// scan (§4; scan_verb_handler.dart): the keystore's active keys matching the regex. Logged in:
// all but private:, privatekey:, public:_ and _ keys (showhidden:true shows public:__ and _
// ones). Not logged in: public keys only, without `public:`. `scan:@bob` lists what @bob
// shares with us, without the `@us:` prefix.
import { normalizeAtSign } from "../../protocol/atKey.js";
import { ServerError } from "../connection/ServerError.js";
import { ClientRegex, unexpectedRegexError } from "./clientRegex.js";
import { isActive } from "../store/StoredMeta.js";
import type { AtSignServer, Verb } from "./types.js";

function isHiddenFromOwner(key: string, showHidden: boolean): boolean {
  if (showHidden && (key.startsWith("public:__") || key.startsWith("_"))) return false;
  return key.startsWith("private:") || key.startsWith("privatekey:") || key.startsWith("public:_") || key.startsWith("_");
}

function activeKeys(server: AtSignServer, regex: ClientRegex | undefined): string[] {
  const now = server.now();
  const keys = server.store
    .allKeys()
    .filter((k) => isActive(k.meta, now))
    .map((k) => k.key);
  if (!regex) return keys;
  const hit = regex.matches(keys);
  return keys.filter((_, i) => hit[i]);
}

export const scanVerb: Verb = {
  name: "scan",
  accept: (c) => c.startsWith("scan"),
  requiresAuth: false,
  usage: "scan",
  syntax: /^scan$|scan(:showhidden:(?<showhidden>true|false))?(:(?<forAtSign>@[^:@\s]+))?(:page:(?<page>\d+))?( (?<regex>\S+))?$/i,
  handle({ groups, conn, server }) {
    // HiveKeystore.getKeys compiles the regex outside its try: a bad one escapes as FormatException.
    const regex = groups["regex"] !== undefined ? ClientRegex.compile(groups["regex"], scanVerb.usage, unexpectedRegexError) : undefined;
    const forAtSign = groups["forAtSign"] !== undefined ? normalizeAtSign(groups["forAtSign"]) : undefined;
    if (forAtSign !== undefined && forAtSign !== server.atSign) {
      if (!conn.session.authenticated) throw new ServerError("AT0401", "Scan to another atSign cannot be performed without auth");
      const peer = server.peer(forAtSign);
      if (!peer) throw new ServerError("AT0007", `No secondary url found for atsign: ${forAtSign}`);
      const prefix = `${server.atSign}:`;
      const shared = activeKeys(peer, regex).filter((k) => k.startsWith(prefix));
      return `data:${JSON.stringify(shared.map((k) => k.slice(prefix.length)))}`;
    }
    const showHidden = groups["showhidden"]?.toLowerCase() === "true";
    let keys = activeKeys(server, regex);
    if (conn.session.authenticated) {
      keys = keys.filter((k) => !isHiddenFromOwner(k, showHidden));
    } else {
      keys = keys.filter((k) => k.startsWith("public:") && !k.startsWith("public:_")).map((k) => k.replaceAll("public:", ""));
    }
    return `data:${JSON.stringify(keys)}`;
  },
};
