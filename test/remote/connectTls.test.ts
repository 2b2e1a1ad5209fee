// connectTls: the daemon's TLS sockets to atServers and the root.
import { expect } from "chai";
import type { TLSSocket } from "node:tls";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { connectTls } from "../../daemon/remote/connectTls.js";
import { ScriptedTlsServer, selfSignedCert } from "./support/scriptedTlsServer.js";

/** Node keeps a socket's setNoDelay choice under this symbol (lib/net.js), the only place it can be read back. */
function noDelayOf(socket: TLSSocket): unknown {
  const sym = Object.getOwnPropertySymbols(socket).find((s) => s.description === "kSetNoDelay");
  return sym === undefined ? undefined : (socket as unknown as Record<symbol, unknown>)[sym];
}

describe("remote/connectTls", () => {
  it("turns Nagle off: a command is written at once, not held until the server ACKs the last one", async () => {
    const material = await selfSignedCert();
    const server = new ScriptedTlsServer(material, () => undefined);
    await server.listen();
    try {
      const socket = await connectTls({ host: "127.0.0.1", port: server.port, ca: material.cert, clock: new SystemClock(), timeoutMs: 5000 });
      expect(noDelayOf(socket)).to.equal(true);
      socket.destroy();
    } finally {
      await server.close();
    }
  });
});
