// What an atServer does beside answering verbs, shared by the dev-server's SecondaryServer and
// the simulator's in-process server so they cannot drift: the statsNotification after each write
// (and on its 15 s timer), the expiry sweep, and the reset that keeps the identity.
import type { ServerStore } from "./store/ServerStore.js";
import type { AtSignServer } from "./verbs/types.js";

/** The statsNotification value: the global last commit id, "null" for an empty log. */
export function lastCommitText(store: ServerStore): string {
  return String(store.lastCommitId() ?? "null");
}

/** The stats notification every monitor gets (after a write, or on the interval with op "update"). */
export function announceCommit(server: AtSignServer, commitId: number | null, op: "update" | "delete"): void {
  server.hub.stats(commitId !== null && commitId >= 0 ? String(commitId) : lastCommitText(server.store), op, server.now());
}

/** Deletes expired keys, each committed as `-` (skipCommitsForExpiredKeys=false); returns their commit ids. */
export function expireKeys(server: AtSignServer): number[] {
  const ids: number[] = [];
  for (const key of server.store.expiredKeys(server.now())) {
    const id = server.store.remove(key);
    ids.push(id);
    server.afterWrite(id, "delete");
  }
  return ids;
}

/** Wipes keys and commit log, seeds the identity again, and tells monitors the (now lower) commit id at once. */
export function resetStore(server: AtSignServer, seed: (store: ServerStore) => void): void {
  server.store.wipe();
  seed(server.store);
  announceCommit(server, null, "update");
}
