// sync:from (§4; sync_progressive_verb_handler.dart). The client's limit is required but
// ignored: a page reads at most 25 log entries that the regex selects, skips what it may not
// send (the skipped ones still count), and stops before its JSON passes 5 MB unless the page is
// still empty.
import { isAlwaysIncludedInSync } from "../../protocol/atKey.js";
import type { CommitRow } from "../store/ServerStore.js";
import { ClientRegex, unexpectedRegexError } from "./clientRegex.js";
import type { AtSignServer, Verb } from "./types.js";

export const SYNC_PAGE_ENTRIES = 25;
export const SYNC_PAGE_BYTES = 5_242_880;
/** Log rows read per regex test while looking for a page's 25 entries. */
const SCAN_CHUNK = 256;

/**
 * The page's window: the first 25 log entries after `from` whose key the regex matches or that
 * are always included. The commit log applies the regex before it takes its limit
 * (CommitLogKeyStore.getEntries: `where(commitId >= from && _acceptKey(key, regex)).take(limit)`).
 */
function window(server: AtSignServer, from: number, source: string | undefined): CommitRow[] {
  if (source === undefined) return server.store.entriesAfter(from, SYNC_PAGE_ENTRIES);
  const out: CommitRow[] = [];
  let regex: ClientRegex | undefined;
  for (let after = from; out.length < SYNC_PAGE_ENTRIES; ) {
    const rows = server.store.entriesAfter(after, SCAN_CHUNK);
    if (rows.length === 0) break;
    // The commit log compiles the regex per entry (RegExp(regex).hasMatch) and lets a
    // FormatException escape: a bad regex fails only when there is an entry to test.
    regex ??= ClientRegex.compile(source, syncFromVerb.usage, unexpectedRegexError);
    const hit = regex.matches(rows.map((r) => r[1]));
    for (const [i, row] of rows.entries()) {
      if ((hit[i] || isAlwaysIncludedInSync(row[1])) && out.length < SYNC_PAGE_ENTRIES) out.push(row);
    }
    if (rows.length < SCAN_CHUNK) break;
    after = rows[rows.length - 1]![0];
  }
  return out;
}

export const syncFromVerb: Verb = {
  name: "sync:from",
  accept: (c) => c.startsWith("sync:from"),
  requiresAuth: true,
  usage: "sync:from:<commitId>:limit:<limit>",
  syntax: /^sync:from:(?<from_commit_seq>[0-9]+|-1)(:limit:(?<limit>\d+))(:(?<regex>.+))?$/i,
  handle({ groups, server }) {
    const parts: string[] = [];
    let bytes = 0;
    for (const [, , json] of window(server, Number(groups["from_commit_seq"]), groups["regex"])) {
      // Invalid keys are skipped after the window is taken (they still count toward the 25).
      if (json === null) continue;
      // populateSyncBuffer: the entries' own UTF-8 bytes count; an entry that overflows ends
      // the page, unless it is the first, which is sent alone.
      const size = Buffer.byteLength(json);
      if (parts.length > 0 && bytes + size > SYNC_PAGE_BYTES) break;
      parts.push(json);
      if (bytes + size > SYNC_PAGE_BYTES) break;
      bytes += size;
    }
    return `data:[${parts.join(",")}]`;
  },
};
