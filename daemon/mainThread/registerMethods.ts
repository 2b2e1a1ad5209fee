// Every method of shared/methods.ts on the RPC server: atSign-scoped ones are forwarded to
// the atSign's worker, the rest answered here. `rpc.hello` belongs to the RPC layer itself.
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import { method } from "../../shared/method.js";
import * as M from "../../shared/methods.js";
import { obj, str } from "../../shared/schema.js";
import { ATSIGN_PATTERN } from "../../shared/atKey.js";
import type { SyncStatus } from "../../shared/status.js";
import type { Conflict, DaemonDescribeResult, WebLoginResult } from "../../shared/types.js";
import type { KeyStoreKind } from "../../shared/status.js";
import type { Disposable } from "../ports.js";
import type { EventHub } from "../rpc/EventHub.js";
import type { RpcServer } from "../rpc/RpcServer.js";
import { serveEvents } from "../rpc/serveEvents.js";
import type { Cancellation } from "../supervisor/CancelSource.js";
import type { Supervisor } from "../supervisor/Supervisor.js";
import { DEBUG_MEMORY_METHOD, threadHeap, type ThreadHeap, type WorkerMemory } from "../worker/handlers/debugMemory.js";
import { DEBUG_CRASH_METHOD } from "../worker/handlers/index.js";
import type { AppConsent } from "../web/AppConsent.js";
import type { Identities } from "./Identities.js";
import { statusOf } from "./statusOf.js";

/** Test-only (ATSYNCD_TEST_HOOKS=1): makes one worker exit as if it had crashed. */
export const DebugCrashWorker = method<"debug.crashWorker", { atSign: string }, { crashed: boolean }>(
  "debug.crashWorker", obj({ atSign: str({ maxBytes: 255, pattern: ATSIGN_PATTERN, patternName: "an atSign", patternCode: ErrorCode.InvalidAtSign }) }));

/** Test-only (ATSYNCD_TEST_HOOKS=1): one worker's memory (its V8 heap, store cache, caches) and the main thread's heap, in bytes. */
export const DebugMemory = method<"debug.memory", { atSign: string }, { main: ThreadHeap; worker: WorkerMemory }>(
  "debug.memory", obj({ atSign: str({ maxBytes: 255, pattern: ATSIGN_PATTERN, patternName: "an atSign", patternCode: ErrorCode.InvalidAtSign }) }));

export interface MethodDeps {
  rpc: RpcServer;
  hub: EventHub;
  supervisor: Supervisor;
  identities: Identities;
  /** Browser apps: app.requestAccess on the web listener, apps.* for the user. */
  consent: AppConsent;
  keyStoreKind: KeyStoreKind;
  describe(): DaemonDescribeResult;
  /** A one-time link to the status page (throws WebOff when the web listener is off). */
  webLogin(): WebLoginResult;
  shutdown(): void;
  testHooks: boolean;
}

