// What a browser app may do with its token: the methods below, each only for the atSigns and the
// key namespaces the user allowed it (deny by default: any other method is refused). The guard runs
// on the validated params of every request, subscriptions included, and returns them narrowed
// (a subscription without a filter gets the app's own).

import { keyNamespace } from "../../shared/atKey.js";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import { EventKinds, type EventKind } from "../../shared/events.js";
import * as M from "../../shared/methods.js";
import type * as T from "../../shared/types.js";
import type { RequestGuard } from "../rpc/RpcConnection.js";

export interface AppScope {
  readonly atSigns: readonly string[];
  readonly namespaces: readonly string[];
}

/** Event kinds about the daemon itself (apps asking for access): never shown to an app. */
const DAEMON_KINDS = new Set<EventKind>(["app.access.requested"]);
const APP_KINDS = EventKinds.filter((k) => !DAEMON_KINDS.has(k));

function outOfScope(message: string): AtsyncError {
  return new AtsyncError(ErrorCode.AppOutOfScope, message);
}

export function scopeGuard(scope: AppScope, stillAllowed: () => boolean): RequestGuard {
  const atSigns = new Set(scope.atSigns.map((a) => a.toLowerCase()));
  const namespaces = new Set(scope.namespaces.map((n) => n.toLowerCase()));
  const allowed = `${scope.atSigns.join(", ")} in ${scope.namespaces.join(", ")}`;
  const checkAtSign = (a: string | undefined): void => {
    if (a === undefined) throw outOfScope(`name the atSign: this app may use ${scope.atSigns.join(", ")}`);
    if (!atSigns.has(a.toLowerCase())) throw outOfScope(`this app may not use ${a}: it was allowed ${allowed}`);
  };
  const checkKey = (key: string): void => {
    const ns = keyNamespace(key);
    if (ns === undefined || !namespaces.has(ns.toLowerCase())) throw outOfScope(`this app may not use ${key}: it was allowed ${allowed}`);
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

/** The consent path: a connection without a token may only ask for one. */
export const consentGuard: RequestGuard = (method, params) => {
  if (method !== M.AppRequestAccess.name) throw outOfScope(`ask first: this connection may only call ${M.AppRequestAccess.name}`);
  return params;
};
