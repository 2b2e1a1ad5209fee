// The worker's method table: wire name → handler. atSign-scoped methods of shared/methods.ts
// only; main answers the rest itself.
import type { WorkerHandler } from "../WorkerContext.js";
import { conflictsList, conflictsResolve } from "./conflicts.js";
import { keysDelete, keysGet, keysGetMeta, keysList, keysPut, keysPutMany } from "./keys.js";
import { keysLookup } from "./lookup.js";
import { notificationsSend } from "./notifications.js";
import { statusGet, syncNow } from "./sync.js";
import { uploadsList } from "./uploads.js";

/** A test-only method (main registers its RPC twin only under ATSYNCD_TEST_HOOKS=1). */
export const DEBUG_CRASH_METHOD = "debug.crash";

export const WORKER_HANDLERS: ReadonlyMap<string, WorkerHandler> = new Map<string, WorkerHandler>([
  ["conflicts.list", conflictsList],
  ["conflicts.resolve", conflictsResolve],
  ["keys.delete", keysDelete],
  ["keys.get", keysGet],
  ["keys.getMeta", keysGetMeta],
  ["keys.list", keysList],
  ["keys.lookup", keysLookup],
  ["keys.put", keysPut],
  ["keys.putMany", keysPutMany],
  ["notifications.send", notificationsSend],
  ["status.get", statusGet],
  ["sync.now", syncNow],
  ["uploads.list", uploadsList],
]);
