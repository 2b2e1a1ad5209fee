import { expect } from "chai";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { AtsyncClient } from "../../client/index.js";
import { PROTOCOL_VERSION } from "../../shared/protocol.js";
import { tempDir } from "../rpc/helpers.js";

function writeAndDrain(s: Socket, b: Buffer): Promise<void> {
  return new Promise((resolve, reject) => s.write(b, (err) => (err ? reject(err) : resolve())));
}

/** A scripted daemon: answers each request line with `answer(id, method)`, written as it says. */
function scriptedDaemon(path: string, answer: (s: Socket, id: unknown, method: unknown) => Promise<void>): Promise<Server> {
  const server = createServer((s) => {
    let buf = "";
    s.setEncoding("utf8");
    s.on("error", () => {});
    s.on("data", (d: string) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const f = JSON.parse(buf.slice(0, nl)) as { id?: unknown; method?: unknown };
        buf = buf.slice(nl + 1);
        if (f.id !== undefined) void answer(s, f.id, f.method).catch(() => s.destroy());
      }
    });
  });
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}

describe("client framing on a real socket", () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: Server;
  let client: AtsyncClient | undefined;
  const socketPath = (): string => join(tmp.dir, "rpc.sock");

  before(async () => {
    tmp = tempDir("atsyncd-client-framing-");
    server = await scriptedDaemon(socketPath(), async (s, id, method) => {
      if (method === "rpc.hello") {
        // Every byte its own write, through the middle of the emoji.
        const hello = Buffer.from(JSON.stringify({ jsonrpc: "2.0", id, result: { protocolVersion: PROTOCOL_VERSION, daemonVersion: "🛠-1" } }) + "\n");
        for (let i = 0; i < hello.length; i++) await writeAndDrain(s, hello.subarray(i, i + 1));
        return;
      }
      // A notification, the reply and a stray frame in one write.
      const st = { atSign: "@alice🛠" };
      s.write(`{"jsonrpc":"2.0","method":"events.event","params":{"subscriptionId":"none","event":{}}}\n`
        + JSON.stringify({ jsonrpc: "2.0", id, result: [st] }) + "\n"
        + `{"jsonrpc":"2.0","method":"other","params":{}}\n`);
    });
  });
  after(async () => {
    await client?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    tmp.remove();
  });

  it("reads a reply split at every byte and several frames in one chunk", async () => {
    client = await AtsyncClient.connect({ socketPath: socketPath() });
    expect(client.daemonVersion).to.equal("🛠-1");
    const r = await client.status();
    expect(r).to.deep.equal([{ atSign: "@alice🛠" }]);
    expect(client.connected).to.equal(true);
  });
});
