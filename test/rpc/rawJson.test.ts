// A result already serialized (a worker's reply, RawJson) goes into the reply frame as it is: the
// same frame a serialized object would make, for a number or a string id; a connection that
// narrows results (a browser app's scope) gets it parsed and narrowed.
import { expect } from "chai";
import { join } from "node:path";
import { Duplex, PassThrough } from "node:stream";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { RawJson } from "../../daemon/rpc/RawJson.js";
import { RpcServer } from "../../daemon/rpc/RpcServer.js";
import { KeysGet, StatusGet } from "../../shared/methods.js";
import { PROTOCOL_VERSION } from "../../shared/protocol.js";
import { RawClient, tempDir, waitFor } from "./helpers.js";

const ATSIGN = "@alice🛠";

describe("RPC: results serialized before they reach the connection (RawJson)", () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: RpcServer;

  beforeEach(async () => {
    tmp = tempDir();
    server = await RpcServer.listen({ clock: new SystemClock(), socketPath: join(tmp.dir, "s.sock"), daemonVersion: "test" });
    server.handle(KeysGet, (p) => new RawJson(JSON.stringify({ key: p.key, value: "v\u2028\"🛠", metadata: {} })) as never);
    server.handle(StatusGet, () => Promise.resolve(new RawJson(JSON.stringify([{ atSign: ATSIGN, secret: 1 }])) as never));
  });
  afterEach(async () => {
    await server.close();
    tmp.remove();
  });

  it("writes it into the frame unparsed, exactly as the object would have been written, for number and string ids", async () => {
    const c = await RawClient.ready(server.socketPath);
    const lines: string[] = [];
    c.socket.on("data", (d: Buffer | string) => lines.push(String(d)));
    const key = `k.app${ATSIGN}`;
    const r1 = await c.request(7, "keys.get", { atSign: ATSIGN, key });
    const r2 = await c.request("x\"y", "keys.get", { atSign: ATSIGN, key });
    expect(r1.result).to.deep.equal({ key, value: "v\u2028\"🛠", metadata: {} });
    expect(r2.id).to.equal("x\"y");
    const text = lines.join("");
    expect(text).to.include(JSON.stringify({ jsonrpc: "2.0", id: 7, result: { key, value: "v\u2028\"🛠", metadata: {} } }) + "\n");
    expect(text).to.include(JSON.stringify({ jsonrpc: "2.0", id: "x\"y", result: { key, value: "v\u2028\"🛠", metadata: {} } }) + "\n");
    c.socket.destroy();
  });

  it("parses it for a connection that narrows results, and narrows it", async () => {
    // A stream attached with a scope, as the web listener attaches an app's WebSocket.
    const toServer = new PassThrough();
    const fromServer = new PassThrough();
    const stream = Duplex.from({ readable: toServer, writable: fromServer });
    let seen: unknown;
    server.attach(stream, {
      guard: (_m, p) => p,
      narrowResult: (method, result) => {
        seen = result;
        return method === StatusGet.name ? (result as Array<{ atSign: string }>).map((s) => ({ atSign: s.atSign })) : result;
      },
    });
    let out = "";
    fromServer.on("data", (d: Buffer) => (out += d.toString("utf8")));
    toServer.write(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "rpc.hello", params: { protocolVersion: PROTOCOL_VERSION, client: "t" } }) + "\n");
    toServer.write(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "status.get", params: {} }) + "\n");
    await waitFor(() => out.includes("\"id\":2"), "the status reply");
    expect(seen, "the narrowing saw the parsed object").to.deep.equal([{ atSign: ATSIGN, secret: 1 }]);
    const frame = out.trim().split("\n").map((l) => JSON.parse(l) as { id: number; result: unknown }).find((f) => f.id === 2);
    expect(frame?.result).to.deep.equal([{ atSign: ATSIGN }]);
    stream.destroy();
  });
});
