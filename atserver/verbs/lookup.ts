// llookup (own keys), lookup and plookup (keys of other atSigns this dev-server hosts,
// answered in-process where a real server would proxy to the other atServer).
import { normalizeAtSign } from "../../protocol/atKey.js";
import { ServerError } from "../connection/ServerError.js";
import { isActive, metaToJson } from "../store/StoredMeta.js";
import type { StoredKey } from "../store/ServerStore.js";
import { keyFromGroups, keyNotFound } from "./keyFromGroups.js";
import type { AtSignServer, Verb } from "./types.js";

type Operation = "meta" | "all" | undefined;

function operationOf(g: Record<string, string | undefined>): Operation {
  const op = g["operation"]?.toLowerCase();
  return op === "meta" || op === "all" ? op : undefined;
}

/** The reply for a found key: value, metadata or both (secondary_util.dart prepareResponseData). */
function reply(found: StoredKey, op: Operation, now: number, shownKey: string): string {
  if (!isActive(found.meta, now)) return "data:null";
  if (op === "meta") return `data:${JSON.stringify(metaToJson(found.meta))}`;
  if (op === "all") return `data:${JSON.stringify({ key: shownKey, data: found.value, metaData: metaToJson(found.meta) })}`;
  return `data:${found.value}`;
}

export const llookupVerb: Verb = {
  name: "llookup",
  accept: (c) => c.startsWith("llookup:"),
  requiresAuth: true,
  usage: "e.g llookup:location@bob",
  syntax:
    /^llookup(:(?<operation>meta|all))?(?<cached>:cached)?(:((?<publicScope>public)|(@(?<forAtSign>[^:@\s]+))))?:(?<atKey>[^:]((?!:{2})[^@])+)@(?<atSign>[^:@\s]+)$/i,
  handle({ groups, server }) {
    const key = keyFromGroups(groups, server.atSign);
    const found = server.store.get(key);
    if (!found) throw keyNotFound(key);
    return reply(found, operationOf(groups), server.now(), key);
  },
};

function peerOf(server: AtSignServer, atSign: string): AtSignServer {
  const owner = normalizeAtSign(atSign);
  if (owner === server.atSign) return server;
  const peer = server.peer(owner);
  if (!peer) throw new ServerError("AT0007", `No secondary url found for atsign: ${owner}`);
  return peer;
}

function lookupIn(owner: AtSignServer, key: string, op: Operation): string {
  const found: StoredKey | undefined = owner.store.get(key);
  if (!found) throw keyNotFound(key);
  return reply(found, op, owner.now(), key);
}

const LOOKUP_SYNTAX = /^lookup:(bypassCache:(?<bypassCache>true|false):)?((?<operation>meta|all):)?(?<atKey>(?:[^:@]|@(?=[^@]*@))+)@(?<atSign>[^@\s]+)$/i;

export const lookupVerb: Verb = {
  name: "lookup",
  accept: (c) => c.startsWith("lookup:"),
  // lookup_verb_handler serves unauthenticated clients too: they read public keys.
  requiresAuth: false,
  usage: "e.g. lookup:location@bob",
  syntax: LOOKUP_SYNTAX,
  handle({ groups, conn, server }) {
    const body = (groups["atKey"] ?? "").toLowerCase();
    if (!conn.session.authenticated) {
      const key = `public:${body}${normalizeAtSign(groups["atSign"] ?? "")}`;
      return lookupIn(server, key, operationOf(groups));
    }
    const owner = peerOf(server, groups["atSign"] ?? "");
    // What the owner shares with the looker, own atSign included: @alice:x@alice.
    return lookupIn(owner, `${server.atSign}:${body}${owner.atSign}`, operationOf(groups));
  },
};

export const plookupVerb: Verb = {
  name: "plookup",
  accept: (c) => c.startsWith("plookup:"),
  requiresAuth: false,
  usage: "e.g. plookup:location@bob",
  syntax: /^plookup:(bypassCache:(?<bypassCache>true|false):)?((?<operation>meta|all):)?(?<atKey>[^@\s]+)@(?<atSign>[^@\s]+)$/i,
  handle({ groups, server }) {
    const owner = peerOf(server, groups["atSign"] ?? "");
    const key = `public:${(groups["atKey"] ?? "").toLowerCase()}${owner.atSign}`;
    return lookupIn(owner, key, operationOf(groups));
  },
};

