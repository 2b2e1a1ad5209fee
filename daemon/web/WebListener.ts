// The browser endpoint on 127.0.0.1 (off unless `run --web` or the config's `web`): WebSockets,
// each served by the RPC server's one dispatcher through a WebSocketStream, and the status page's
// files over plain HTTP (daemon/web/StatusPage.ts). Every request must name this listener in Host
// (`127.0.0.1:PORT` or `localhost:PORT`: a DNS-rebinding page reaches 127.0.0.1 under its own
// name, and says so in Host), or it is refused with 403. Every upgrade is judged before a WebSocket
// exists, and refused with 403 unless
//   - Origin is an http(s) origin (a browser always sends it; anything else uses the Unix socket),
//   - on `/consent`: nothing more (any web app may ask; only `app.requestAccess` is served there,
//     in messages of at most 64 KiB, on at most MAX_ASKING connections, MAX_ASKING_PER_ORIGIN
//     from one origin, counted apart from the connections let in, which they cannot crowd out),
//   - on `/rpc`: the subprotocol `atsyncd-token.<token>` names a grant made to this very Origin,
//   - on `/page` (the status page's own): Origin is this listener's own (`http://` + Host); it is
//     served as the local user, like the socket, when it offers a live session as the subprotocol
//     `atsyncd-session.<session>`, and otherwise closed at once with PAGE_SIGNED_OUT, so that the
//     page can tell "signed out" (a restart of atsyncd, a session that ended) from "not running".
// See SECURITY.md ("Browser apps", "The status page").

import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import type { Clock, Logger } from "../ports.js";
import type { RpcServer } from "../rpc/RpcServer.js";
import type { AppConsent } from "./AppConsent.js";
import { appConnectionScope, consentScope } from "./appScope.js";
import { RefusalLog } from "./RefusalLog.js";
import { offered, type StatusPage } from "./StatusPage.js";
import { WebSocketStream } from "./WebSocketStream.js";

/** The port at_daemon, the atPlatform's reference local daemon, used. */
export const DEFAULT_WEB_PORT = 64640;
/** The subprotocol every atsyncd WebSocket client offers (and the server selects). */
export const WEB_SUBPROTOCOL = "atsyncd";
/** The prefix of the subprotocol that carries an app's token (browsers cannot set headers). */
export const TOKEN_SUBPROTOCOL_PREFIX = "atsyncd-token.";
/** The close code of a page's WebSocket without a live session (web/connection.js knows it too). */
export const PAGE_SIGNED_OUT = 4401;
/** Connections let in (the page's with its session, apps' with a token) open at once; more are refused with 503. */
const MAX_CONNECTIONS = 256;
/**
 * Consent-path connections at once, and from one origin (any web page may open them): more are
 * refused with 503, so that pages the user merely visits cannot crowd out the page and the apps
 * let in (a browser opens 255 WebSockets a tab).
 */
const MAX_ASKING = 32;
const MAX_ASKING_PER_ORIGIN = 4;
/**
 * Sockets the listener holds at once, of every kind (the WebSockets above, plain HTTP): over it
 * new ones are closed at once, so that a program cannot take the daemon's file descriptors (the
 * socket's, the stores') with half-sent requests.
 */
const MAX_SOCKETS = 512;
/** How long a request's head and whole may take; the check runs every CHECK_MS (Node's default: 60 s, 300 s, every 30 s). */
const HEADERS_TIMEOUT_MS = 10_000;
const CHECK_MS = 1_000;
/** What `ws` buffers of one consent-path message (app.requestAccess takes a few KiB): not 16 MiB for anyone who asks. */
const CONSENT_MAX_PAYLOAD = 64 * 1024;
/**
 * What `ws` buffers of one message before cutting the connection (close 1009): a little over the
 * frame limit, so a message just over it is answered FrameTooLarge, like the socket's frames.
 */
const PAYLOAD_SLACK = 64 * 1024;

export interface WebListenerOptions {
  port: number;
  clock: Clock;
  rpc: RpcServer;
  consent: AppConsent;
  page: StatusPage;
  logger: Logger;
}

export class WebListener {
  private readonly wss: WebSocketServer;
  private readonly consentWss: WebSocketServer;
  private readonly refusals: RefusalLog;
  private connections = 0;
  /** Consent-path connections open, by origin. */
  private readonly asking = new Map<string, number>();
  private askingTotal = 0;

