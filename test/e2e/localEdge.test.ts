// The local edge against another user on the same machine (SECURITY.md): a second Unix user
// (atsyncd-other, see test/support/otherUser.ts) squats the default socket directory before the
// daemon starts, or serves a fake socket where the daemon's should be. The daemon refuses to
// start; the client and the CLI refuse before sending, and the fake receives nothing.
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AtsyncClient } from "../../client/index.js";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import { runCli } from "../cli/support/cli.js";
import { atsyncdBin, requireBuild, waitFor } from "../support/daemon.js";
import { otherUserOrSkip, runAs, spawnNodeAs, type OtherUser } from "../support/otherUser.js";

/** A socket that records what reaches it, one line a connection ("conn") and a chunk ("data N"). */
const FAKE_SOCKET = `
const net = require("net");
const server = net.createServer((s) => {
  process.stdout.write("conn\\n");
  s.on("data", (d) => process.stdout.write("data " + d.length + "\\n"));
  s.on("error", () => {});
});
server.listen(process.argv[1], () => process.stdout.write("listening\\n"));
process.on("SIGTERM", () => process.exit(0));
`;

/**
 * The fake socket in a directory of the other user's that it renames out of place and back as fast
 * as it can, so that the client's check may find nothing there and its connect find the fake;
 * until `stopFile` exists, then it leaves the directory in place and says "stopped".
 */
const FLIPPING_FAKE = `
const fs = require("fs");
const [dir, stopFile] = process.argv.slice(1);
const net = require("net");
const server = net.createServer((s) => {
  process.stdout.write("conn\\n");
  s.on("data", (d) => process.stdout.write("data " + d.length + "\\n"));
  s.on("error", () => {});
});
fs.mkdirSync(dir, { mode: 0o777 });
fs.chmodSync(dir, 0o777);
server.listen(dir + "/atsyncd.sock", () => {
  process.stdout.write("listening\\n");
  let away = false;
  const flip = () => {
    if (fs.existsSync(stopFile)) {
      if (away) fs.renameSync(dir + ".away", dir);
      process.stdout.write("stopped\\n");
      return;
    }
    for (let i = 0; i < 100; i++) {
      fs.renameSync(away ? dir + ".away" : dir, away ? dir : dir + ".away");
      away = !away;
    }
    setImmediate(flip);
  };
  flip();
});
process.on("SIGTERM", () => process.exit(0));
`;

interface Fake {
  proc: ChildProcess;
  lines: string[];
}

async function fakeSocketAs(user: OtherUser, path: string, script = FAKE_SOCKET, args: string[] = [path]): Promise<Fake> {
  const proc = spawnNodeAs(user, script, args);
  const lines: string[] = [];
  let partial = "";
  proc.stdout?.setEncoding("utf8").on("data", (d: string) => {
    const parts = (partial + d).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
  });
  await waitFor("the fake socket", () => lines.includes("listening") || proc.exitCode !== null, 10_000);
  if (!lines.includes("listening")) throw new Error(`the fake socket did not start (exit ${proc.exitCode})`);
  return { proc, lines };
}

/** Writes `text` to the socket as this (root) process: proves the fake records what reaches it. */
function probe(path: string, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ path }, () => s.end(text, () => resolve()));
    s.once("error", reject);
  });
}

