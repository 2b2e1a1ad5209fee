import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { DataDirLock, DataDirLockedError, LOCK_FILE } from "../../daemon/config/DataDirLock.js";

const holder = new URL("./fixtures/holdLock.ts", import.meta.url).pathname;

function startHolder(dir: string): { child: ChildProcess; firstLine: Promise<string> } {
  const child = spawn(process.execPath, ["--import", "tsx", holder, dir], { stdio: ["pipe", "pipe", "inherit"] });
  const firstLine = new Promise<string>((resolve, reject) => {
    let buf = "";
    child.stdout?.on("data", (d: Buffer) => {
      buf += d.toString("utf8");
      const nl = buf.indexOf("\n");
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    child.once("exit", (code) => reject(new Error(`holder exited with ${code} before saying anything`)));
  });
  return { child, firstLine };
}

async function deadPid(): Promise<number> {
  const c = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await once(c, "exit");
  return c.pid as number;
}

describe("DataDirLock", function () {
  let dir: string;
  const children: ChildProcess[] = [];

  beforeEach(function () {
    dir = join(mkdtempSync(join(tmpdir(), "atsyncd-lock-")), "data 🛠");
  });
  afterEach(async function () {
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill("SIGKILL");
        await once(c, "exit");
      }
    }
    rmSync(join(dir, ".."), { recursive: true, force: true });
  });

  it("creates the dir and a lock file holding our pid; release removes it; a second take in-process refuses", function () {
    const lock = DataDirLock.acquire(dir);
    const file = join(dir, LOCK_FILE);
    expect(readFileSync(file, "utf8").trim()).to.equal(String(process.pid));
    expect(() => DataDirLock.acquire(dir)).to.throw(DataDirLockedError, `another atsyncd (pid ${process.pid}) is using ${dir}`);
    lock.release();
    lock.release();
    expect(existsSync(file)).to.equal(false);
    DataDirLock.acquire(dir).release();
  });

  it("refuses while another process holds it, and takes over once that process has crashed", async function () {
    const h = startHolder(dir);
    children.push(h.child);
    expect(await h.firstLine).to.equal("locked");
    let refused: unknown;
    try {
      DataDirLock.acquire(dir);
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(DataDirLockedError);
    expect((refused as DataDirLockedError).pid).to.equal(h.child.pid);
    expect((refused as Error).message).to.equal(`another atsyncd (pid ${h.child.pid}) is using ${dir}`);

    h.child.kill("SIGKILL"); // a crash: no chance to release
    await once(h.child, "exit");
    expect(existsSync(join(dir, LOCK_FILE))).to.equal(true);
    const lock = DataDirLock.acquire(dir);
    expect(readFileSync(join(dir, LOCK_FILE), "utf8").trim()).to.equal(String(process.pid));
    lock.release();
  });

  it("makes a second process refuse with the holder's pid", async function () {
    const lock = DataDirLock.acquire(dir);
    const h = startHolder(dir);
    children.push(h.child);
    expect(await h.firstLine).to.equal(`refused: another atsyncd (pid ${process.pid}) is using ${dir}`);
    lock.release();
  });

  it("replaces a lock whose pid is dead or whose content is garbage", async function () {
    const file = join(dir, LOCK_FILE);
    DataDirLock.acquire(dir).release();
    writeFileSync(file, `${await deadPid()}\n`);
    const a = DataDirLock.acquire(dir);
    a.release();
    writeFileSync(file, "not a pid");
    const b = DataDirLock.acquire(dir);
    expect(readFileSync(file, "utf8").trim()).to.equal(String(process.pid));
    b.release();
  });

  it("release() leaves a lock that is no longer ours alone", function () {
    const lock = DataDirLock.acquire(dir);
    const file = join(dir, LOCK_FILE);
    writeFileSync(file, "1\n");
    lock.release();
    expect(readFileSync(file, "utf8")).to.equal("1\n");
  });
});
