import { expect } from "chai";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { ConfigError } from "../../daemon/config/ConfigError.js";
import { RpcServer } from "../../daemon/rpc/RpcServer.js";
import { socketMode } from "../../daemon/rpc/socketFile.js";
import { SYSTEM_SOCKET_PATH } from "../../shared/paths.js";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import { RawClient, tempDir } from "./helpers.js";
import { PROTOCOL_VERSION } from "../../shared/protocol.js";

const clock = new SystemClock();

/** Leaves a socket file nobody listens on, the way a killed daemon does. */
async function staleSocket(path: string): Promise<void> {
  const child = spawn(process.execPath, ["-e",
    `require("net").createServer().listen(${JSON.stringify(path)}, () => process.stdout.write("listening"))`], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once("data", () => resolve());
    child.once("error", reject);
  });
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
}

describe("RpcServer socket file", () => {
  let tmp: ReturnType<typeof tempDir>;
  before(() => (tmp = tempDir()));
  after(() => tmp.remove());

  it("replaces a stale socket left by a killed daemon", async () => {
    const path = join(tmp.dir, "stale.sock");
    await staleSocket(path);
    expect(lstatSync(path).isSocket()).to.equal(true);
    const server = await RpcServer.listen({ clock, socketPath: path, daemonVersion: "t" });
    try {
      const c = await RawClient.ready(path);
      c.close();
      expect(statSync(path).mode & 0o777).to.equal(0o600);
    } finally {
      await server.close();
    }
  });

  it("refuses to start over a live socket with DaemonAlreadyRunning, leaving it alone", async () => {
    const path = join(tmp.dir, "live.sock");
    const first = await RpcServer.listen({ clock, socketPath: path, daemonVersion: "first" });
    try {
      const err = await RpcServer.listen({ clock, socketPath: path, daemonVersion: "second" }).then(() => undefined, (e: unknown) => e);
      expect(AtsyncError.is(err, ErrorCode.DaemonAlreadyRunning)).to.equal(true);
      expect((err as Error).message).to.equal(`another atsyncd is already running on ${path}`);
      // The first daemon still answers.
      const c = await RawClient.open(path);
      const r = await c.request(1, "rpc.hello", { protocolVersion: PROTOCOL_VERSION, client: "t" });
      c.close();
      expect(r.result).to.deep.include({ daemonVersion: "first" });
    } finally {
      await first.close();
    }
  });

  it("refuses a live socket of any other process too", async () => {
    const path = join(tmp.dir, "other.sock");
    const other: Server = createServer((s) => s.destroy());
    await new Promise<void>((r) => other.listen(path, r));
    try {
      const err = await RpcServer.listen({ clock, socketPath: path, daemonVersion: "t" }).then(() => undefined, (e: unknown) => e);
      expect(AtsyncError.is(err, ErrorCode.DaemonAlreadyRunning)).to.equal(true);
      expect(existsSync(path)).to.equal(true);
    } finally {
      await new Promise((r) => other.close(r));
    }
  });

  it("refuses a path that exists and is not a socket, and does not delete it", async () => {
    const path = join(tmp.dir, "plain-file");
    writeFileSync(path, "keep me");
    const err = await RpcServer.listen({ clock, socketPath: path, daemonVersion: "t" }).then(() => undefined, (e: unknown) => e);
    expect(AtsyncError.is(err, ErrorCode.SocketUnavailable)).to.equal(true);
    expect((err as Error).message).to.include("is not a socket");
    expect(existsSync(path)).to.equal(true);
  });

  it("refuses a path longer than sun_path allows, counting bytes", async () => {
    // 30 emoji = 120 bytes though only 60 UTF-16 units.
    const path = join(tmp.dir, "🛠".repeat(30) + ".sock");
    const err = await RpcServer.listen({ clock, socketPath: path, daemonVersion: "t" }).then(() => undefined, (e: unknown) => e);
    expect(AtsyncError.is(err, ErrorCode.SocketUnavailable)).to.equal(true);
    expect((err as Error).message).to.include("longer than the 103");
  });

  it("creates missing parent directories 0700 but leaves an existing directory's mode alone", async () => {
    const existing = join(tmp.dir, "shared-dir");
    mkdirSync(existing, { mode: 0o755 });
    const s1 = await RpcServer.listen({ clock, socketPath: join(existing, "a.sock"), daemonVersion: "t" });
    const s2 = await RpcServer.listen({ clock, socketPath: join(tmp.dir, "new", "deeper", "b.sock"), daemonVersion: "t" });
    try {
      expect(statSync(existing).mode & 0o777).to.equal(0o755);
      expect(statSync(join(tmp.dir, "new", "deeper")).mode & 0o777).to.equal(0o700);
    } finally {
      await s1.close();
      await s2.close();
    }
  });

  it("refuses a socket directory of ours that others may write to (0777), leaving its mode and binding nothing", async () => {
    const open = join(tmp.dir, "open-dir");
    mkdirSync(open);
    chmodSync(open, 0o777);
    const err = await RpcServer.listen({ clock, socketPath: join(open, "a.sock"), daemonVersion: "t" }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(ConfigError).with.property("code", "RUNTIME_DIR_NOT_OURS");
    expect((err as Error).message).to.equal(`the socket directory ${open} is writable by other users (mode 0777); atsyncd refuses to use it: ` +
      `check that nothing in it is another user's, run \`chmod 700 ${open}\` and start atsyncd again, or pass --socket PATH in a directory of yours`);
    expect([statSync(open).mode & 0o777, readdirSync(open)]).to.deep.equal([0o777, []]);
  });

  it("binds 0600, and 0660 only at the system-wide daemon's path, whose 0750 directory admits the atsyncd group", () => {
    expect([socketMode(join(tmp.dir, "a.sock")), socketMode(SYSTEM_SOCKET_PATH), socketMode("/run/atsyncd/other.sock")]).to.deep.equal([0o600, 0o660, 0o600]);
  });

  it("removes its socket file on close", async () => {
    const path = join(tmp.dir, "gone.sock");
    const s = await RpcServer.listen({ clock, socketPath: path, daemonVersion: "t" });
    await s.close();
    expect(existsSync(path)).to.equal(false);
  });
});
