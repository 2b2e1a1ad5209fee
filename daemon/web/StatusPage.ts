// The status page over plain HTTP on the web listener (its data comes over its WebSocket, /page,
// daemon/web/WebListener.ts). Its files are web/ in the package, plain HTML, CSS and JavaScript
// modules with no build step, read once at start; they hold no data and go to any request that
// names the listener in Host. `/login?token=…` spends a one-time login token
// (daemon/web/PageSessions.ts) for a session, handed to the page in the answer (login.html, whose
// script keeps it in the origin's localStorage and goes on to `/`). No cookie: cookies do not keep
// ports apart, so one would go to every other web server on 127.0.0.1, which could replay it; the
// origin's storage is this listener's alone, and the page offers the session only to its own
// WebSocket, as a subprotocol. Every response carries a strict CSP (scripts and styles from this
// origin only, no inline script, WebSockets to this listener only), no caching and no referrer,
// so the login token and the session leak nowhere.

import { readdirSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { PROTOCOL_VERSION } from "../../shared/protocol.js";
import type { PageSessions } from "./PageSessions.js";

const TYPES: Record<string, string> = {
  css: "text/css; charset=utf-8",
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  svg: "image/svg+xml",
};
const ASSET_NAME = /^[a-z][\w-]*\.(css|html|js|svg)$/u;
/** The page; the note for a login link that is spent, expired or made up; the step from /login to the page. */
const PAGE = "index.html";
const SIGN_IN = "signin.html";
const SIGNED_IN = "login.html";

interface Asset {
  body: Buffer;
  type: string;
}

/** web/ in the package: two folders up from daemon/web/ (source, under tsx), three from dist/daemon/web/. */
export function webDir(): string {
  const fromSource = fileURLToPath(import.meta.url).endsWith(".ts");
  return fileURLToPath(new URL(fromSource ? "../../web/" : "../../../web/", import.meta.url));
}

export class StatusPage {
  private constructor(private readonly assets: ReadonlyMap<string, Asset>, private readonly sessions: PageSessions) {}

  /** Reads the page's files from `dir`; throws when the page itself is missing (a broken install). */
  static load(sessions: PageSessions, dir = webDir()): StatusPage {
    const assets = new Map<string, Asset>();
    for (const name of readdirSync(dir)) {
      const m = ASSET_NAME.exec(name);
      if (!m?.[1]) continue;
      let body = readFileSync(`${dir}/${name}`);
      // The page speaks the daemon's protocol version, whatever this release's is.
      if (name === PAGE) body = Buffer.from(body.toString("utf8").replaceAll("%PROTOCOL_VERSION%", String(PROTOCOL_VERSION)));
      assets.set(name, { body, type: TYPES[m[1]] ?? "application/octet-stream" });
    }
    for (const needed of [PAGE, SIGN_IN, SIGNED_IN]) if (!assets.has(needed)) throw new Error(`the status page's ${needed} is missing from ${dir}: reinstall atsyncd`);
    return new StatusPage(assets, sessions);
  }

  /** Bytes of every file the page is made of (the README states it). */
  get sizeBytes(): number {
    let n = 0;
    for (const a of this.assets.values()) n += a.body.length;
    return n;
  }

  /** Whether the WebSocket upgrade `req` offers a live session (the subprotocol `atsyncd-session.<session>`). */
  hasSession(req: IncomingMessage): boolean {
    return this.sessions.isSession(offered(req.headers["sec-websocket-protocol"], SESSION_SUBPROTOCOL_PREFIX));
  }

  /** Answers a plain HTTP request whose Host (`host`, checked by the listener) is the listener's own. */
  handle(req: IncomingMessage, res: ServerResponse, host: string): void {
    const headers = securityHeaders(host);
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { ...headers, allow: "GET, HEAD", "content-type": TYPES.html }).end();
      return;
    }
    // Joined, not resolved: a path of `//other.example/…` is a path here, not another server.
    const url = new URL(`http://${host}${req.url ?? "/"}`);
    if (url.pathname === "/login") {
      const session = this.sessions.exchange(url.searchParams.get("token") ?? "");
      if (session === undefined) return this.send(req, res, 403, SIGN_IN, headers);
      // The session goes to this answer's script alone (same origin, no-store), which keeps it
      // and replaces this address with `/`, so neither the link nor the session stays in history.
      const body = Buffer.from(this.text(SIGNED_IN).replaceAll("%SESSION%", session.token));
      return this.sendBody(req, res, 200, body, TYPES.html ?? "", headers);
    }
    if (url.pathname === "/" || url.pathname === `/${PAGE}`) return this.send(req, res, 200, PAGE, headers);
    const name = url.pathname.slice(1);
    if (name.endsWith(".html") || !this.assets.has(name)) {
      res.writeHead(404, { ...headers, "content-type": "text/plain; charset=utf-8" }).end("not found\n");
      return;
    }
    this.send(req, res, 200, name, headers);
  }

  private asset(name: string): Asset {
    const a = this.assets.get(name);
    if (!a) throw new Error(`no asset ${name}`);
    return a;
  }

  private text(name: string): string {
    return this.asset(name).body.toString("utf8");
  }

  private send(req: IncomingMessage, res: ServerResponse, status: number, name: string, headers: Record<string, string>): void {
    const a = this.asset(name);
    this.sendBody(req, res, status, a.body, a.type, headers);
  }

  private sendBody(req: IncomingMessage, res: ServerResponse, status: number, body: Buffer, type: string, headers: Record<string, string>): void {
    res.writeHead(status, { ...headers, "content-type": type, "content-length": String(body.length) });
    res.end(req.method === "HEAD" ? undefined : body);
  }
}

/** The prefix of the subprotocol that carries the page's session (browsers cannot set headers on a WebSocket). */
export const SESSION_SUBPROTOCOL_PREFIX = "atsyncd-session.";

/** The value after `prefix` in the first offered subprotocol that has it. */
export function offered(header: string | undefined, prefix: string): string | undefined {
  for (const p of (header ?? "").split(",")) {
    const t = p.trim();
    if (t.startsWith(prefix)) return t.slice(prefix.length);
  }
  return undefined;
}

function securityHeaders(host: string): Record<string, string> {
  return {
    "content-security-policy": [
      "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", `connect-src ws://${host}`,
      "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
    ].join("; "),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
  };
}
