import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fixturesOrSkip, projectRoot } from "../support/fixtures.js";
import { ALICE, demoAtKeysPath, demoKeys, tempDir } from "./support/demo.js";
import { RawClient } from "./support/RawClient.js";

interface Run {
  child: ChildProcess;
  line: Promise<string>;
  exit: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
}

function run(argv: string[]): Run {
  const child = spawn(process.execPath, argv, { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (d: string) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const line = new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (d: string) => {
      out += d;
      const i = out.indexOf("\n");
      if (i !== -1) resolve(out.slice(0, i));
    });
    void exit.then((code) => reject(new Error(`exited (${code}) before the ready line: ${err}`)));
  });
  return { child, line, exit, stdout: () => out, stderr: () => err };
}

const cliFromSource = ["--import", "tsx", join("test", "atserver", "support", "cliMain.ts")];

describe("atsyncd dev-server as a process", function () {
  let dir: ReturnType<typeof tempDir>;
  const children: ChildProcess[] = [];
  before(function () {
    fixturesOrSkip(this);
    dir = tempDir("cli");
  });
  after(function () {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    dir?.remove();
  });

  it("prints exactly one JSON line when ready, serves the imported demo atSign, and exits 0 on SIGTERM", async function () {
    const r = run([...cliFromSource, "--data-dir", dir.path, "--import-atkeys", demoAtKeysPath("alice"), "--stats-interval-ms", "60000"]);
    children.push(r.child);
    const info = JSON.parse(await r.line) as { root: string; ca: string; atSigns: Record<string, { secondary: string; atKeys: string }> };
    expect(Object.keys(info)).to.deep.equal(["root", "ca", "atSigns"]);
    expect(info.ca).to.equal(join(dir.path, "ca.pem"));
    expect(info.atSigns[ALICE]?.atKeys).to.equal(demoAtKeysPath("alice"));
    const c = await RawClient.connect(info.atSigns[ALICE]?.secondary ?? "", readFileSync(info.ca, "utf8"));
    expect(await c.pkamLogin(ALICE, demoKeys("alice").pkamPrivateKey ?? "")).to.equal("data:success");
    r.child.kill("SIGTERM");
    expect(await r.exit).to.equal(0);
    await c.waitClosed();
    expect(r.stdout().split("\n").filter((l) => l !== "")).to.have.length(1);
  });

  it("reset @atSign --data-dir wipes a stopped atSign's store, and SIGINT also stops cleanly", async function () {
    const reset = run([...cliFromSource, "reset", ALICE, "--data-dir", dir.path]);
    children.push(reset.child);
    expect(await reset.exit).to.equal(0);
    const r = run([...cliFromSource, "--data-dir", dir.path]);
    children.push(r.child);
    const info = JSON.parse(await r.line) as { atSigns: Record<string, { secondary: string }>; ca: string };
    const c = await RawClient.connect(info.atSigns[ALICE]?.secondary ?? "", readFileSync(info.ca, "utf8"));
    await c.pkamLogin(ALICE, demoKeys("alice").pkamPrivateKey ?? "");
    expect(await c.cmd("stats:3")).to.equal('data: [{"id":"3","name":"lastCommitID","value":"0"}]');
    c.close();
    r.child.kill("SIGINT");
    expect(await r.exit).to.equal(0);
  });

  it("--help prints the usage on stdout and exits 0; bad option values exit 2 with nothing on stdout", async function () {
    const help = run([...cliFromSource, "--help"]);
    children.push(help.child);
    help.line.catch(() => undefined);
    expect(await help.exit).to.equal(0);
    expect(help.stdout()).to.match(/^Usage:\n {2}atsyncd dev-server /u);
    for (const argv of [["--root-port", "x"], ["--data-dir"], ["reset"], ["--atsign"]]) {
      const bad = run([...cliFromSource, ...argv]);
      children.push(bad.child);
      bad.line.catch(() => undefined);
      expect(await bad.exit, argv.join(" ")).to.equal(2);
      expect(bad.stdout(), argv.join(" ")).to.equal("");
      expect(bad.stderr(), argv.join(" ")).to.match(/^dev-server: /u);
    }
  });

  it("refuses a second server and `reset` on a data dir in use; after kill -9 every acknowledged commit survives", async function () {
    const d = tempDir("kill9");
    try {
      const args = [...cliFromSource, "--data-dir", d.path, "--import-atkeys", demoAtKeysPath("alice"), "--stats-interval-ms", "60000"];
      const first = run(args);
      children.push(first.child);
      const info = JSON.parse(await first.line) as { atSigns: Record<string, { secondary: string }>; ca: string };
      const ca = readFileSync(info.ca, "utf8");

      const second = run([...cliFromSource, "--data-dir", d.path]);
      children.push(second.child);
      second.line.catch(() => undefined);
      expect(await second.exit).to.equal(1);
      expect(second.stderr()).to.include(`is in use by a running dev-server (pid ${first.child.pid ?? ""})`);
      const reset = run([...cliFromSource, "reset", ALICE, "--data-dir", d.path]);
      children.push(reset.child);
      expect(await reset.exit).to.equal(1);
      expect(reset.stderr()).to.include("stop it first");

      const c = await RawClient.connect(info.atSigns[ALICE]?.secondary ?? "", ca);
      await c.pkamLogin(ALICE, demoKeys("alice").pkamPrivateKey ?? "");
      const acked = new Map<string, number>();
      for (let i = 0; i < 200; i++) {
        const key = `k${i}.wavi${ALICE}`;
        acked.set(key, Number((await c.cmd(`update:${key} v${i}`)).slice("data:".length)));
      }
      // One more write in flight, then the process dies without any chance to clean up.
      c.write(`update:inflight.wavi${ALICE} x\n`);
      first.child.kill("SIGKILL");
      await first.exit;
      c.close();

      const again = run(args);
      children.push(again.child);
      const info2 = JSON.parse(await again.line) as { atSigns: Record<string, { secondary: string }> };
      const c2 = await RawClient.connect(info2.atSigns[ALICE]?.secondary ?? "", ca);
      await c2.pkamLogin(ALICE, demoKeys("alice").pkamPrivateKey ?? "");
      const log = JSON.parse(
        (JSON.parse((await c2.cmd("stats:15")).slice("data: ".length)) as Array<{ value: string }>)[0]?.value ?? "{}",
      ) as Record<string, [number, string]>;
      for (const [key, id] of acked) expect(log[key], key).to.deep.equal([id, "*"]);
      expect(await c2.cmd(`llookup:k199.wavi${ALICE}`)).to.equal("data:v199");
      const highest = Math.max(...Object.values(log).map(([id]) => id));
      expect(highest).to.be.at.least(Math.max(...acked.values()));
      expect(await c2.cmd(`update:after.wavi${ALICE} y`)).to.equal(`data:${highest + 1}`);
      c2.close();
      again.child.kill("SIGTERM");
      expect(await again.exit).to.equal(0);
    } finally {
      d.remove();
    }
  });

  it("rejects an unknown option with the usage exit code", async function () {
    const r = run([...cliFromSource, "--bogus"]);
    children.push(r.child);
    r.line.catch(() => undefined);
    expect(await r.exit).to.equal(2);
  });

  it("runs as `bin/atsyncd dev-server` from a build", async function () {
    if (!existsSync(join(projectRoot, "dist", "daemon", "cli", "commands", "dev-server.js"))) {
      process.stdout.write("      (skipped: run `npm run build` first)\n");
      this.skip();
    }
    const r = run([join("bin", "atsyncd"), "dev-server", "--data-dir", dir.path]);
    children.push(r.child);
    const info = JSON.parse(await r.line) as { atSigns: Record<string, unknown> };
    expect(Object.keys(info.atSigns)).to.deep.equal([ALICE]);
    r.child.kill("SIGTERM");
    expect(await r.exit).to.equal(0);
    const bad = run([join("bin", "atsyncd"), "dev-server", "--root-port", "x"]);
    children.push(bad.child);
    bad.line.catch(() => undefined);
    expect(await bad.exit).to.equal(2);
  });
});