export function registerMethods(d: MethodDeps): Disposable {
  const { rpc, supervisor: sup } = d;
  const statuses = (atSign?: string): SyncStatus[] => {
    if (atSign === undefined) return sup.workers().map((w) => statusOf(w, d.keyStoreKind));
    const info = sup.worker(atSign);
    if (info === undefined) throw new AtsyncError(ErrorCode.NotOnboarded, `${atSign} is not onboarded`);
    return [statusOf(info, d.keyStoreKind)];
  };
  // The request context is itself a cheap cancel source (no AbortController per call), so every
  // forwarded request stays cancellable by `$/cancel` or a dropped connection.
  const fwd = <R>(atSign: string, name: string, params: unknown, cancel: Cancellation): Promise<R> =>
    sup.forward(atSign, name, params, cancel) as Promise<R>;
  // A method whose reply is the worker's result as it is: the worker's JSON goes into the reply
  // frame unparsed (RawJson). Typed as the method's result, which is what the app receives.
  const pass = <R>(atSign: string, name: string, params: unknown, cancel: Cancellation): Promise<R> =>
    sup.forwardRaw(atSign, name, params, cancel) as Promise<R>;

  const all: Disposable[] = [
    serveEvents(rpc, d.hub),
    d.consent.register(rpc),
    rpc.handle(M.AtSignsList, () => statuses().map((s) => ({ atSign: s.atSign, state: s.state.kind, keyStore: s.keyStore }))),
    rpc.handle(M.ConflictsList, async (p, ctx) => {
      const targets = p.atSign !== undefined ? [p.atSign] : sup.atSigns();
      const lists = await Promise.all(targets.map((a) => fwd<Conflict[]>(a, M.ConflictsList.name, { ...p, atSign: a }, ctx)));
      return lists.flat();
    }),
    rpc.handle(M.ConflictsResolve, (p, ctx) => pass(p.atSign, M.ConflictsResolve.name, p, ctx)),
    rpc.handle(M.DaemonDescribe, () => d.describe()),
    rpc.handle(M.DaemonShutdown, (_p, ctx) => {
      ctx.afterReply(() => d.shutdown());
      return {};
    }),
    rpc.handle(M.IdentitiesOffboard, (p) => d.identities.offboard(p.atSign)),
    rpc.handle(M.IdentitiesOnboard, (p) => d.identities.onboard(p.atSign, p.atKeys)),
    rpc.handle(M.KeysDelete, (p, ctx) => pass(p.atSign, M.KeysDelete.name, p, ctx)),
    rpc.handle(M.KeysGet, (p, ctx) => pass(p.atSign, M.KeysGet.name, p, ctx)),
    rpc.handle(M.KeysGetMeta, (p, ctx) => pass(p.atSign, M.KeysGetMeta.name, p, ctx)),
    rpc.handle(M.KeysList, (p, ctx) => pass(p.atSign, M.KeysList.name, p, ctx)),
    rpc.handle(M.KeysLookup, (p, ctx) => pass(p.atSign, M.KeysLookup.name, p, ctx)),
    rpc.handle(M.KeysPut, (p, ctx) => pass(p.atSign, M.KeysPut.name, p, ctx)),
    rpc.handle(M.KeysPutMany, (p, ctx) => pass(p.atSign, M.KeysPutMany.name, p, ctx)),
    rpc.handle(M.NotificationsSend, (p, ctx) => pass(p.atSign, M.NotificationsSend.name, p, ctx)),
    rpc.handle(M.StatusGet, (p) => statuses(p.atSign)),
    rpc.handle(M.SyncNow, async (p, ctx) => {
      const targets = p.atSign !== undefined ? [p.atSign] : sup.atSigns();
      const { atSign: _ignored, ...rest } = p;
      const results = await Promise.all(targets.map((a) => fwd<{ statuses: SyncStatus[] }>(a, M.SyncNow.name, { ...rest, atSign: a }, ctx)));
      return { statuses: results.flatMap((r) => r.statuses.map((s) => ({ ...s, keyStore: d.keyStoreKind }))) };
    }),
    rpc.handle(M.UploadsList, (p, ctx) => pass(p.atSign, M.UploadsList.name, p, ctx)),
    rpc.handle(M.WebLogin, () => d.webLogin()),
  ];
  if (d.testHooks) {
    all.push(rpc.handle(DebugCrashWorker, async (p, ctx) => {
      try {
        await fwd(p.atSign, DEBUG_CRASH_METHOD, {}, ctx);
      } catch (err) {
        if (AtsyncError.is(err, ErrorCode.WorkerRestarting)) return { crashed: true };
        throw err;
      }
      return { crashed: false };
    }));
    all.push(rpc.handle(DebugMemory, async (p, ctx) => {
      const worker = await fwd<WorkerMemory>(p.atSign, DEBUG_MEMORY_METHOD, {}, ctx);
      return { main: threadHeap(), worker };
    }));
  }
  return { dispose: () => all.forEach((x) => x.dispose()) };
}
