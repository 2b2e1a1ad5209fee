// What a browser app may do with its token: the methods below, each only for the atSigns and the
// key namespaces the user allowed it (deny by default: any other method is refused). The guard runs
// on the validated params of every request, subscriptions included, and returns them narrowed
// (a subscription without a filter gets the app's own). What the app is sent is narrowed too: a
// status names its latest rejected change only when that key is the app's, and events about the
// daemon (apps asking) or about what the app cannot do (notifications sent, which name another
// atSign and carry no key to scope by) never reach it.

import { keyNamespace } from "../../shared/atKey.js";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import { EventKinds, type AtsyncEvent, type EventKind } from "../../shared/events.js";
import * as M from "../../shared/methods.js";
import type { SyncStatus } from "../../shared/status.js";
import type * as T from "../../shared/types.js";
import type { ConnectionScope, RequestGuard } from "../rpc/RpcConnection.js";

export interface AppScope {
  readonly atSigns: readonly string[];
  readonly namespaces: readonly string[];
}

/**
 * Event kinds never shown to an app: about the daemon itself (apps asking for access), and the
 * states of notifications the user's atSigns sent (apps may not send any; the event names the
 * atSign notified and carries no key a namespace could scope).
 */
const DAEMON_KINDS = new Set<EventKind>(["app.access.requested", "notification.statusChanged"]);
const APP_KINDS = EventKinds.filter((k) => !DAEMON_KINDS.has(k));

function outOfScope(message: string): AtsyncError {
  return new AtsyncError(ErrorCode.AppOutOfScope, message);
}

/** An app's connection: its guard, and its statuses and events narrowed to its grant. */
export function appConnectionScope(scope: AppScope, stillAllowed: () => boolean): ConnectionScope {
  const namespaces = new Set(scope.namespaces.map((n) => n.toLowerCase()));
  const inNamespaces = (key: string): boolean => {
    const ns = keyNamespace(key);
    return ns !== undefined && namespaces.has(ns.toLowerCase());
  };
  const status = (s: SyncStatus): SyncStatus => (s.lastRejected && !inNamespaces(s.lastRejected.key) ? { ...s, lastRejected: null } : s);
  const statuses = (list: SyncStatus[]): SyncStatus[] => (list.some((s) => status(s) !== s) ? list.map(status) : list);
  return {
    guard: scopeGuard(scope, stillAllowed, inNamespaces),
    narrowResult: (method, result) => (method === M.StatusGet.name ? statuses(result as SyncStatus[]) : result),
    narrowEvent: (e: AtsyncEvent): AtsyncEvent => {
      if (e.kind === "status.changed") {
        const s = status(e.status);
        return s === e.status ? e : { ...e, status: s };
      }
      if (e.kind === "snapshot") {
        const list = statuses(e.statuses);
        return list === e.statuses ? e : { ...e, statuses: list };
      }
      return e;
    },
  };
}

function scopeGuard(scope: AppScope, stillAllowed: () => boolean, inNamespaces: (key: string) => boolean): RequestGuard {
  const atSigns = new Set(scope.atSigns.map((a) => a.toLowerCase()));
  const namespaces = new Set(scope.namespaces.map((n) => n.toLowerCase()));
  const allowed = `${scope.atSigns.join(", ")} in ${scope.namespaces.join(", ")}`;
  const checkAtSign = (a: string | undefined): void => {
    if (a === undefined) throw outOfScope(`name the atSign: this app may use ${scope.atSigns.join(", ")}`);
    if (!atSigns.has(a.toLowerCase())) throw outOfScope(`this app may not use ${a}: it was allowed ${allowed}`);
  };
  const checkKey = (key: string): void => {
    if (!inNamespaces(key)) throw outOfScope(`this app may not use ${key}: it was allowed ${allowed}`);
  };
  return (method, params) => {
    if (!stillAllowed()) throw new AtsyncError(ErrorCode.AppAccessDenied, "this app's access was revoked");
    switch (method) {
      case M.KeysGet.name:
      case M.KeysGetMeta.name:
      case M.KeysPut.name:
      case M.KeysDelete.name: {
        const p = params as { atSign: string; key: string };
        checkAtSign(p.atSign);
        checkKey(p.key);
        return p;
      }
      case M.KeysPutMany.name: {
        const p = params as T.KeysPutManyParams;
        checkAtSign(p.atSign);
        for (const item of p.items) checkKey(item.key);
        return p;
      }
      case M.KeysList.name: {
        const p = params as T.KeysListParams;
        checkAtSign(p.atSign);
        noRegex(p.regex);
        if (p.namespace === undefined) {
          if (scope.namespaces.length !== 1) throw outOfScope(`name the namespace: this app may list ${scope.namespaces.join(", ")}`);
          return { ...p, namespace: scope.namespaces[0] };
        }
        if (!namespaces.has(p.namespace.toLowerCase())) throw outOfScope(`this app may not list ${p.namespace}: it was allowed ${allowed}`);
        return p;
      }
      case M.StatusGet.name: {
        const p = params as T.StatusGetParams;
        checkAtSign(p.atSign);
        return p;
      }
      case M.EventsSubscribe.name: {
        const p = params as T.EventsSubscribeParams;
        noRegex(p.regex);
        for (const a of p.atSigns ?? []) checkAtSign(a);
        for (const n of p.namespaces ?? []) {
          if (!namespaces.has(n.toLowerCase())) throw outOfScope(`this app may not watch ${n}: it was allowed ${allowed}`);
        }
        for (const k of p.kinds ?? []) if (DAEMON_KINDS.has(k)) throw outOfScope(`apps may not watch ${k} events`);
        return {
          ...p,
          atSigns: p.atSigns ?? [...scope.atSigns],
          namespaces: p.namespaces ?? [...scope.namespaces],
          kinds: p.kinds ?? [...APP_KINDS],
        };
      }
      case M.EventsUnsubscribe.name:
        return params;
      default:
        throw outOfScope(`browser apps may not call ${method}`);
    }
  };
}

/**
 * Apps filter by namespace only. A regular expression runs in the daemon (a subscription's on
 * every event, in the main thread; a listing's in the atSign's worker), and JavaScript's cannot be
 * stopped: one that backtracks without end (`^(a|aa)+$` against a long key the app writes itself)
 * would hang the daemon for good. The user's own programs on the socket may still use one.
 */
function noRegex(regex: string | undefined): void {
  if (regex !== undefined) throw outOfScope("browser apps filter by namespace, not by regex: list or watch the namespace and match the keys in the app");
}

/** The consent path: a connection without a token may only ask for one. */
export const consentScope: ConnectionScope = {
  guard: (method, params) => {
    if (method !== M.AppRequestAccess.name) throw outOfScope(`ask first: this connection may only call ${M.AppRequestAccess.name}`);
    return params;
  },
};
