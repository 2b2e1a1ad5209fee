import { expect } from "chai";
import type { TLSSocket } from "node:tls";
import type { AtKeys } from "../../protocol/atKeysFile.js";
import type { AtNotification } from "../../daemon/ports.js";
import { Monitor, type MonitorHealth, type MonitorState } from "../../daemon/remote/Monitor.js";
import { RootResolver } from "../../daemon/remote/RootResolver.js";
import { Backoff } from "../../daemon/backoff.js";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { nullLogger } from "../../daemon/adapters/nullLogger.js";
import { fixturesOrSkip, readDemoAtKeys } from "../support/fixtures.js";
import { rootNaming, startSilentAtServer } from "./support/scriptedAtServer.js";
import { ScriptedTlsServer, selfSignedCert, type SelfSigned } from "./support/scriptedTlsServer.js";
import { waitFor } from "./support/waitFor.js";

const SHARED = {
  id: "7c9d", from: "@bob🛠", to: "@alice🛠", key: "@alice🛠:phone.wavi@bob🛠", value: "c2VjcmV0",
  operation: "update", epochMillis: 1_700_000_000_123, messageType: "MessageType.key", isEncrypted: true,
  metadata: { ivNonce: "AAAA", sharedKeyEnc: null, ttl: 0 },
};
const STATS = { id: "-1", from: "@alice🛠", to: "@alice🛠", key: "statsNotification.@alice🛠", value: "9", operation: "update", epochMillis: 1_800_000_000_000 };

describe("remote/Monitor on the wire", function () {
  let material: SelfSigned;
  let keys: AtKeys;
  let server: ScriptedTlsServer;
  let root: ScriptedTlsServer;
  const connectionOf = new Map<TLSSocket, number>();
  let connections = 0;
  const clock = new SystemClock();
  const monitors: Monitor[] = [];

  before(async function () {
    fixturesOrSkip(this);
    keys = readDemoAtKeys("alice");
    material = await selfSignedCert();
    server = new ScriptedTlsServer(material, (line, socket) => {
      if (!connectionOf.has(socket)) connectionOf.set(socket, ++connections);
      const nth = connectionOf.get(socket);
      if (line.startsWith("from:")) socket.write("data:_c@alice🛠:1\n@");
      else if (line.startsWith("pkam:")) socket.write("data:success\n@alice🛠@");
      else if (line.startsWith("monitor")) {
        if (nth === 1) {
          // Split mid-emoji and mixed with garbage: the reader must cope.
          const bytes = Buffer.from(`notification: ${JSON.stringify(SHARED)}\nnotification: {broken\nnotification: ${JSON.stringify(STATS)}\n`, "utf8");
          socket.write(bytes.subarray(0, 40));
          socket.write(bytes.subarray(40));
        }
      } else if (line === "noop:0" && nth !== 1) socket.write("data:ok\n@alice🛠@");
      // The first connection never answers its heartbeat: a dead link.
    });
    await server.listen();
    root = new ScriptedTlsServer(material, rootNaming(() => server.port));
    await root.listen();
  });
  after(async function () {
    await Promise.all(monitors.map((m) => m.stop()));
    await server?.close();
    await root?.close();
  });

  it("parses notifications, survives a throwing listener, reconnects on a missed heartbeat and resumes from the last epochMillis", async function () {
    const resolver = new RootResolver({ root: `127.0.0.1:${root.port}`, ca: material.cert, clock });
    const monitor = new Monitor({
      atSign: "@alice🛠", keys, resolver, ca: material.cert, clock, logger: nullLogger, heartbeatMs: 300,
      regex: "wavi", backoff: new Backoff({ baseMs: 20, maxMs: 100 }),
    });
    monitors.push(monitor);
    const notes: AtNotification[] = [];
    const states: MonitorState[] = [];
    monitor.onNotification(() => {
      throw new Error("listener bug");
    });
    monitor.onNotification((n) => notes.push(n));
    monitor.onStateChange((s) => states.push(s));
    const healths: MonitorHealth[] = [];
    monitor.onStateChange(() => healths.push(monitor.health()));
    monitor.start();

    await waitFor(() => notes.length >= 2, "notifications");
    expect(notes[0]).to.deep.equal({ ...SHARED, metadata: { ivNonce: "AAAA", sharedKeyEnc: null, ttl: "0" } });
    expect(notes[1]).to.include({ id: "-1", key: "statsNotification.@alice🛠", value: "9" });

    const monitorCommandsSeen = (): number => server.commands.filter((c) => c.startsWith("monitor")).length;
    await waitFor(() => monitorCommandsSeen() >= 2 && monitor.currentState === "online", "reconnect after missed heartbeat");
    expect(states).to.deep.equal(["connecting", "online", "offline", "connecting", "online"]);
    // Its health says why it went offline (the heartbeat's reply did not come within a third of
    // the interval) and when it would try again; online again, the attempts start over.
    const down = healths[2]!;
    expect(down).to.deep.include({ state: "offline", attempt: 0, reason: "monitor connection lost: no reply within 100 ms" });
    expect(down.nextAttemptAt).to.be.a("number").and.at.least(down.since);
    expect(healths[3]).to.deep.include({ state: "connecting", attempt: 1, nextAttemptAt: null });
    expect(healths[4]).to.deep.include({ state: "online", attempt: 0, reason: null });
    const monitorCommands = server.commands.filter((c) => c.startsWith("monitor"));
    expect(monitorCommands[0]).to.equal("monitor wavi");
    // Stats notifications are not stored server-side, so only the shared one sets the resume point.
    expect(monitorCommands[1]).to.equal(`monitor:${SHARED.epochMillis} wavi`);

    // The second connection answers its heartbeats and stays up.
    const pings = server.commands.filter((c) => c === "noop:0").length;
    await waitFor(() => server.commands.filter((c) => c === "noop:0").length >= pings + 2, "heartbeats answered");
    expect(connections).to.equal(2);
    await monitor.stop();
    expect(monitor.currentState).to.equal("offline");
  });

  it("stop() cancels a connect attempt that is hanging in the TLS handshake", async function () {
    const silent = await startSilentAtServer(material);
    try {
      const resolver = new RootResolver({ root: `127.0.0.1:${silent.rootPort}`, ca: material.cert, clock });
      const monitor = new Monitor({ atSign: "@alice🛠", keys, resolver, ca: material.cert, clock, logger: nullLogger, connectTimeoutMs: 60_000 });
      monitors.push(monitor);
      monitor.start();
      await waitFor(() => silent.held.length === 1, "TCP connection to the silent server");
      const startedAt = Date.now();
      await monitor.stop();
      expect(Date.now() - startedAt).to.be.below(2000);
      expect(monitor.currentState).to.equal("offline");
      await waitFor(() => silent.held.every((sock) => sock.destroyed), "client side closed");
    } finally {
      await silent.close();
    }
  });
});
