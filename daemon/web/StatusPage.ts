// The status page over plain HTTP on the web listener (its data comes over its WebSocket, /page,
// daemon/web/WebListener.ts). Its files are web/ in the package, plain HTML, CSS and JavaScript
// modules with no build step, read once at start. `/login?token=…` spends a one-time login token
// (daemon/web/PageSessions.ts) for a session cookie (HttpOnly, SameSite=Strict) and goes on to
// `/`, which is the page with a live session and a sign-in note without one. Every response
// carries a strict CSP (scripts and styles from this origin only, no inline script, WebSockets
// to this listener only), no caching and no referrer, so the login token leaks nowhere.

import { readdirSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { PROTOCOL_VERSION } from "../../shared/protocol.js";
import { SESSION_TTL_MS, type PageSessions } from "./PageSessions.js";

const TYPES: Record<string, string> = {
  css: "text/css; charset=utf-8",
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  svg: "image/svg+xml",
};
const ASSET_NAME = /^[a-z][\w-]*\.(css|html|js|svg)$/u;
/** The page, served only with a session; the note for a browser without one; the step from /login to the page. */
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

  /** Whether `req` carries a live session for the listener on `port`. */
  hasSession(req: IncomingMessage, port: number): boolean {
    return this.sessions.isSession(cookie(req.headers.cookie, cookieName(port)));
  }

  /** Answers a plain HTTP request whose Host (`host`, checked by the listener) is the listener's own. */
  handle(req: IncomingMessage, res: ServerResponse, host: string, port: number): void {
    const headers = securityHeaders(host);
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { ...headers, allow: "GET, HEAD", "content-type": TYPES.html }).end();
      return;
    }
    const url = new URL(req.url ?? "/", `http://${host}`);
    if (url.pathname === "/login") {
      const session = this.sessions.exchange(url.searchParams.get("token") ?? "");
      if (session === undefined) {
        // A spent link opened again (from the history) by a browser signed in already: the page.
        if (this.hasSession(req, port)) return void res.writeHead(303, { ...headers, location: "/" }).end();
        return this.send(req, res, 403, SIGN_IN, headers);
      }
      // Not a redirect: a navigation that began on another site (a file, a mail) would carry its
      // cross-site taint through a 303, and the Strict cookie would stay home. This page's own
      // refresh to `/` is a same-site navigation.
      headers["set-cookie"] = `${cookieName(port)}=${session.token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_TTL_MS / 1000}`;
      return this.send(req, res, 200, SIGNED_IN, headers);
    }
    if (url.pathname === "/" || url.pathname === `/${PAGE}`) {
      return this.hasSession(req, port) ? this.send(req, res, 200, PAGE, headers) : this.send(req, res, 401, SIGN_IN, headers);
    }
    const name = url.pathname.slice(1);
    if (name.endsWith(".html") || !this.assets.has(name)) {
      res.writeHead(404, { ...headers, "content-type": "text/plain; charset=utf-8" }).end("not found\n");
      return;
    }
    this.send(req, res, 200, name, headers);
  }

  private send(req: IncomingMessage, res: ServerResponse, status: number, name: string, headers: Record<string, string>): void {
    const a = this.assets.get(name);
    if (!a) throw new Error(`no asset ${name}`);
    res.writeHead(status, { ...headers, "content-type": a.type, "content-length": String(a.body.length) });
    res.end(req.method === "HEAD" ? undefined : a.body);
  }
}

/** Cookies do not keep ports apart: the port in the name keeps two listeners' sessions apart. */
export function cookieName(port: number): string {
  return `atsyncd-session-${port}`;
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
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
