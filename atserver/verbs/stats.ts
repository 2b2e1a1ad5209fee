// stats (§4; stats_verb_handler.dart, metrics_impl.dart, stats_response_handler.dart):
// `data: [...]`, with the space after `data:` the real response handler writes. The list is
// Dart's List.toString of JSON strings, so several stats are separated by ", ".
import { isAlwaysIncludedInSync } from "../../protocol/atKey.js";
import { ServerError } from "../connection/ServerError.js";
import { ClientRegex, unexpectedRegexError } from "./clientRegex.js";
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


/**
 * The commit log entries the regex selects (all without one), always-included keys too. The
 * commit log compiles the regex per entry and lets a FormatException escape (AT0011, close).
 */
function selected(server: AtSignServer, source: string | undefined): Array<{ id: number; key: string; op: string }> {
  const log = server.store.commitLog();
  if (source === undefined || log.length === 0) return log;
  const hit = ClientRegex.compile(source, statsVerb.usage, unexpectedRegexError).matches(log.map((e) => e.key));
  return log.filter((e, i) => hit[i] === true || isAlwaysIncludedInSync(e.key));
}

function lastCommitId(server: AtSignServer, regex: string | undefined): string {
  if (!regex) return String(server.store.lastCommitId() ?? "null");
  const last = selected(server, regex).at(-1);
  return last === undefined ? "null" : String(last.id);
}

function latestPerKey(server: AtSignServer, regex: string | undefined): string {
  const out: Record<string, [number, string]> = {};
  for (const e of selected(server, regex)) out[e.key] = [e.id, e.op];
  return JSON.stringify(out);
}

function metric(id: string, server: AtSignServer, regex: string | undefined): string | number {
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
    const regex = groups["regex"];
    const list = ids.map((id) => {
      const name = NAMES[id];
      if (name === undefined) throw new ServerError("AT0003", `No metric with ID ${id}`);
      return JSON.stringify({ id, name, value: metric(id, server, regex) });
    });
    return `data: [${list.join(", ")}]`;
  },
};
