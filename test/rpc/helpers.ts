// Helpers for RPC tests: temp socket dirs, a raw NDJSON client that sees exactly what
// the daemon writes, and a bounded wait for a predicate (no sleeps).

import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROTOCOL_VERSION } from "../../shared/protocol.js";

export function tempDir(prefix = "atsyncd-rpc-"): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function waitFor(pred: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Opens a client on `path()` and completes its handshake, keeping it in `clients` for the suite's teardown to close. */
export function readyClients(path: () => string, clients: RawClient[]): () => Promise<RawClient> {
  return async () => {
    const c = await RawClient.ready(path());
    clients.push(c);
    return c;
  };
}

export type Frame = Record<string, unknown> & { id?: unknown; result?: unknown; error?: { code: number; message: string; data?: unknown }; method?: string; params?: unknown };

/** A socket speaking raw NDJSON, collecting every frame the daemon sends. */
export class RawClient {
  readonly frames: Frame[] = [];
  private buf = "";
  closed = false;
  private constructor(readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (s: string) => {
      this.buf += s;
      let nl;
      while ((nl = this.buf.indexOf("\n")) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        this.frames.push(JSON.parse(line) as Frame);
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => (this.closed = true));
  }

  static open(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ path });
      s.once("connect", () => resolve(new RawClient(s)));
      s.once("error", reject);
    });
  }

  /** Opens and completes the handshake. */
  static async ready(path: string): Promise<RawClient> {
    const c = await RawClient.open(path);
    const r = await c.request("hello", "rpc.hello", { protocolVersion: PROTOCOL_VERSION, client: "test" });
    if (r.error) throw new Error(`hello failed: ${r.error.message}`);
    return c;
  }

  sendLine(line: string): void {
    this.socket.write(line + "\n");
  }

  send(frame: object): void {
    this.sendLine(JSON.stringify(frame));
  }

  async request(id: number | string, method: string, params?: unknown): Promise<Frame> {
    this.send(params === undefined ? { jsonrpc: "2.0", id, method } : { jsonrpc: "2.0", id, method, params });
    return this.reply(id);
  }

  async reply(id: unknown): Promise<Frame> {
    let found: Frame | undefined;
    await waitFor(() => (found = this.frames.find((f) => f.id === id && ("result" in f || "error" in f))) !== undefined || this.closed,
      `reply ${String(id)}`);
    found ??= this.frames.find((f) => f.id === id && ("result" in f || "error" in f));
    if (!found) throw new Error(`connection closed before reply ${String(id)}`);
    return found;
  }

  notifications(method: string): Frame[] {
    return this.frames.filter((f) => f.method === method && f.id === undefined);
  }

  close(): void {
    this.socket.destroy();
  }
}
