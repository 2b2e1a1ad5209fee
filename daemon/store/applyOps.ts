// Carries out the engine's store operations (daemon/core/storeOps.ts) inside the caller's
// transaction. Each op is one statement or a few; none is a decision.
import type { StoreApplyResult, StoreOp } from "../core/storeOps.js";
import { namespaceOf } from "./keyListing.js";
import type { Statements } from "./statements.js";
import type { SyncStateTable } from "./SyncStateTable.js";

function json(m: object | null): string | null {
  return m === null ? null : JSON.stringify(m);
}

/** An op this store does not carry out fails its batch instead of being dropped (and fails the build where it is a new kind). */
export function unknownOp(o: never): Error {
  return new Error(`unknown store op: ${JSON.stringify(o)}`);
}

export function applyOps(st: Statements, state: SyncStateTable, ops: readonly StoreOp[]): StoreApplyResult {
  const conflictIds: number[] = [];
  for (const o of ops) {
    switch (o.op) {
      case "putKey":
        st.putRemote.run(o.atKey, o.value, JSON.stringify(o.metadata ?? {}), o.deleted ? 1 : 0, o.commitId, o.serverTimeMs, o.atMs, namespaceOf(o.atKey));
        break;
      case "verifyKey":
        if (o.metadata) st.verifyKeyMeta.run(o.commitId, o.serverTimeMs, JSON.stringify(o.metadata), o.atKey);
        else st.verifyKey.run(o.commitId, o.serverTimeMs, o.atKey);
        break;
      case "markSeen":
        st.markSeen.run(o.atKey);
        break;
      case "boundServerTime":
        st.boundServerTime.run(o.boundMs, o.atKey);
        break;
      case "markAllUnseen":
        st.markAllUnseen.run();
        break;
      case "markSent": {
        const sent = JSON.stringify(o.sent);
        for (const id of o.ids) st.markSent.run(sent, id);
        break;
      }
      case "boundSent":
        st.boundSent.run(o.maxCommitId);
        break;
      case "commitChanges":
        for (const id of o.ids) st.commitChange.run(o.commitId, id);
        break;
      case "retryChanges":
        for (const id of o.ids) st.retryChange.run(o.error, o.nextRetryAtMs, id);
        break;
      case "rejectChanges":
        for (const id of o.ids) st.rejectChange.run(o.error, id);
        break;
      case "supersedeChanges":
        st.supersede.run(o.atKey);
        break;
      case "upgradeMetaOnly":
        st.upgradeMetaOnly.run(o.atKey);
        break;
      case "requeue":
        st.requeueChange.run(o.atKey, o.change, o.atMs, o.versionTimeMs);
        break;
      case "insertConflict": {
        const c = o.conflict;
        const info = st.insertConflict.run(
          c.atKey, c.policy, c.winner,
          c.local.op, c.local.value, json(c.local.metadata), c.local.timeMs,
          c.remote.op, c.remote.value, json(c.remote.metadata), c.remote.timeMs,
          c.remote.commitId, c.detectedAtMs,
        );
        conflictIds.push(Number(info.lastInsertRowid));
        break;
      }
      case "setSyncState":
        state.apply(o.patch);
        break;
      default:
        throw unknownOp(o);
    }
  }
  return { conflictIds };
}
