// batch (§4; batch_verb_handler.dart): runs each command in order on the same connection.
// An error with an AT code becomes that item's error, worded with the code's description only
// (getErrorDescription); any other failure, and a command no handler accepts, leave it out.
import { AtErrorDescriptions } from "../../protocol/errors.js";
import { ServerError } from "../connection/ServerError.js";
import type { AtSignServer, Conn, Verb, VerbResult } from "./types.js";

export type CommandRunner = (command: string, conn: Conn, server: AtSignServer) => Promise<VerbResult>;

interface BatchItem {
  id: unknown;
  command: string;
}

function parseItems(json: string): BatchItem[] {
  // A body that is not JSON is an unexpected exception on the real server: AT0011 and a close.
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error("FormatException: batch request is not valid JSON");
  }
  if (!Array.isArray(parsed)) throw new Error("batch request is not a list");
  return parsed.filter(
    (x): x is BatchItem => typeof x === "object" && x !== null && typeof (x as Record<string, unknown>)["command"] === "string",
  );
}

/** The batch verb, running each command `handled` accepts through `run` (the dispatcher). */
export const batchVerb = (run: CommandRunner, handled: (command: string) => boolean): Verb => ({
  name: "batch",
  accept: (c) => c.startsWith("batch:"),
  requiresAuth: true,
  usage: "batch:<json>",
  syntax: /^batch:(?<json>.+)$/i,
  async handle({ groups, conn, server }) {
    const out: unknown[] = [];
    for (const item of parseItems(groups["json"] ?? "")) {
      if (!handled(item.command.trim())) continue;
      try {
        const reply = await run(item.command.trim(), conn, server);
        const data = reply?.startsWith("data:") ? reply.slice("data:".length) : (reply ?? "");
        out.push({ id: item.id, response: { data } });
      } catch (err) {
        if (err instanceof ServerError) {
          out.push({ id: item.id, response: { error_code: err.code, error_message: AtErrorDescriptions[err.code] ?? "" } });
        }
      }
    }
    return `data:${JSON.stringify(out)}`;
  },
});
