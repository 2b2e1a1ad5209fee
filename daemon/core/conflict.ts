// Conflicts: a local change not yet acknowledged and a newer server change to the same key.
import { metadataFragment, type AtMetadata } from "../../protocol/metadata.js";
import type { ConflictPolicy, ConflictSide, ConflictWinner } from "./types.js";

/**
 * Whether the two sides really disagree. Two deletes agree; two writes agree when the values
 * and the metadata the client controls (the wire fragment) are equal; server-set times
 * (createdAt, updatedAt...) are not compared, since they differ on every write.
 */
export function sidesDiffer(local: ConflictSide, remote: ConflictSide): boolean {
  const localDeleted = local.op === "-";
  const remoteDeleted = remote.op === "-";
  if (localDeleted !== remoteDeleted) return true;
  if (localDeleted) return false;
  if (local.value !== remote.value) return true;
  return clientFragment(local.metadata) !== clientFragment(remote.metadata);
}

/**
 * The wire fragment with the server's defaults removed: it stores isBinary/isEncrypted (and
 * ccd with a ttr) as false when not given, and a ttl, ttb or ttr of 0 means none.
 */
function clientFragment(meta: AtMetadata | null): string {
  const m: Partial<AtMetadata> = { ...(meta ?? {}) };
  for (const f of ["isBinary", "isEncrypted", "ccd"] as const) if (m[f] === false) delete m[f];
  for (const f of ["ttl", "ttb", "ttr"] as const) if (m[f] === 0) delete m[f];
  try {
    return metadataFragment(m);
  } catch {
    // Metadata the wire cannot carry cannot be what the server holds.
    return `invalid:${JSON.stringify(m)}`;
  }
}

/**
 * Which side wins under a policy. `last-writer-wins` compares the server's `updatedAt` with the
 * local change time; a tie keeps the local side (it is the one the default policy keeps), and a
 * side with no time loses to one with a time. A server delete carries no `updatedAt` (its
 * metadata is null on the wire), so under last-writer-wins a local change beats a remote delete.
 */
export function resolveConflict(policy: ConflictPolicy, local: ConflictSide, remote: ConflictSide): ConflictWinner {
  switch (policy) {
    case "local-wins":
      return "local";
    case "remote-wins":
      return "remote";
    case "last-writer-wins": {
      if (remote.timeMs === null) return "local";
      if (local.timeMs === null) return "remote";
      return remote.timeMs > local.timeMs ? "remote" : "local";
    }
  }
}
