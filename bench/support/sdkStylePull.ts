// The reference SDK's pull (atprotocol.md §5.5) as a baseline: one connection, `stats:3` for the
// server's commit id, then `sync:from:<lastReceived>:limit:25` one page per round trip until that
// id is reached (an empty page also ends it), each page applied in one store transaction.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseStats3, parseSyncPage, statsCommand, syncFromCommand } from "../../daemon/core/pull.js";
import type { AtRemote } from "../../daemon/ports.js";
import { SqliteStore } from "../../daemon/store/SqliteStore.js";
import { applyPulled } from "../../daemon/sync/applyPulled.js";
import type { Target } from "./benchServer.js";
import { clock, closeRemotes, openRemotes, roundTripMs, timed, type PullFigures } from "./remotes.js";

export async function sdkStylePull(remote: AtRemote, store: SqliteStore): Promise<{ keys: number; pages: number }> {
  const server = parseStats3(await remote.request(statsCommand(3)));
  let last = store.syncState().lastReceivedCommitId;
  let keys = 0;
  let pages = 0;
  while (server !== null && last < server) {
    const page = parseSyncPage(await remote.request(syncFromCommand(last)));
    pages++;
    if (page.entries.length === 0) break;
    const top = Math.max(last, ...page.entries.map((e) => e.commitId));
    const res = applyPulled({ store, clock, policy: "local-wins", clockOffsetMs: () => 0 }, page.entries, top);
    keys += res.changed.length;
    last = store.syncState().lastReceivedCommitId;
  }
  return { keys, pages };
}

/** The baseline on a fresh store over one new connection; checks that every bench key arrived. */
export async function sdkBaseline(target: Target, expectKeys: number): Promise<PullFigures & { rttMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), "atsyncd-bench-store-"));
  const [remote] = await openRemotes(target, 1);
  const store = SqliteStore.open({ path: join(dir, "device.db"), clock });
  try {
    if (!remote) throw new Error("no connection");
    const rttMs = await roundTripMs(remote, 20);
    const run = await timed(() => sdkStylePull(remote, store));
    const keys = store.listKeys({ namespace: "bench" }).length;
    if (keys !== expectKeys) throw new Error(`SDK-style pull left ${keys} of ${expectKeys} keys`);
    return { keys, ms: run.ms, cpuMs: run.cpuMs, pages: run.value.pages, rttMs };
  } finally {
    store.close();
    if (remote) await closeRemotes([remote]);
    rmSync(dir, { recursive: true, force: true });
  }
}
