// sync:from (§4; sync_progressive_verb_handler.dart). The client's limit is required but
// ignored: a page reads at most 25 log entries, skips what it may not send (the skipped ones
// still count), and stops before its JSON passes 5 MB unless the page is still empty.
import { isAlwaysIncludedInSync } from "../../protocol/atKey.js";
import { ClientRegex, unexpectedRegexError } from "./clientRegex.js";
import type { Verb } from "./types.js";

export const SYNC_PAGE_ENTRIES = 25;
export const SYNC_PAGE_BYTES = 5_242_880;

export const syncFromVerb: Verb = {
  name: "sync:from",
  accept: (c) => c.startsWith("sync:from"),
  requiresAuth: true,
  usage: "sync:from:<commitId>:limit:<limit>",
  syntax: /^sync:from:(?<from_commit_seq>[0-9]+|-1)(:limit:(?<limit>\d+))(:(?<regex>.+))?$/i,
  handle({ groups, server }) {
    const from = Number(groups["from_commit_seq"]);
    const parts: string[] = [];
    let bytes = 0;
    const rows = server.store.entriesAfter(from, SYNC_PAGE_ENTRIES);
    // The commit log compiles the regex per entry (RegExp(regex).hasMatch) and lets a
    // FormatException escape: a bad regex fails only when there is an entry to test.
    const source = groups["regex"];
    const regex = source !== undefined && rows.length > 0 ? ClientRegex.compile(source, syncFromVerb.usage, unexpectedRegexError) : undefined;
    const hit = regex?.matches(rows.map((r) => r[1]));
    for (const [i, [, key, json]] of rows.entries()) {
      // Invalid keys are skipped (they still count toward the 25).
      if (json === null) continue;
      if (hit && !hit[i] && !isAlwaysIncludedInSync(key)) continue;
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
