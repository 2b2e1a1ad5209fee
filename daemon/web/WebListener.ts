// The browser endpoint on 127.0.0.1 (off unless `run --web` or the config's `web`): WebSockets,
// each served by the RPC server's one dispatcher through a WebSocketStream, and the status page's
// files over plain HTTP (daemon/web/StatusPage.ts). Every request must name this listener in Host
// (`127.0.0.1:PORT` or `localhost:PORT`: a DNS-rebinding page reaches 127.0.0.1 under its own
// name, and says so in Host), or it is refused with 403. Every upgrade is judged before a WebSocket
// exists, and refused with 403 unless
//   - Origin is an http(s) origin (a browser always sends it; anything else uses the Unix socket),
//   - on `/consent`: nothing more (any web app may ask; only `app.requestAccess` is served there),
//   - on `/rpc`: the subprotocol `atsyncd-token.<token>` names a grant made to this very Origin,
//   - on `/page` (the status page's own): Origin is this listener's own (`http://` + Host) and the
//     request carries a live session cookie; it is then served as the local user, like the socket.
// See SECURITY.md ("Browser apps", "The status page").

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import type { Logger } from "../ports.js";
import type { RpcServer } from "../rpc/RpcServer.js";
import type { AppConsent } from "./AppConsent.js";
import { consentGuard, scopeGuard } from "./appScope.js";
import type { StatusPage } from "./StatusPage.js";
import { WebSocketStream } from "./WebSocketStream.js";

/** The port at_daemon, the atPlatform's reference local daemon, used. */
export const DEFAULT_WEB_PORT = 64640;
/** The subprotocol every atsyncd WebSocket client offers (and the server selects). */
export const WEB_SUBPROTOCOL = "atsyncd";
/** The prefix of the subprotocol that carries an app's token (browsers cannot set headers). */
export const TOKEN_SUBPROTOCOL_PREFIX = "atsyncd-token.";
/** Web connections open at once; more are refused with 503. */
const MAX_CONNECTIONS = 256;
/**
 * What `ws` buffers of one message before cutting the connection (close 1009): a little over the
 * frame limit, so a message just over it is answered FrameTooLarge, like the socket's frames.
 */
const PAYLOAD_SLACK = 64 * 1024;

export interface WebListenerOptions {
  port: number;
  rpc: RpcServer;
  consent: AppConsent;
  page: StatusPage;
  logger: Logger;
}

export class WebListener {
  private readonly wss: WebSocketServer;
  private connections = 0;

