// What a web page does with the daemon's WebSockets, run inside a real page (playwright's
// evaluate, so the browser sets Origin and cookies itself): open, say hello, make calls, close.
// And web origins of our own: tiny HTTP servers on 127.0.0.1 whose pages play browser apps.
import { createServer, type Server } from "node:http";
import type { Page } from "playwright-core";
import { PROTOCOL_VERSION } from "../../shared/protocol.js";

export interface Frame {
  id?: unknown;
  result?: unknown;
  error?: { code: number; message: string };
}
export interface RpcTry {
  opened: boolean;
  /** The reply to rpc.hello, then one per call. */
  replies: Frame[];
}

// Browser code, as text: the tests' TypeScript has no DOM types.
const RPC_TRY = `async (url, protocols, calls, version) => {
  const ws = new WebSocket(url, protocols);
  const opened = await new Promise((resolve) => { ws.onopen = () => resolve(true); ws.onclose = () => resolve(false); });
  if (!opened) return { opened, replies: [] };
  const waiting = new Map();
  let id = 0;
  ws.onmessage = (m) => { const f = JSON.parse(m.data); const w = waiting.get(f.id); if (w) { waiting.delete(f.id); w(f); } };
  const call = (method, params) => new Promise((resolve) => { waiting.set(++id, resolve); ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params })); });
  const replies = [await call("rpc.hello", { protocolVersion: version, client: "test page" })];
  for (const c of calls) replies.push(await call(c.method, c.params));
  ws.close();
  return { opened, replies };
}`;

/** Opens `url` from `page` offering `protocols`, then makes `calls` in order (each awaited). */
export function rpcTry(page: Page, url: string, protocols: string[], calls: { method: string; params: unknown }[] = []): Promise<RpcTry> {
  return page.evaluate(`(${RPC_TRY})(${JSON.stringify(url)}, ${JSON.stringify(protocols)}, ${JSON.stringify(calls)}, ${PROTOCOL_VERSION})`);
}

/** An origin `http://127.0.0.1:PORT` serving an empty page, for a browser app. */
export interface AppOrigin {
  readonly origin: string;
  close(): Promise<void>;
}

export async function startAppOrigin(): Promise<AppOrigin> {
  const server: Server = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>a browser app</title>"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const a = server.address();
  const port = typeof a === "object" && a !== null ? a.port : 0;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
