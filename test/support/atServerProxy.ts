// A man in the middle for one atSign's atServer (a dev-server's), for tests in which one of a
// client's connections fails while another stays up, as no fault of the whole server can do.
// Its own root directory names it as that atSign's atServer (other atSigns: the dev-server's
// own); it ends TLS with the dev-server's certificate, so a client that trusts the dev-server's
// CA trusts it, opens its own TLS connection to the real atServer for each client connection,
// and passes the bytes both ways unchanged. It reads the client's lines only to tell the monitor
// connection (it sent `monitor`) from the command connections; a connection counts as a command
// connection until it sends `monitor`.
import { dirname } from "node:path";
import type { Socket } from "node:net";
import tls from "node:tls";
import type { DevServer } from "../../atserver/index.js";
import { RootServer } from "../../atserver/root/RootServer.js";
import { ensureTlsMaterial } from "../../atserver/tls/ca.js";
import { normalizeAtSign } from "../../protocol/atKey.js";

export interface AtServerProxy {
  /** host:port of its root directory: a client's rootServer. */
  readonly root: string;
  /** Connections that sent `monitor` since the start, and how many of them are open now. */
  monitors(): { opened: number; open: number };
  /** Destroys every open command connection and refuses new connections, a monitor's too, at the TCP accept, until allow(). */
  cutCommandConnections(): void;
  /** Command connections pass no bytes either way (an atServer that went silent to them) until allow(). */
  stallCommandConnections(): void;
  /** Chunks a stall holds back now (a request that reached it waits here). */
  held(): number;
  /** Takes connections and passes bytes again (what a stall held back goes on). */
  allow(): void;
  /** While false, its root answers `null` for the atSign: no atServer known. */
  setListed(listed: boolean): void;
  close(): Promise<void>;
}

interface Link {
  client: tls.TLSSocket;
  upstream: tls.TLSSocket;
  monitor: boolean;
  /** The client's current line, its first few characters. */
  line: string;
  held: Array<{ to: tls.TLSSocket; chunk: Buffer }>;
}

const MONITOR = "monitor";

export async function startAtServerProxy(dev: Pick<DevServer, "info">, atSign: string): Promise<AtServerProxy> {
  const name = normalizeAtSign(atSign);
  const secondary = dev.info.atSigns[atSign]?.secondary ?? dev.info.atSigns[name]?.secondary;
  if (secondary === undefined) throw new Error(`the dev-server does not serve ${atSign}`);
  const sep = secondary.lastIndexOf(":");
  const target = { host: secondary.slice(0, sep), port: Number(secondary.slice(sep + 1)) };
  // The dev-server's data dir holds its CA and server certificate (atserver/tls/ca.ts): read, not made.
  const material = await ensureTlsMaterial(dirname(dev.info.ca));
  const links = new Set<Link>();
  let refusing = false;
  let stalled = false;
  let listed = true;
  let monitorsOpened = 0;

  const forward = (link: Link, to: tls.TLSSocket, chunk: Buffer): void => {
    if (stalled && !link.monitor) link.held.push({ to, chunk });
    else to.write(chunk);
  };
  const noteLines = (link: Link, chunk: Buffer): void => {
    for (const byte of chunk) {
      if (byte === 0x0a) link.line = "";
      else if (link.line.length < MONITOR.length) {
        link.line += String.fromCharCode(byte);
        if (link.line === MONITOR) {
          link.monitor = true;
          monitorsOpened++;
          return;
        }
      }
    }
  };

  const server = tls.createServer({ key: material.key, cert: material.cert }, (client) => {
    const upstream = tls.connect({ ...target, ca: material.ca });
    const link: Link = { client, upstream, monitor: false, line: "", held: [] };
    links.add(link);
    const end = (): void => {
      links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) s.on("error", end).on("close", end);
    client.on("data", (chunk: Buffer) => {
      if (!link.monitor) noteLines(link, chunk);
      forward(link, upstream, chunk);
    });
    upstream.on("data", (chunk: Buffer) => forward(link, client, chunk));
  });
  server.on("connection", (socket: Socket) => {
    if (refusing) socket.destroy();
  });
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const self = `127.0.0.1:${port}`;
  const root = new RootServer({
    host: "127.0.0.1", port: 0, tls: material, missDelayMs: 0,
    lookup: (a) => (a === name ? (listed ? self : undefined) : dev.info.atSigns[a]?.secondary),
  });
  await root.listen();

  return {
    root: root.address,
    monitors: () => ({ opened: monitorsOpened, open: [...links].filter((l) => l.monitor).length }),
    cutCommandConnections() {
      refusing = true;
      for (const l of [...links]) if (!l.monitor) l.client.destroy();
    },
    stallCommandConnections() {
      stalled = true;
    },
    held: () => [...links].reduce((n, l) => n + l.held.length, 0),
    allow() {
      refusing = false;
      stalled = false;
      for (const l of links) for (const { to, chunk } of l.held.splice(0)) to.write(chunk);
    },
    setListed(on) {
      listed = on;
    },
    async close() {
      for (const l of [...links]) l.client.destroy();
      await root.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