  private constructor(private readonly http: Server, readonly port: number, private readonly o: WebListenerOptions, private readonly log: Logger) {
    const server = (maxPayload: number): WebSocketServer => new WebSocketServer({
      noServer: true,
      maxPayload,
      handleProtocols: (protocols) => (protocols.has(WEB_SUBPROTOCOL) ? WEB_SUBPROTOCOL : false),
    });
    this.wss = server(o.rpc.frameLimits.maxBytes + PAYLOAD_SLACK);
    this.consentWss = server(CONSENT_MAX_PAYLOAD);
    this.refusals = new RefusalLog(log, o.clock);
    http.on("request", (req: IncomingMessage, res: ServerResponse) => {
      try {
        const odd = oddRequest(req);
        if (odd !== undefined) {
          this.refusals.warn("web request refused", { status: 400, why: odd });
          res.writeHead(400, { "content-type": "text/plain; charset=utf-8", connection: "close" }).end(`${odd}\n`);
          return;
        }
        const host = this.ownHost(req);
        if (host === undefined) {
          this.refusals.warn("web request refused", { status: 403, why: "Host is not this listener" });
          res.writeHead(403, { "content-type": "text/plain; charset=utf-8" }).end(`atsyncd answers only to 127.0.0.1:${this.port} and localhost:${this.port}\n`);
          return;
        }
        o.page.handle(req, res, host);
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
    const http = createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: HEADERS_TIMEOUT_MS, connectionsCheckingInterval: CHECK_MS });
    http.maxConnections = MAX_SOCKETS;
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
    for (const c of [...this.wss.clients, ...this.consentWss.clients]) c.terminate();
    return new Promise((resolve) => this.http.close(() => resolve()));
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refuse = (status: number, why: string): void => {
      // Why goes to the log only: the page asking is not to learn what it got wrong.
      this.refusals.warn("web upgrade refused", { status, why, path: (req.url ?? "").split("?")[0] });
      socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const odd = oddRequest(req);
    if (odd !== undefined) return refuse(400, odd);
    const host = this.ownHost(req);
    if (host === undefined) return refuse(403, "Host is not this listener");
    const origin = webOrigin(req.headers.origin);
    if (origin === undefined) return refuse(403, "no http(s) Origin");
    const path = (req.url ?? "").split("?")[0];
    if (path !== "/consent" && path !== "/rpc" && path !== "/page") return refuse(404, "no such path");
    const { consent } = this.o;
    if (path === "/page") {
      if (origin !== `http://${host}`) return refuse(403, "the status page's connection from another origin");
      const signedIn = this.o.page.hasSession(req);
      if (this.connections >= MAX_CONNECTIONS) return refuse(503, "too many web connections");
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        if (signedIn) {
          this.serve(ws, undefined);
          return;
        }
        this.refusals.warn("web upgrade refused", { status: PAGE_SIGNED_OUT, why: "no live status page session", path });
        ws.close(PAGE_SIGNED_OUT, "signed out: run atsyncd web");
      });
      return;
    }
    if (path === "/consent") {
      const fromOrigin = this.asking.get(origin) ?? 0;
      if (this.askingTotal >= MAX_ASKING || fromOrigin >= MAX_ASKING_PER_ORIGIN) return refuse(503, "too many connections asking for access");
      this.consentWss.handleUpgrade(req, socket, head, (ws) => {
        const conn = this.o.rpc.attach(new WebSocketStream(ws), consentScope);
        if (!conn) return;
        this.askingTotal++;
        this.asking.set(origin, (this.asking.get(origin) ?? 0) + 1);
        conn.onClose(() => {
          this.askingTotal--;
          const left = (this.asking.get(origin) ?? 1) - 1;
          if (left > 0) this.asking.set(origin, left);
          else this.asking.delete(origin);
        });
        consent.addAsker(conn, origin);
      });
      return;
    }
    const token = offered(req.headers["sec-websocket-protocol"], TOKEN_SUBPROTOCOL_PREFIX);
    const grant = token === undefined ? undefined : consent.grants.find(token);
    if (grant === undefined) return refuse(403, "no valid token");
    if (grant.origin !== origin) return refuse(403, "the token was granted to another origin");
    if (this.connections >= MAX_CONNECTIONS) return refuse(503, "too many web connections");
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = this.serve(ws, appConnectionScope(grant, () => consent.grants.has(grant)));
      if (conn) consent.addAppConnection(grant, conn);
    });
  }

  /** The Host header when it names this listener (lower-cased), else undefined. */
  private ownHost(req: IncomingMessage): string | undefined {
    const host = (req.headers.host ?? "").toLowerCase();
    return host === `127.0.0.1:${this.port}` || host === `localhost:${this.port}` ? host : undefined;
  }

  private serve(ws: WebSocket, scope: Parameters<RpcServer["attach"]>[1]): ReturnType<RpcServer["attach"]> {
    const conn = this.o.rpc.attach(new WebSocketStream(ws), scope);
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

/**
 * Why a request is not one a browser sends to this listener: a target in absolute form (whose
 * authority, not Host, names the server it asks for), or more than one Host header.
 */
function oddRequest(req: IncomingMessage): string | undefined {
  if (!(req.url ?? "").startsWith("/")) return "the request target must be a path (origin form)";
  let hosts = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]?.toLowerCase() === "host") hosts++;
  return hosts > 1 ? "more than one Host header" : undefined;
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
