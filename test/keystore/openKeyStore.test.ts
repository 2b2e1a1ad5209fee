import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { FileKeyStore } from "../../daemon/keystore/FileKeyStore.js";
import { openKeyStore, probeKeychain } from "../../daemon/keystore/openKeyStore.js";
import { fakeAtKeys } from "./contract.js";

describe("openKeyStore", function () {
  let root: string;
  let dataDir: string;
  beforeEach(function () {
    root = mkdtempSync(join(tmpdir(), "atsyncd-openks-"));
    dataDir = join(root, "data");
  });
  afterEach(function () {
    rmSync(root, { recursive: true, force: true });
  });

  it("uses the file store without probing when asked to", async function () {
    const { store, fallbackReason } = await openKeyStore({ dataDir, prefer: "file", env: {} });
    expect(store.kind).to.equal("file");
    expect(fallbackReason).to.equal(undefined);
  });

  it("falls back to the file store on Linux without a D-Bus session, saying why", async function () {
    const { store, fallbackReason } = await openKeyStore({ dataDir, platform: "linux", env: {} });
    expect(store.kind).to.equal("file");
    expect(fallbackReason).to.contain("DBUS_SESSION_BUS_ADDRESS").and.contain(join(dataDir, "keys.json"));
  });

  it("keeps using a key file that already holds keys", async function () {
    await new FileKeyStore({ dataDir }).set("@alice🛠", fakeAtKeys("@alice🛠"));
    const { store, fallbackReason } = await openKeyStore({ dataDir, env: { DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent" } });
    expect(store.kind).to.equal("file");
    expect(await store.list()).to.deep.equal(["@alice🛠"]);
    expect(fallbackReason).to.contain("keychain");
  });

  it("falls back when the bus refuses the connection", async function () {
    if (process.platform === "darwin" || process.platform === "win32") this.skip();
    const { store, fallbackReason } = await openKeyStore({
      dataDir,
      platform: "linux",
      env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(root, "no-bus.sock")}` },
      probeTimeoutMs: 10_000,
    });
    expect(store.kind).to.equal("file");
    expect(fallbackReason).to.match(/Secret Service is not usable/u);
  });

  describe("with a bus that accepts and never answers", function () {
    let server: Server;
    let socketPath: string;
    const sockets = new Set<Socket>();
    before(async function () {
      if (process.platform === "darwin" || process.platform === "win32") this.skip();
      socketPath = join(mkdtempSync(join(tmpdir(), "atsyncd-bus-")), "bus.sock");
      server = createServer((s) => {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
      });
      await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    });
    after(async function () {
      if (!server) return;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(join(socketPath, ".."), { recursive: true, force: true });
    });

    it("gives up after the probe timeout and falls back", async function () {
      const started = Date.now();
      const problem = await probeKeychain({
        service: "atsyncd-test-probe",
        platform: "linux",
        env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${socketPath}` },
        timeoutMs: 700,
      });
      expect(problem).to.contain("did not answer within 700 ms");
      expect(Date.now() - started).to.be.lessThan(5000);
      const { store, fallbackReason } = await openKeyStore({
        dataDir,
        platform: "linux",
        env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${socketPath}` },
        probeTimeoutMs: 700,
      });
      expect(store.kind).to.equal("file");
      expect(fallbackReason).to.contain("did not answer");
    });
  });

  describe("with a D-Bus session that has no Secret Service", function () {
    let bus: ChildProcess | undefined;
    let busDir: string;
    let address: string;
    before(async function () {
      if (process.platform === "darwin" || process.platform === "win32") this.skip();
      busDir = mkdtempSync(join(tmpdir(), "atsyncd-dbus-"));
      const conf = join(busDir, "session.conf");
      // No <servicedir>: nothing can be activated, so org.freedesktop.secrets is unknown.
      writeFileSync(
        conf,
        `<busconfig><type>session</type><listen>unix:path=${join(busDir, "bus")}</listen><auth>EXTERNAL</auth>` +
          `<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>`,
      );
      const child = spawn("dbus-daemon", [`--config-file=${conf}`, "--nofork", "--print-address=1"], { stdio: ["ignore", "pipe", "pipe"] });
      const started = await new Promise<string | undefined>((resolve) => {
        let out = "";
        child.once("error", () => resolve(undefined));
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString("utf8");
          if (out.includes("\n")) resolve(out.trim());
        });
        child.once("exit", () => resolve(undefined));
      });
      if (started === undefined) {
        process.stdout.write("      (skipped: dbus-daemon is not installed here)\n");
        this.skip();
      }
      bus = child;
      address = started;
    });
    after(async function () {
      if (bus && bus.exitCode === null) {
        const exited = new Promise((resolve) => bus?.once("exit", resolve));
        bus.kill("SIGTERM");
        await exited;
      }
      if (busDir) rmSync(busDir, { recursive: true, force: true });
    });

    it("falls back quickly, naming the Secret Service", async function () {
      const { store, fallbackReason } = await openKeyStore({
        dataDir,
        platform: "linux",
        env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address },
        probeTimeoutMs: 10_000,
      });
      expect(store.kind).to.equal("file");
      expect(fallbackReason).to.match(/Secret Service is not usable/u).and.not.match(/did not answer/u);
    });
  });

  it("opens the keychain when one answers", async function () {
    const problem = await probeKeychain({ service: "atsyncd-test-probe", platform: process.platform, env: process.env, timeoutMs: 5000 });
    if (problem !== undefined) {
      process.stdout.write(`      (skipped: ${problem})\n`);
      this.skip();
    }
    const { store, fallbackReason } = await openKeyStore({ dataDir, service: "atsyncd-test-probe", probeTimeoutMs: 5000 });
    expect(store.kind).to.equal("keychain");
    expect(fallbackReason).to.equal(undefined);
  });
});
