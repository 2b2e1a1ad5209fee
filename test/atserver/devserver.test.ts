import { expect } from "chai";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import net from "node:net";
import tls from "node:tls";
import { decodeAtKeysFile } from "../../protocol/atKeysFile.js";
import { DataDirInUseError, resetAtSignStore, startDevServer, type DevServer } from "../../atserver/index.js";
import { RootServer } from "../../atserver/root/RootServer.js";
import { ensureTlsMaterial } from "../../atserver/tls/ca.js";
import { fixturesOrSkip } from "../support/fixtures.js";
import { ALICE, demoAtKeysPath, demoKeys, tempDir } from "./support/demo.js";
import { RawClient, splitAddress } from "./support/RawClient.js";

async function rootLookup(root: string, ca: string, lines: string[]): Promise<string> {
  const [host, port] = splitAddress(root);
  const s = tls.connect({ host, port, ca, servername: "localhost" });
  s.setEncoding("utf8");
  let got = "";
  s.on("data", (d: string) => (got += d));
  s.write(lines.join(""));
  await new Promise<void>((resolve) => s.on("close", () => resolve()));
  return got;
}

describe("atsyncd dev-server: identities, root, persistence and reset", function () {
  let dir: ReturnType<typeof tempDir>;
  let dev: DevServer | undefined;
  let ca: string;
  const clients: RawClient[] = [];
  const login = async (atSign: string, pkamPrivateKey: string): Promise<RawClient> => {
    const c = await RawClient.connect(dev?.info.atSigns[atSign]?.secondary ?? "", ca);
    clients.push(c);
    expect(await c.pkamLogin(atSign, pkamPrivateKey)).to.equal("data:success");
    return c;
  };
  const lastCommit = async (c: RawClient): Promise<string> =>
    (JSON.parse((await c.cmd("stats:3")).slice(6)) as Array<{ value: string }>)[0]?.value ?? "";

  before(async function () {
    fixturesOrSkip(this);
    dir = tempDir("devserver");
    dev = await startDevServer({ dataDir: dir.path, atSigns: ["@Carol"], importAtKeys: [demoAtKeysPath("alice")] });
    ca = readFileSync(dev.info.ca, "utf8");
  });
  after(async function () {
    for (const c of clients) c.close();
    await dev?.stop();
    dir?.remove();
  });

  it("reports root, CA and one secondary and .atKeys file per atSign", function () {
    const info = dev?.info;
    expect(info?.root).to.match(/^127\.0\.0\.1:\d+$/u);
    expect(info?.ca).to.equal(`${dir.path}/ca.pem`);
    expect(Object.keys(info?.atSigns ?? {}).sort()).to.deep.equal([ALICE, "@carol"].sort());
    expect(info?.atSigns["@carol"]?.secondary).to.match(/^127\.0\.0\.1:\d+$/u);
    expect(info?.atSigns[ALICE]?.atKeys).to.equal(demoAtKeysPath("alice"));
    expect(statSync(`${dir.path}/ca-key.pem`).mode & 0o777).to.equal(0o600);
  });

  it("creates a real-format .atKeys file for a new atSign and publishes its encryption public key", async function () {
    const path = dev?.info.atSigns["@carol"]?.atKeys ?? "";
    expect(statSync(path).mode & 0o777).to.equal(0o600);
    const keys = decodeAtKeysFile(readFileSync(path, "utf8"));
    expect(keys.atSign).to.equal("@carol");
    const c = await login("@carol", keys.pkamPrivateKey ?? "");
    expect(await c.cmd("llookup:public:publickey@carol")).to.equal(`data:${keys.encryptionPublicKey}`);
    expect(await lastCommit(c)).to.equal("0");
    const anon = await RawClient.connect(dev?.info.atSigns[ALICE]?.secondary ?? "", ca);
    clients.push(anon);
    expect(await anon.cmd("plookup:publickey@carol")).to.equal(`data:${keys.encryptionPublicKey}`);
  });

  it("the root answers host:port or null with \\r\\n@, and closes on the 3rd miss", async function () {
    const root = dev?.info.root ?? "";
    expect(await rootLookup(root, ca, ["alice🛠\n", "@exit\n"])).to.equal(`@${dev?.info.atSigns[ALICE]?.secondary}\r\n@`);
    expect(await rootLookup(root, ca, ["CAROL\n", "@exit\n"])).to.equal(`@${dev?.info.atSigns["@carol"]?.secondary}\r\n@`);
    const tlsMaterial = await ensureTlsMaterial(dir.path);
    const quick = new RootServer({ host: "127.0.0.1", port: 0, tls: tlsMaterial, lookup: () => undefined, missDelayMs: 10 });
    await quick.listen();
    try {
      expect(await rootLookup(quick.address, ca, ["nobody\n", "nobody\n", "nobody\n"])).to.equal("@null\r\n@null\r\n@");
    } finally {
      await quick.stop();
    }
  });

  it("keeps every key, commit id and port across a restart", async function () {
    const alice = await login(ALICE, demoKeys("alice").pkamPrivateKey ?? "");
    await alice.cmd(`update:persist.wavi${ALICE} kept`);
    await alice.cmd(`delete:gone.wavi${ALICE}`);
    const before = await lastCommit(alice);
    const addr = dev?.info.atSigns[ALICE]?.secondary;
    const root = dev?.info.root;
    alice.close();
    await dev?.stop();
    dev = await startDevServer({ dataDir: dir.path });
    expect(dev.info.atSigns[ALICE]?.secondary).to.equal(addr);
    // The root too: a daemon configured with it finds the restarted atServers.
    expect(dev.info.root).to.equal(root);
    const again = await login(ALICE, demoKeys("alice").pkamPrivateKey ?? "");
    expect(await again.cmd(`llookup:persist.wavi${ALICE}`)).to.equal("data:kept");
    expect(await lastCommit(again)).to.equal(before);
    expect(await again.cmd(`update:next.wavi${ALICE} x`)).to.equal(`data:${Number(before) + 1}`);
  });

  it("a root port another program took since is replaced by a free one (and stored)", async function () {
    const root = dev?.info.root ?? "";
    await dev?.stop();
    const [host, port] = splitAddress(root);
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(port, host, resolve));
    try {
      dev = await startDevServer({ dataDir: dir.path });
      expect(dev.info.root).to.not.equal(root);
      expect(JSON.parse(readFileSync(join(dir.path, "root.json"), "utf8"))).to.deep.equal({ port: Number(dev.info.root.split(":")[1]) });
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it("one dev-server per data dir: a second one and an offline reset are refused while it runs", async function () {
    let err: unknown;
    await startDevServer({ dataDir: dir.path }).then(
      (s) => s.stop(),
      (e: unknown) => (err = e),
    );
    expect(err).to.be.instanceOf(DataDirInUseError);
    expect(() => resetAtSignStore(dir.path, ALICE)).to.throw(DataDirInUseError, `(pid ${process.pid})`);
    // A dev-server started on the same dir after a stop, or over a stale lock file, is fine.
    const other = tempDir("lock");
    try {
      writeFileSync(join(other.path, "dev-server.pid"), `${process.pid}\n`);
      const s = await startDevServer({ dataDir: other.path, importAtKeys: [demoAtKeysPath("bob")] });
      await s.stop();
      const again = await startDevServer({ dataDir: other.path });
      await again.stop();
    } finally {
      other.remove();
    }
  });

  it("reset wipes one atSign's keys and commit log, keeping its identity; resetAtSignStore does it offline", async function () {
    const alice = await login(ALICE, demoKeys("alice").pkamPrivateKey ?? "");
    await dev?.reset(ALICE);
    expect(await alice.cmd(`llookup:persist.wavi${ALICE}`)).to.match(/^error:AT0015-/u);
    expect(await lastCommit(alice)).to.equal("0");
    expect(await alice.cmd(`update:after.wavi${ALICE} x`)).to.equal("data:1");
    await dev?.stop();
    resetAtSignStore(dir.path, ALICE);
    dev = await startDevServer({ dataDir: dir.path });
    const again = await login(ALICE, demoKeys("alice").pkamPrivateKey ?? "");
    expect(await again.cmd(`llookup:after.wavi${ALICE}`)).to.match(/^error:AT0015-/u);
    expect(await again.cmd("sync:from:-1:limit:25")).to.equal(
      `data:[{"atKey":"public:publickey${ALICE}","value":${JSON.stringify(demoKeys("alice").encryptionPublicKey)},"metadata":${JSON.stringify(
        JSON.parse((await again.cmd(`sync:from:-1:limit:1`)).slice(5))[0].metadata,
      )},"commitId":0,"operation":"*"}]`,
    );
  });
});