function runDaemonDefaultSocket(dataDir: string): Promise<{ code: number | null; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.XDG_RUNTIME_DIR;
  delete env.ATSYNCD_SOCKET;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [atsyncdBin, "run", "--data-dir", dataDir, "--key-store", "file"], { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    p.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => p.kill("SIGKILL"), 20_000);
    p.once("error", reject);
    p.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe("e2e: another user on the same machine", function () {
  this.timeout(60_000);
  let tmp: string;
  const fakes: Fake[] = [];

  before(function () {
    requireBuild();
  });
  beforeEach(function () {
    tmp = mkdtempSync(join(tmpdir(), "atsyncd-edge-"));
  });
  afterEach(function () {
    for (const f of fakes.splice(0)) f.proc.kill("SIGKILL");
    rmSync(tmp, { recursive: true, force: true });
  });

  it("another user squats /tmp/atsyncd-<uid> (mode 0777) before the daemon starts: the daemon refuses to start, naming the directory and the fix", async function () {
    const other = otherUserOrSkip(this);
    const uid = process.getuid?.() ?? 0;
    const squatted = `/tmp/atsyncd-${uid}`;
    if (existsSync(squatted)) {
      process.stdout.write(`      (skipped: ${squatted} exists already: a daemon of this user may be using it)\n`);
      this.skip();
    }
    try {
      expect(runAs(other, "mkdir", ["-m", "0777", squatted]).status).to.equal(0);
      const dataDir = join(tmp, "data");
      const r = await runDaemonDefaultSocket(dataDir);
      expect(r.code, r.stderr).to.equal(78);
      expect(r.stderr).to.equal(`atsyncd: the socket directory ${squatted} belongs to uid ${other.uid}, not to uid ${uid}; atsyncd refuses to use it: ` +
        "another user may have made it to catch what is sent there: remove it (as root or its owner) and start atsyncd again, or pass --socket PATH in a directory of yours\n");
      // Refused before anything: no socket in the squatted directory, no lock, no store.
      expect(readdirSync(squatted)).to.deep.equal([]);
      expect(existsSync(dataDir)).to.equal(false);
    } finally {
      rmSync(squatted, { recursive: true, force: true });
    }
  });

  it("another user's fake socket where the daemon's should be: the client and `atsyncd put` refuse before sending, and the fake receives nothing", async function () {
    const other = otherUserOrSkip(this);
    // A /tmp of the test's own: sticky and open to all, as /tmp is.
    chmodSync(tmp, 0o1777);
    const dir = join(tmp, `atsyncd-${process.getuid?.() ?? 0}`);
    expect(runAs(other, "mkdir", ["-m", "0777", dir]).status).to.equal(0);
    const socket = join(dir, "atsyncd.sock");
    const fake = await fakeSocketAs(other, socket);
    fakes.push(fake);
    const refusal = `the atsyncd socket ${socket} belongs to uid ${other.uid}, not you: refusing to send`;

    const err = await AtsyncClient.connect({ socketPath: socket, signal: AbortSignal.timeout(5000) }).then(() => undefined, (e: unknown) => e);
    expect(AtsyncError.is(err, ErrorCode.SocketNotOurs), String(err)).to.equal(true);
    expect((err as Error).message).to.equal(refusal);

    const put = await runCli(["put", "@alice", "diary.x", "secret", "--socket", socket], { timeoutMs: 10_000 });
    expect(put).to.deep.include({ code: 1, stdout: "", stderr: `atsyncd put: ${refusal}\n` });

    // The fake records what reaches it: this probe, and nothing before it.
    await probe(socket, "probe\n");
    await waitFor("the probe at the fake", () => fake.lines.includes("data 6"), 10_000);
    expect(fake.lines).to.deep.equal(["listening", "conn", "data 6"]);
  });

  it("another user flips its squatted directory out of place and back while the client checks: the check fails closed, and the fake receives nothing", async function () {
    const other = otherUserOrSkip(this);
    chmodSync(tmp, 0o1777);
    const dir = join(tmp, `atsyncd-${process.getuid?.() ?? 0}`);
    const stopFile = join(tmp, "stop");
    const fake = await fakeSocketAs(other, "", FLIPPING_FAKE, [dir, stopFile]);
    fakes.push(fake);
    const socket = join(dir, "atsyncd.sock");
    // A directory missing at the check used to pass it ("the connect will say not running"),
    // and the connect, a moment later, found the fake: a few hellos in a thousand reached it.
    const codes = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const err = await AtsyncClient.connect({ socketPath: socket, signal: AbortSignal.timeout(500) }).then(() => undefined, (e: unknown) => e);
      if (AtsyncError.is(err)) codes.add(err.code);
    }
    // RequestCancelled would be a connect that reached the fake and waited for an answer to its hello.
    expect([...codes].sort(), "error codes seen").to.deep.equal([ErrorCode.DaemonNotRunning, ErrorCode.SocketNotOurs].sort());
    writeFileSync(stopFile, "");
    await waitFor("the flips to stop", () => fake.lines.includes("stopped"), 10_000);
    await probe(socket, "probe\n");
    await waitFor("the probe at the fake", () => fake.lines.includes("data 6"), 10_000);
    expect(fake.lines).to.deep.equal(["listening", "stopped", "conn", "data 6"]);
  });

  it("another user's socket in a directory of ours: the client refuses on the socket's owner alone", async function () {
    const other = otherUserOrSkip(this);
    chmodSync(tmp, 0o711);
    const dir = join(tmp, "mine");
    mkdirSync(dir);
    // Left open, another user slipped its socket in; closing the directory later does not make that socket ours.
    chmodSync(dir, 0o777);
    const socket = join(dir, "atsyncd.sock");
    const fake = await fakeSocketAs(other, socket);
    fakes.push(fake);
    chmodSync(dir, 0o700);
    const err = await AtsyncClient.connect({ socketPath: socket, signal: AbortSignal.timeout(5000) }).then(() => undefined, (e: unknown) => e);
    expect(AtsyncError.is(err, ErrorCode.SocketNotOurs), String(err)).to.equal(true);
    expect((err as Error).message).to.equal(`the atsyncd socket ${socket} belongs to uid ${other.uid}, not you: refusing to send`);
    await probe(socket, "probe\n");
    await waitFor("the probe at the fake", () => fake.lines.includes("data 6"), 10_000);
    expect(fake.lines).to.deep.equal(["listening", "conn", "data 6"]);
  });
});
