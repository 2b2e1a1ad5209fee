// Per-app consent for browser apps. An app on the web listener's consent path calls
// `app.requestAccess`; the request waits (its reply held) while the daemon announces
// `app.access.requested` on the event hub; the user answers with `atsyncd apps allow|deny`
// (`apps.allow` / `apps.deny` on the Unix socket), and the waiting reply carries the token, or
// AppAccessDenied. `apps.revoke` ends a grant and closes the app's open connections.

import { randomBytes } from "node:crypto";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import * as M from "../../shared/methods.js";
import type { AllowedApp, AppRequestAccessResult, PendingApp } from "../../shared/types.js";
import type { Clock, Disposable, Logger } from "../ports.js";
import type { EventHub } from "../rpc/EventHub.js";
import type { RpcServer } from "../rpc/RpcServer.js";
import type { RpcPeer } from "../rpc/types.js";
import type { AppGrants, Grant } from "./AppGrants.js";

/** Requests waiting for the user at once, and from one origin; more are refused (each holds a connection open). */
const MAX_PENDING = 32;
const MAX_PENDING_PER_ORIGIN = 4;

interface Waiting {
  app: PendingApp;
  resolve(r: AppRequestAccessResult): void;
  reject(e: AtsyncError): void;
}

export class AppConsent {
  private readonly pending = new Map<string, Waiting>();
  /** Consent-path connections and the Origin each came from. */
  private readonly askers = new Map<string, string>();
  /** Open connections of each allowed app, closed when it is revoked. */
  private readonly open = new Map<string, Set<RpcPeer>>();

  constructor(
    readonly grants: AppGrants,
    private readonly hub: EventHub,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** A consent-path connection from `origin` (the web listener checked it is a web origin). */
  addAsker(peer: RpcPeer, origin: string): void {
    this.askers.set(peer.id, origin);
    peer.onClose(() => this.askers.delete(peer.id));
  }

  /** An allowed app's connection: revoke closes it. */
  addAppConnection(grant: Grant, peer: RpcPeer): void {
    let set = this.open.get(grant.appId);
    if (!set) this.open.set(grant.appId, (set = new Set()));
    set.add(peer);
    peer.onClose(() => set.delete(peer));
  }

  register(rpc: RpcServer): Disposable {
    const all = [
      rpc.handle(M.AppRequestAccess, (p, ctx) => {
        const origin = this.askers.get(ctx.connectionId);
        if (origin === undefined) throw new AtsyncError(ErrorCode.AppRequestInvalid, "app.requestAccess is for browser apps on the web listener's /consent path");
        if (p.origin !== undefined && p.origin !== origin) throw new AtsyncError(ErrorCode.AppRequestInvalid, `origin ${p.origin} is not this connection's (${origin})`);
        if (this.pending.size >= MAX_PENDING) throw new AtsyncError(ErrorCode.AppRequestInvalid, "too many apps are waiting for an answer; try again later");
        // Any page may ask: one origin may not fill the list the user answers from.
        if ([...this.pending.values()].filter((w) => w.app.origin === origin).length >= MAX_PENDING_PER_ORIGIN) {
          throw new AtsyncError(ErrorCode.AppRequestInvalid, `${origin} has ${MAX_PENDING_PER_ORIGIN} requests waiting for an answer already; try again once the user has answered`);
        }
        const app: PendingApp = {
          requestId: `req-${randomBytes(6).toString("hex")}`, name: p.name, origin,
          atSigns: [...new Set(p.atSigns.map((a) => a.toLowerCase()))], namespaces: [...new Set(p.namespaces)], requestedAt: this.clock.now(),
        };
        return new Promise<AppRequestAccessResult>((resolve, reject) => {
          this.pending.set(app.requestId, { app, resolve, reject });
          ctx.onAbort(() => this.pending.delete(app.requestId));
          this.log.info("app asks for access", { requestId: app.requestId, name: app.name, origin, atSigns: app.atSigns, namespaces: app.namespaces });
          this.hub.publish({ kind: "app.access.requested", ...app });
        });
      }),
      rpc.handle(M.AppsAllow, (p) => this.allow(p.requestId, p.always === true)),
      rpc.handle(M.AppsDeny, (p) => {
        const w = this.take(p.requestId);
        w.reject(new AtsyncError(ErrorCode.AppAccessDenied, "the user denied this app access"));
        this.log.info("app denied", { requestId: p.requestId, origin: w.app.origin });
        return { denied: true };
      }),
      rpc.handle(M.AppsList, () => ({ pending: [...this.pending.values()].map((w) => w.app), allowed: this.grants.list() })),
      rpc.handle(M.AppsRevoke, (p) => {
        const g = this.grants.revoke(p.appId);
        if (!g) return { revoked: false };
        for (const peer of this.open.get(g.appId) ?? []) peer.close(new AtsyncError(ErrorCode.AppAccessDenied, "this app's access was revoked"));
        this.open.delete(g.appId);
        this.log.info("app revoked", { appId: g.appId, origin: g.origin });
        return { revoked: true };
      }),
    ];
    return {
      dispose: () => {
        for (const d of all) d.dispose();
        for (const w of this.pending.values()) w.reject(new AtsyncError(ErrorCode.ShuttingDown, "atsyncd is stopping"));
        this.pending.clear();
      },
    };
  }

  private waiting(requestId: string): Waiting {
    const w = this.pending.get(requestId);
    if (!w) throw new AtsyncError(ErrorCode.AppRequestInvalid, `no app is waiting with request ${requestId} (see atsyncd apps list)`);
    return w;
  }

  private take(requestId: string): Waiting {
    const w = this.waiting(requestId);
    this.pending.delete(requestId);
    return w;
  }

  private allow(requestId: string, always: boolean): AllowedApp {
    const w = this.waiting(requestId);
    const { requestId: _r, requestedAt: _t, ...asked } = w.app;
    // Granted first: when the grants cannot be kept (apps.json unreadable), the app goes on waiting.
    const { grant, token } = this.grants.grant({ ...asked, grantedAt: this.clock.now(), always });
    this.pending.delete(requestId);
    this.log.info("app allowed", { appId: grant.appId, origin: grant.origin, always });
    w.resolve({ appId: grant.appId, token, atSigns: grant.atSigns, namespaces: grant.namespaces, always });
    const { tokenSha256: _h, ...app } = grant;
    return app;
  }
}
