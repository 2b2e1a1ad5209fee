// A bare NDJSON client for sending what the real client never would (malformed frames).
import { createConnection, type Socket } from "node:net";
import { PROTOCOL_VERSION } from "../../shared/protocol.js";

export class RawRpc {
  private buf = "";
  private readonly lines: string[] = [];
  private waiter: (() => void) | undefined;
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      this.buf += d;
      let i: number;
      while ((i = this.buf.indexOf("\n")) >= 0) {
        this.lines.push(this.buf.slice(0, i));
        this.buf = this.buf.slice(i + 1);
      }
      this.waiter?.();
    });
    socket.on("close", () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on("error", () => undefined);
  }

  static connect(path: string): Promise<RawRpc> {
    return new Promise((resolve, reject) => {
      const s = createConnection({ path }, () => resolve(new RawRpc(s)));
      s.once("error", reject);
    });
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** Writes `bytes` and resolves once the socket has taken them (a daemon that hangs up meanwhile is not an error here). */
  writeAll(bytes: Buffer): Promise<void> {
    return new Promise((resolve) => this.socket.write(bytes, () => resolve()));
  }

  /** The next frame from the daemon, parsed; rejects when the connection closes first. */
  async next(timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.closed) throw new Error("connection closed");
      if (Date.now() > deadline) throw new Error("no frame in time");
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return JSON.parse(this.lines.shift() ?? "") as Record<string, unknown>;
  }

  async call(id: number, method: string, params: unknown): Promise<Record<string, unknown>> {
    this.write(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n");
    return this.next();
  }

  async hello(): Promise<void> {
    const r = await this.call(0, "rpc.hello", { protocolVersion: PROTOCOL_VERSION, client: "raw-e2e" });
    if (!("result" in r)) throw new Error(`hello refused: ${JSON.stringify(r)}`);
  }

  close(): void {
    this.socket.destroy();
  }
}

export function errorCode(frame: Record<string, unknown>): number | undefined {
  const e = frame.error as { code?: unknown } | undefined;
  return typeof e?.code === "number" ? e.code : undefined;
}
