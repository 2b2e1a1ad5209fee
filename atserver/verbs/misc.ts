// noop, info and monitor.
import { ServerError } from "../connection/ServerError.js";
import { ClientRegex } from "./clientRegex.js";
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

/** info_verb_handler durationToWords: leading zero units are left out. */
export function uptimeAsWords(ms: number): string {
  const s = Math.floor(ms / 1000);
  const [d, h, m] = [Math.floor(s / 86400), Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60)];
  return (d > 0 ? `${d} days ` : "") + (d > 0 || h > 0 ? `${h} hours ` : "") + (d > 0 || h > 0 || m > 0 ? `${m} minutes ` : "") + `${s % 60} seconds`;
}

/** What `info` lists under features (info_verb_handler). */
const FEATURES = [
  {
    name: "noop:",
    status: "Beta",
    description:
      "The No-Op verb simply does nothing for the requested number of milliseconds. " +
      "The requested number of milliseconds may not be greater than 5000. " +
      "Upon completion, the noop verb sends 'ok' as a response to the client.",
    syntax: "^noop:(?<delayMillis>\\d+)$",
  },
  {
    name: "info:",
    status: "Beta",
    description: "The Info verb returns some information about the server including uptime and some info about available features. ",
    syntax: "^info(:brief)?$",
  },
];

export const infoVerb: Verb = {
  name: "info",
  // Only these two exact commands: anything else is "invalid command", not a syntax error.
  accept: (c) => c === "info" || c === "info:brief",
  requiresAuth: false,
  usage: "info",
  syntax: /^info(:(?<brief>brief))?$/i,
  handle({ groups, server }) {
    const uptime = server.now() - server.startedAt;
    if (groups["brief"] !== undefined) return `data:${JSON.stringify({ version: SERVER_VERSION, uptimeAsMillis: uptime })}`;
    return `data:${JSON.stringify({ version: SERVER_VERSION, uptimeAsWords: uptimeAsWords(uptime), features: FEATURES })}`;
  },
};

export const monitorVerb: Verb = {
  name: "monitor",
  accept: (c) => c.startsWith("monitor"),
  requiresAuth: true,
  usage: "monitor",
  syntax: /^monitor(:strict)?(?<selfNotifications>:selfNotifications)?(:multiplexed)?(:(?<epochMillis>\d+))?( (?<regex>.+))?$/i,
  handle({ groups, conn, server }) {
    // monitor_verb_handler wraps the RegExp failure in its own words.
    const regex = ClientRegex.compile(
      groups["regex"] ?? ".*",
      monitorVerb.usage,
      () => new ServerError("AT0003", `Invalid regex: ${groups["regex"] ?? ""}`),
    );
    const since = groups["epochMillis"] !== undefined ? Number(groups["epochMillis"]) : undefined;
    server.hub.subscribe(conn, regex, groups["selfNotifications"] !== undefined, since, server.now());
    return undefined;
  },
};
