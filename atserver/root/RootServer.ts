// The root directory (§1.1; R:server/at_root_server_impl.dart, R:client/at_root_client.dart):
// prompt `@`, the client sends `alice\n`, the reply is `<host>:<port>\r\n@` or `null\r\n@`.
// Per connection, the 2nd miss is answered after 3 s and the 3rd closes the connection.
import tls from "node:tls";
import type { AddressInfo } from "node:net";
import { normalizeAtSign } from "../../protocol/atKey.js";
import type { TlsMaterial } from "../tls/ca.js";

export interface RootServerOptions {
  host: string;
  port: number;
  tls: TlsMaterial;
  /** "host:port" of an atSign's server, undefined when it is not served here. */
  lookup: (atSign: string) => string | undefined;
  /** The delay before answering a 2nd miss; 3000 as the real root. */
  missDelayMs?: number;
}

const MAX_LINE = 4096;

export class RootServer {
  private readonly server: tls.Server;
  private readonly sockets = new Set<tls.TLSSocket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private boundPort = 0;

  constructor(private readonly opts: RootServerOptions) {
    this.server = tls.createServer({ key: opts.tls.key, cert: opts.tls.cert }, (s) => this.accept(s));
    this.server.on("tlsClientError", () => undefined);
  }

  get address(): string {
    return `${this.opts.host}:${this.boundPort}`;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off("error", reject);
        this.boundPort = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private accept(socket: tls.TLSSocket): void {
    this.sockets.add(socket);
    let buffer = "";
    let misses = 0;
    let queue = Promise.resolve();
    socket.setEncoding("utf8");
    socket.on("error", () => socket.destroy());
    socket.on("close", () => this.sockets.delete(socket));
    socket.write("@");
    const answer = async (line: string): Promise<void> => {
      if (socket.destroyed) return;
      if (line === "@exit") {
        socket.end();
        return;
      }
      const found = line === "" ? undefined : this.opts.lookup(normalizeAtSign(line));
      if (found !== undefined) {
        socket.write(`${found}\r\n@`);
        return;
      }
      misses++;
      if (misses >= 3) {
        socket.end();
        return;
      }
      if (misses === 2) await this.delay(this.opts.missDelayMs ?? 3000);
      if (!socket.destroyed) socket.write("null\r\n@");
    };
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_LINE && !buffer.includes("\n")) {
        socket.destroy();
        return;
      }
      let i: number;
      while ((i = buffer.indexOf("\n")) !== -1) {
        const line = buffer.slice(0, i).trim();
        buffer = buffer.slice(i + 1);
        queue = queue.then(() => answer(line)).catch(() => void socket.destroy());
      }
    });
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
