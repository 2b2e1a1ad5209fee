// What a web page does with the daemon's WebSockets, run inside a real page (playwright's
// evaluate, so the browser sets Origin and cookies itself): open, say hello, make calls, close.
// And web origins of our own: tiny HTTP servers on 127.0.0.1 whose pages play browser apps.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { Page } from "playwright-core";
import { WebSocket } from "ws";
import { PROTOCOL_VERSION } from "../../shared/protocol.js";

export interface Frame {
  id?: unknown;
  result?: unknown;
  error?: { code: number; message: string };
}
export interface RpcTry {
  opened: boolean;
  /** The reply to rpc.hello, then one per call, until the socket closed. */
  replies: Frame[];
  /** Set when the daemon closed the socket before the last reply (PAGE_SIGNED_OUT, …). */
  closeCode?: number;
}

// Browser code, as text: the tests' TypeScript has no DOM types.
const RPC_TRY = `async (url, protocols, calls, version) => {
  const ws = new WebSocket(url, protocols);
  let closed;
  const gone = new Promise((resolve) => { ws.addEventListener("close", (e) => { closed = e.code; resolve(undefined); }); });
  const opened = await new Promise((resolve) => { ws.onopen = () => resolve(true); ws.onclose = () => resolve(false); });
  if (!opened) return { opened, replies: [] };
  const waiting = new Map();
  let id = 0;
  ws.onmessage = (m) => { const f = JSON.parse(m.data); const w = waiting.get(f.id); if (w) { waiting.delete(f.id); w(f); } };
  const call = (method, params) => Promise.race([gone, new Promise((resolve) => { waiting.set(++id, resolve); ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params })); })]);
  const replies = [];
  for (const c of [{ method: "rpc.hello", params: { protocolVersion: version, client: "test page" } }, ...calls]) {
    const r = await call(c.method, c.params);
    if (r === undefined) return { opened, replies, closeCode: closed };
    replies.push(r);
  }
  ws.close();
  return { opened, replies };
}`;

/** Opens `url` from `page` offering `protocols`, then makes `calls` in order (each awaited). */
export function rpcTry(page: Page, url: string, protocols: string[], calls: { method: string; params: unknown }[] = []): Promise<RpcTry> {
  return page.evaluate(`(${RPC_TRY})(${JSON.stringify(url)}, ${JSON.stringify(protocols)}, ${JSON.stringify(calls)}, ${PROTOCOL_VERSION})`);
}

/** What a program gets from the page's socket: served (its rpc.hello answered), or refused at the upgrade (`status`) or closed after it (`closeCode`). */
export interface ProgramTry {
  served: boolean;
  status?: number;
  closeCode?: number;
}

/** The page's socket (/page) opened by a program, which may send any header (Origin included), offering `protocols`. */
export function programOpensPage(port: number, headers: Record<string, string>, protocols: string[] = ["atsyncd"]): Promise<ProgramTry> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/page`, protocols, { headers });
    ws.once("unexpected-response", (_req, res) => {
      resolve({ served: false, status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.once("error", () => resolve({ served: false }));
    ws.once("open", () => ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "rpc.hello", params: { protocolVersion: PROTOCOL_VERSION, client: "a program" } })));
    ws.once("message", () => {
      resolve({ served: true });
      ws.close();
    });
    ws.once("close", (code) => resolve({ served: false, closeCode: code }));
  });
}

/** An origin `http://127.0.0.1:PORT` serving an empty page, for a browser app. */
export interface AppOrigin {
  readonly origin: string;
  /** The headers of every request the browser made to it (what another local web server learns). */
  readonly seen: IncomingHttpHeaders[];
  close(): Promise<void>;
}

export async function startAppOrigin(): Promise<AppOrigin> {
  const seen: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>a browser app</title>");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const a = server.address();
  const port = typeof a === "object" && a !== null ? a.port : 0;
  return {
    origin: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
