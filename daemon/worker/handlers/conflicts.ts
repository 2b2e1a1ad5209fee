// conflicts.list / conflicts.resolve. Resolving for the side not in effect writes that side
// again as a local change (driver.local.resolveConflict), so it syncs like any put. A resolved conflict can be resolved again
// (a person who kept the wrong side switches; the record holds the only copy of the other
// side), and the record always tells the side now in effect.
import { AtsyncError, ErrorCode } from "../../../shared/errors.js";
import { ConflictsList, ConflictsResolve } from "../../../shared/methods.js";
import type { Conflict, ConflictSide } from "../../../shared/types.js";
import type { ConflictRecord, ConflictSide as StoreSide } from "../../core/types.js";
import type { WorkerContext } from "../WorkerContext.js";
import { toKeyMetadata } from "./keys.js";

async function side(ctx: WorkerContext, atKey: string, s: StoreSide): Promise<ConflictSide> {
  const deleted = s.op === "-";
  if (deleted || s.value === null) return { value: null, metadata: s.metadata ? toKeyMetadata(s.metadata) : null, deleted };
  let value: string | null;
  try {
    value = await ctx.cipher.decryptForGet(atKey, s.value, s.metadata ?? {});
  } catch {
    // A side we cannot decrypt is still listed, without its value.
    value = null;
  }
  return { value, metadata: s.metadata ? toKeyMetadata(s.metadata) : null, deleted };
}

async function toConflict(ctx: WorkerContext, c: ConflictRecord): Promise<Conflict> {
  return {
    id: String(c.id),
    atSign: ctx.atSign,
    key: c.atKey,
    local: await side(ctx, c.atKey, c.local),
    remote: await side(ctx, c.atKey, c.remote),
    policy: c.policy,
    applied: c.winner,
    detectedAt: c.detectedAtMs,
    resolved: c.resolved,
  };
}

export async function conflictsList(ctx: WorkerContext, raw: unknown): Promise<Conflict[]> {
  const p = ConflictsList.validate(raw, "");
  const records = ctx.store.listConflicts({ unresolvedOnly: p.includeResolved !== true });
  const out: Conflict[] = [];
  for (const c of records) out.push(await toConflict(ctx, c));
  return out;
}

export async function conflictsResolve(ctx: WorkerContext, raw: unknown): Promise<Conflict> {
  const p = ConflictsResolve.validate(raw, "");
  const id = Number(p.id);
  const record = Number.isSafeInteger(id) ? ctx.store.listConflicts().find((c) => c.id === id) : undefined;
  if (record === undefined) throw new AtsyncError(ErrorCode.ConflictNotFound, `no conflict ${p.id} for ${ctx.atSign}`);
  // The side kept is the person's choice from now on: conflicts.list reports it as `applied`.
  ctx.driver.local.resolveConflict(record, p.choose);
  ctx.status.schedule();
  const after = ctx.store.listConflicts().find((c) => c.id === id) ?? record;
  return toConflict(ctx, after);
}