  private constructor(private readonly http: Server, readonly port: number, private readonly o: WebListenerOptions, private readonly log: Logger) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: o.rpc.frameLimits.maxBytes + PAYLOAD_SLACK,
      handleProtocols: (offered) => (offered.has(WEB_SUBPROTOCOL) ? WEB_SUBPROTOCOL : false),
    });
    http.on("request", (req: IncomingMessage, res: ServerResponse) => {
      try {
        const host = this.ownHost(req);
        if (host === undefined) {
          this.log.warn("web request refused", { status: 403, why: "Host is not this listener" });
          res.writeHead(403, { "content-type": "text/plain; charset=utf-8" }).end(`atsyncd answers only to 127.0.0.1:${this.port} and localhost:${this.port}\n`);
          return;
        }
        o.page.handle(req, res, host, this.port);
      } catch (err) {
        this.log.error("web request failed", { error: err instanceof Error ? err.message : String(err) });
        res.destroy();
      }
    });
    http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      try {
        this.upgrade(req, socket, head);
      } catch (err) {
        this.log.error("web upgrade failed", { error: err instanceof Error ? err.message : String(err) });
        socket.destroy();
      }
    });
  }

  static async listen(o: WebListenerOptions): Promise<WebListener> {
    const log = o.logger.child({ component: "web" });
    const http = createServer();
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => reject(listenError(o.port, err));
      http.once("error", onError);
      http.listen(o.port, "127.0.0.1", () => {
        http.off("error", onError);
        resolve();
      });
    });
    const address = http.address();
    const port = typeof address === "object" && address !== null ? address.port : o.port;
    log.info("web listening", { url: `http://127.0.0.1:${port}`, pageBytes: o.page.sizeBytes });
    return new WebListener(http, port, o, log);
  }

  /** The status page's address with a one-time login `token` (a secret: never log it). */
  loginUrl(token: string): string {
    return `http://127.0.0.1:${this.port}/login?token=${token}`;
  }

  close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    return new Promise((resolve) => this.http.close(() => resolve()));
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refuse = (status: number, why: string): void => {
      // Why goes to the log only: the page asking is not to learn what it got wrong.
      this.log.warn("web upgrade refused", { status, why, path: (req.url ?? "").split("?")[0] });
      socket.end(`HTTP/1.1 ${status} ${status === 403 ? "Forbidden" : status === 404 ? "Not Found" : "Service Unavailable"}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const host = this.ownHost(req);
    if (host === undefined) return refuse(403, "Host is not this listener");
    const origin = webOrigin(req.headers.origin);
    if (origin === undefined) return refuse(403, "no http(s) Origin");
    const path = (req.url ?? "").split("?")[0];
    if (path !== "/consent" && path !== "/rpc" && path !== "/page") return refuse(404, "no such path");
    if (this.connections >= MAX_CONNECTIONS) return refuse(503, "too many web connections");
    const { consent } = this.o;
    if (path === "/page") {
      if (origin !== `http://${host}`) return refuse(403, "the status page's connection from another origin");
      if (!this.o.page.hasSession(req, this.port)) return refuse(403, "no live status page session");
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.serve(ws, undefined);
      });
      return;
    }
    if (path === "/consent") {
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const conn = this.serve(ws, consentGuard);
        if (conn) consent.addAsker(conn, origin);
      });
      return;
    }
    const token = offeredToken(req.headers["sec-websocket-protocol"]);
    const grant = token === undefined ? undefined : consent.grants.find(token);
    if (grant === undefined) return refuse(403, "no valid token");
    if (grant.origin !== origin) return refuse(403, "the token was granted to another origin");
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = this.serve(ws, scopeGuard(grant, () => consent.grants.has(grant)));
      if (conn) consent.addAppConnection(grant, conn);
    });
  }

  /** The Host header when it names this listener (lower-cased), else undefined. */
  private ownHost(req: IncomingMessage): string | undefined {
    const host = (req.headers.host ?? "").toLowerCase();
    return host === `127.0.0.1:${this.port}` || host === `localhost:${this.port}` ? host : undefined;
  }

  private serve(ws: WebSocket, guard: Parameters<RpcServer["attach"]>[1]): ReturnType<RpcServer["attach"]> {
    const conn = this.o.rpc.attach(new WebSocketStream(ws), guard);
    if (!conn) return undefined;
    this.connections++;
    conn.onClose(() => this.connections--);
    return conn;
  }
}

/** Why the listener cannot have `port`, in one sentence with the fix. */
function listenError(port: number, err: NodeJS.ErrnoException): AtsyncError {
  const fix = "atsyncd run --web PORT, or \"web\": PORT in the config";
  if (err.code === "EADDRINUSE") {
    return new AtsyncError(ErrorCode.WebPortUnavailable, `port ${port} on 127.0.0.1 is in use by another program (perhaps another atsyncd): stop it, or give atsyncd another port (${fix})`, { port });
  }
  if (err.code === "EACCES") {
    return new AtsyncError(ErrorCode.WebPortUnavailable, `port ${port} on 127.0.0.1 needs privileges atsyncd does not have: choose a port above 1023 (${fix})`, { port });
  }
  return new AtsyncError(ErrorCode.WebPortUnavailable, `cannot listen on 127.0.0.1 port ${port}: ${err.code ?? err.message}`, { port });
}

/** The origin a browser sent, normalized, when it is an http(s) one (never "null"). */
export function webOrigin(header: string | undefined): string | undefined {
  if (header === undefined || header === "null") return undefined;
  try {
    const u = new URL(header);
    return (u.protocol === "http:" || u.protocol === "https:") && u.origin === header.toLowerCase().replace(/\/$/u, "") ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

function offeredToken(header: string | undefined): string | undefined {
  for (const p of (header ?? "").split(",")) {
    const t = p.trim();
    if (t.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) return t.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
  }
  return undefined;
}
