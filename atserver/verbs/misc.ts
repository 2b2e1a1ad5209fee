// noop, info and monitor.
import { ServerError } from "../connection/ServerError.js";
import type { Verb } from "./types.js";

export const SERVER_VERSION = "3.0.52";

export const noopVerb: Verb = {
  name: "noop",
  accept: (c) => c.startsWith("noop:"),
  requiresAuth: false,
  usage: "noop:<durationInMillis>",
  syntax: /^noop:(?<delayMillis>\d+)$/i,
  async handle({ groups }) {
    const delay = Number(groups["delayMillis"]);
    if (delay > 5000) throw new ServerError("AT0022", `${noopVerb.usage} where the duration maximum is 5000 milliseconds`);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    return "data:ok";
  },
};

function uptimeAsWords(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 86400)} days ${Math.floor((s % 86400) / 3600)} hours ${Math.floor((s % 3600) / 60)} minutes ${s % 60} seconds`;
}

export const infoVerb: Verb = {
  name: "info",
  accept: (c) => c.startsWith("info"),
  requiresAuth: false,
  usage: "info",
  syntax: /^info(:(?<brief>brief))?$/i,
  handle({ groups, server }) {
    const uptime = server.now() - server.startedAt;
    if (groups["brief"] !== undefined) return `data:${JSON.stringify({ version: SERVER_VERSION, uptimeAsMillis: uptime })}`;
    return `data:${JSON.stringify({ version: SERVER_VERSION, uptimeAsWords: uptimeAsWords(uptime), features: [] })}`;
  },
};

export const monitorVerb: Verb = {
  name: "monitor",
  accept: (c) => c.startsWith("monitor"),
  requiresAuth: true,
  usage: "monitor",
  syntax: /^monitor(:strict)?(?<selfNotifications>:selfNotifications)?(:multiplexed)?(:(?<epochMillis>\d+))?( (?<regex>.+))?$/i,
  handle({ groups, conn, server }) {
    let regex: RegExp;
    try {
      regex = new RegExp(groups["regex"] ?? ".*");
    } catch {
      throw new ServerError("AT0003", `Invalid regex: ${groups["regex"] ?? ""}`);
    }
    const since = groups["epochMillis"] !== undefined ? Number(groups["epochMillis"]) : undefined;
    server.hub.subscribe(conn, regex, groups["selfNotifications"] !== undefined, since, server.now());
    return undefined;
  },
};
