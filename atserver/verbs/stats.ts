// stats (§4; stats_verb_handler.dart, metrics_impl.dart, stats_response_handler.dart):
// `data: [...]`, with the space after `data:` the real response handler writes. The list is
// Dart's List.toString of JSON strings, so several stats are separated by ", ".
import { isAlwaysIncludedInSync } from "../../protocol/atKey.js";
import { ServerError, syntaxError } from "../connection/ServerError.js";
import { SERVER_VERSION } from "./misc.js";
import type { AtSignServer, Verb } from "./types.js";

const NAMES: Readonly<Record<string, string>> = {
  "1": "activeInboundConnections",
  "2": "activeOutboundConnections",
  "3": "lastCommitID",
  "4": "secondaryStorageSize",
  "5": "topAtSigns",
  "6": "topKeys",
  "7": "secondaryServerVersion",
  "8": "LastLoggedInDatetime",
  "9": "diskSize",
  "10": "LastPkam",
  "11": "NotificationCount",
  "12": "CommitLogCompactionStats",
  "13": "AccessLogCompactionStats",
  "14": "NotificationCompactionStats",
  "15": "LatestCommitEntryOfEachKey",
  "16": "InboundSummary",
  "17": "InboundDetailed",
};


function compile(regex: string | undefined): RegExp | undefined {
  if (regex === undefined) return undefined;
  try {
    return new RegExp(regex);
  } catch {
    throw syntaxError("stats:1,2,3");
  }
}

function lastCommitId(server: AtSignServer, regex: RegExp | undefined): string {
  if (!regex) return String(server.store.lastCommitId() ?? "null");
  let last: number | undefined;
  for (const e of server.store.commitLog()) {
    if (regex.test(e.key) || isAlwaysIncludedInSync(e.key)) last = e.id;
  }
  return last === undefined ? "null" : String(last);
}

function latestPerKey(server: AtSignServer, regex: RegExp | undefined): string {
  const out: Record<string, [number, string]> = {};
  for (const e of server.store.commitLog()) {
    if (!regex || regex.test(e.key) || isAlwaysIncludedInSync(e.key)) out[e.key] = [e.id, e.op];
  }
  return JSON.stringify(out);
}

function metric(id: string, server: AtSignServer, regex: RegExp | undefined): string | number {
  switch (id) {
    case "1":
      return String(server.connectionCount());
    case "2":
      return "0";
    case "3":
      return lastCommitId(server, regex);
    case "7":
      return SERVER_VERSION;
    case "15":
      return latestPerKey(server, regex);
    case "4":
      return 0;
    default:
      return "{}";
  }
}

export const statsVerb: Verb = {
  name: "stats",
  accept: (c) => c.startsWith("stats"),
  requiresAuth: true,
  usage: "stats:1,2,3",
  syntax: /^stats(?<statId>:((?!0)\d+)?(,(\d+))*)?(:(?<regex>(?<=:3:|:15:).+))?$/i,
  handle({ groups, server }) {
    const given = groups["statId"];
    const ids = given === undefined ? Object.keys(NAMES) : [...new Set(given.slice(1).split(","))];
    const regex = compile(groups["regex"]);
    const list = ids.map((id) => {
      const name = NAMES[id];
      if (name === undefined) throw new ServerError("AT0003", `No metric with ID ${id}`);
      return JSON.stringify({ id, name, value: metric(id, server, regex) });
    });
    return `data: [${list.join(", ")}]`;
  },
};
