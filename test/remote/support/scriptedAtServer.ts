// The setup the scripted-server suites share: a scripted atServer and a root that names it,
// a silent server whose TLS handshake never completes, and (for the review suites) mocha
// hooks that fail a test which leaves an unhandled rejection, a socket or a timer behind.
import { expect } from "chai";
import { createServer, type Server, type Socket } from "node:net";
import type { AtKeys } from "../../../protocol/atKeysFile.js";
import { fixturesOrSkip, readDemoAtKeys } from "../../support/fixtures.js";
import { CountingClock, activeHandles } from "./CountingClock.js";
import { ScriptedTlsServer, selfSignedCert, type LineHandler, type SelfSigned } from "./scriptedTlsServer.js";
import { waitFor } from "./waitFor.js";

export type Script = LineHandler;

/** A root that answers every lookup with 127.0.0.1 and the port `port()` gives. */
export function rootNaming(port: () => number): Script {
  return (line, socket) => {
    if (line !== "@exit") socket.write(`127.0.0.1:${port()}\r\n@`);
  };
}

export interface SilentAtServer {
  /** The port of a root that names the silent server. */
  rootPort: number;
  /** The TCP connections the silent server accepted. */
  held: Socket[];
  close(): Promise<void>;
}

/** A TCP server that accepts and never answers (so a TLS handshake to it hangs), and its root. */
export async function startSilentAtServer(material: SelfSigned): Promise<SilentAtServer> {
  const held: Socket[] = [];
  const silent: Server = createServer((sock) => {
    held.push(sock);
    sock.on("error", () => undefined);
    sock.resume(); // read, so the client's close is seen
  });
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const a = silent.address();
  const silentPort = typeof a === "object" && a !== null ? a.port : 0;
  const root = new ScriptedTlsServer(material, rootNaming(() => silentPort));
  await root.listen();
  return {
    rootPort: root.port,
    held,
    async close(): Promise<void> {
      for (const sock of held) sock.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
      await root.close();
    },
  };
}

/** What a review suite's tests see; the hooks set the fields. */
export class ScriptedAtServerSuite {
  material!: SelfSigned;
  /** @alice🛠's fixture keys. */
  keys!: AtKeys;
  server!: ScriptedTlsServer;
  root!: ScriptedTlsServer;
  /** Fresh for each test. */
  clock!: CountingClock;
  /** How the atServer answers; nothing until a test sets it. */
  script: Script = () => undefined;
  /** How the root answers; before each test, it names `server`. */
  rootScript: Script = () => undefined;
}

/**
 * Registers the hooks of a review suite: call it inside `describe`. After each test,
 * `cleanup` closes what the test opened; then the test fails if a rejection went unhandled,
 * a connection stayed open or a timer is still running.
 */
export function useScriptedAtServer(cleanup: () => Promise<unknown>): ScriptedAtServerSuite {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  let tlsBaseline = 0;
  const s = new ScriptedAtServerSuite();

  before(async function () {
    fixturesOrSkip(this);
    s.keys = readDemoAtKeys("alice");
    s.material = await selfSignedCert();
    s.server = new ScriptedTlsServer(s.material, (line, socket) => s.script(line, socket));
    await s.server.listen();
    s.root = new ScriptedTlsServer(s.material, (line, socket) => s.rootScript(line, socket));
    await s.root.listen();
    process.on("unhandledRejection", onUnhandled);
    tlsBaseline = activeHandles("TLSWrap");
  });

  beforeEach(function () {
    s.clock = new CountingClock();
    s.server.commands.length = 0;
    s.rootScript = rootNaming(() => s.server.port);
  });

  afterEach(async function () {
    await cleanup();
    // Let any stray rejection surface before checking.
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled, "unhandled rejections").to.deep.equal([]);
    await waitFor(() => s.server.connectionCount === 0 && s.root.connectionCount === 0, "servers see every connection closed");
    await waitFor(() => activeHandles("TLSWrap") === tlsBaseline, "no TLS socket left open");
    await waitFor(() => s.clock.liveTimers === 0, "no timer left running");
  });

  after(async function () {
    process.off("unhandledRejection", onUnhandled);
    await s.server?.close();
    await s.root?.close();
  });

  return s;
}
