// A browser app's connection, in Node: a WebSocket to the web listener's /rpc with the app's
// token as a subprotocol and its Origin, `rpc.hello`, then JSON-RPC calls with many in flight.
import { WebSocket } from "ws";
import { PROTOCOL_VERSION } from "../../shared/protocol.js";

export interface WebTarget {
  /** `ws://127.0.0.1:PORT/rpc` */
  url: string;
  origin: string;
  token: string;
}

type Waiter = { resolve(v: unknown): void; reject(e: Error): void };

export class WsRpc {
  private next = 1;
  private readonly waiting = new Map<number, Waiter>();

  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data: Buffer) => {
      const f = JSON.parse(data.toString("utf8")) as { id?: number; result?: unknown; error?: { message: string } };
      const w = f.id === undefined ? undefined : this.waiting.get(f.id);
      if (!w || f.id === undefined) return;
      this.waiting.delete(f.id);
      if (f.error) w.reject(new Error(f.error.message));
      else w.resolve(f.result);
    });
    ws.on("close", () => {
      for (const w of this.waiting.values()) w.reject(new Error("closed"));
      this.waiting.clear();
    });
  }

  static async connect(t: WebTarget): Promise<WsRpc> {
    const ws = new WebSocket(t.url, ["atsyncd", `atsyncd-token.${t.token}`], { origin: t.origin });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) => reject(new Error(`refused: ${res.statusCode ?? 0}`)));
    });
    const c = new WsRpc(ws);
    await c.call("rpc.hello", { protocolVersion: PROTOCOL_VERSION, client: "bench" });
    return c;
  }

  call(method: string, params: unknown): Promise<unknown> {
    const id = this.next++;
    this.ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    return new Promise((resolve, reject) => this.waiting.set(id, { resolve, reject }));
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.ws.once("close", () => resolve());
      this.ws.close();
    });
  }
}
