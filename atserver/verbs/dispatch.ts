// Finds the handler for a command the way DefaultVerbHandlerManager does (first `accept` in
// the real server's order wins), checks auth, parses with the verb's regex, then runs it.
import { ServerError, syntaxError } from "../connection/ServerError.js";
import { cramVerb, fromVerb, pkamVerb } from "./auth.js";
import { batchVerb } from "./batch.js";
import { llookupVerb, lookupVerb, plookupVerb } from "./lookup.js";
import { infoVerb, monitorVerb, noopVerb } from "./misc.js";
import { notifyFetchVerb, notifyListVerb, notifyRemoveVerb, notifyStatusVerb, notifyVerb } from "./notify.js";
import { scanVerb } from "./scan.js";
import { statsVerb } from "./stats.js";
import { syncFromVerb } from "./syncFrom.js";
import type { AtSignServer, Conn, Verb, VerbResult } from "./types.js";
import { deleteVerb, updateMetaVerb, updateVerb } from "./update.js";

const VERBS: readonly Verb[] = [
  fromVerb, cramVerb, pkamVerb, updateVerb, updateMetaVerb, llookupVerb, plookupVerb, lookupVerb, scanVerb,
  deleteVerb, statsVerb, monitorVerb, notifyStatusVerb, notifyListVerb, notifyFetchVerb, notifyRemoveVerb,
  notifyVerb, batchVerb(dispatch, (c) => findVerb(convertCommand(c)) !== undefined), syncFromVerb, infoVerb, noopVerb,
];

function findVerb(command: string): Verb | undefined {
  return VERBS.find((v) => v.accept(command));
}

/** The verb prefix is lowercased (secondary_util.dart convertCommand); keys are lowercased later. */
function convertCommand(command: string): string {
  const i = command.indexOf(":");
  return i === -1 ? command.toLowerCase() : command.slice(0, i).toLowerCase().replaceAll(" ", "") + command.slice(i);
}

export async function dispatch(rawCommand: string, conn: Conn, server: AtSignServer): Promise<VerbResult> {
  const command = convertCommand(rawCommand);
  const verb = findVerb(command);
  if (!verb) throw new ServerError("AT0003", "invalid command");
  if (verb.requiresAuth && !conn.session.authenticated) {
    throw new ServerError("AT0401", "Command cannot be executed without auth");
  }
  const m = verb.syntax.exec(command);
  if (!m) throw syntaxError(verb.usage);
  return verb.handle({ groups: m.groups ?? {}, command, conn, server });
}
