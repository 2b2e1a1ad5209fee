// The client looks at the socket before it connects (client/checkSocketOwner.ts, the rules of
// shared/pathTrust.ts): real directories and sockets of this user's in temp dirs here; another
// user's are in test/e2e/localEdge.test.ts.
import { expect } from "chai";
import { chmodSync, mkdirSync, symlinkSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { checkSocketOwner } from "../../client/checkSocketOwner.js";
import { NOT_RUNNING_MESSAGE } from "../../client/connectError.js";
import { AtsyncClient } from "../../client/index.js";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import { dirsLeadingTo, socketTrustProblem, type DirAbove, type PathStat, type SocketFacts } from "../../shared/pathTrust.js";
import { SYSTEM_SOCKET_PATH } from "../../shared/paths.js";
import { tempDir } from "../rpc/helpers.js";

/** A listener that counts who connects: none may, when the client refuses. */
async function countingSocket(path: string): Promise<{ server: Server; connections: () => number }> {
  let n = 0;
  const server = createServer((s) => {
    n++;
    s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { server, connections: () => n };
}

async function refusal(socketPath: string): Promise<AtsyncError> {
  const err = await AtsyncClient.connect({ socketPath, signal: AbortSignal.timeout(5000) }).then(() => undefined, (e: unknown) => e);
  expect(AtsyncError.is(err, ErrorCode.SocketNotOurs), String(err)).to.equal(true);
  return err as AtsyncError;
}

describe("the client checks the socket's owner before it sends", function () {
  let tmp: ReturnType<typeof tempDir>;
  const servers: Server[] = [];
  beforeEach(() => (tmp = tempDir("atsyncd-owner-")));
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
    tmp.remove();
  });

  it("refuses a socket in a directory of the user's that others may write to (0777), and never connects", async function () {
    const dir = join(tmp.dir, "open");
    mkdirSync(dir);
    const socket = join(dir, "atsyncd.sock");
    const l = await countingSocket(socket);
    servers.push(l.server);
    chmodSync(dir, 0o777);
    const err = await refusal(socket);
    expect(err.message).to.equal(`the atsyncd socket ${socket} is in ${dir}, which other users may write to (mode 0777): refusing to send; ` +
      `stop atsyncd, run \`chmod 700 ${dir}\` and start it again`);
    expect(err.data).to.deep.equal({ socketPath: socket });
    expect(l.connections()).to.equal(0);
    // The same socket once the directory is closed again: the client connects (and this listener hangs up).
    chmodSync(dir, 0o700);
    const after = await AtsyncClient.connect({ socketPath: socket }).then(() => undefined, (e: unknown) => e);
    expect(AtsyncError.is(after, ErrorCode.ConnectionClosed), String(after)).to.equal(true);
    expect(l.connections()).to.equal(1);
  });

  it("refuses a socket reached through a symlinked directory, or that is itself a symlink", async function () {
    const dir = join(tmp.dir, "real");
    mkdirSync(dir, { mode: 0o700 });
    const socket = join(dir, "atsyncd.sock");
    const l = await countingSocket(socket);
    servers.push(l.server);
    const linkedDir = join(tmp.dir, "linked");
    symlinkSync(dir, linkedDir);
    expect((await refusal(join(linkedDir, "atsyncd.sock"))).message).to.equal(
      `the atsyncd socket ${join(linkedDir, "atsyncd.sock")} is in ${linkedDir}, which is a symlink: refusing to send`);
    const linkedSocket = join(dir, "link.sock");
    symlinkSync(socket, linkedSocket);
    expect((await refusal(linkedSocket)).message).to.equal(`the atsyncd socket ${linkedSocket} is a symlink: refusing to send`);
    expect(l.connections()).to.equal(0);
  });

  it("checks where the connect really goes: a `..` after a symlinked directory is the link's target's parent, not the lexical one", async function () {
    // The listener sits in a directory others may write; the path as written names a private one.
    const open = join(tmp.dir, "open");
    mkdirSync(join(open, "sub"), { recursive: true });
    chmodSync(open, 0o777);
    const l = await countingSocket(join(open, "atsyncd.sock"));
    servers.push(l.server);
    const mine = join(tmp.dir, "mine");
    mkdirSync(mine, { mode: 0o700 });
    symlinkSync(join(open, "sub"), join(mine, "l"));
    const err = await refusal(`${mine}/l/../atsyncd.sock`);
    expect(err.message).to.match(/which other users may write to \(mode 0777\)/u);
    expect(l.connections()).to.equal(0);
  });

  it("refuses a socket below a directory that lets others rename what is in it, however far up", async function () {
    const open = join(tmp.dir, "open");
    const dir = join(open, "mine", "atsyncd");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(open, 0o777);
    const socket = join(dir, "atsyncd.sock");
    const l = await countingSocket(socket);
    servers.push(l.server);
    expect((await refusal(socket)).message).to.equal(`the atsyncd socket ${socket} is in ${dir}, whose ancestor directory ${open} ` +
      "lets other users rename what is in it (mode 0777, writable by others without the sticky bit): refusing to send");
    expect(l.connections()).to.equal(0);
  });

  it("a missing socket or directory is not a refusal: the daemon is not running", async function () {
    for (const path of [join(tmp.dir, "none.sock"), join(tmp.dir, "no", "dir", "atsyncd.sock")]) {
      const err = await AtsyncClient.connect({ socketPath: path }).then(() => undefined, (e: unknown) => e);
      expect(AtsyncError.is(err, ErrorCode.DaemonNotRunning), String(err)).to.equal(true);
      // Said by the check itself, before any connect: what is missing then may be there a moment later.
      expect(() => checkSocketOwner(path)).to.throw(AtsyncError, NOT_RUNNING_MESSAGE);
    }
  });
});

describe("socketTrustProblem (shared/pathTrust.ts)", function () {
  const me = 1000;
  const dir = (uid: number, mode: number): PathStat => ({ kind: "directory", uid, mode: 0o40000 | mode });
  const parent = (stat: PathStat): DirAbove[] => [{ dir: "/tmp", stat }, { dir: "/", stat: dir(0, 0o755) }];
  const sock = (uid: number): PathStat => ({ kind: "socket", uid, mode: 0o140600 });
  const facts = (over: Partial<SocketFacts>): SocketFacts => ({
    socketPath: "/tmp/atsyncd-1000/atsyncd.sock", dir: "/tmp/atsyncd-1000",
    dirStat: dir(me, 0o700), above: [{ dir: "/tmp", stat: dir(0, 0o1777) }, { dir: "/", stat: dir(0, 0o755) }], socketStat: sock(me), ...over,
  });
  const system = (over: Partial<SocketFacts>): SocketFacts =>
    facts({ socketPath: SYSTEM_SOCKET_PATH, dir: "/run/atsyncd", dirStat: dir(998, 0o750), above: [{ dir: "/run", stat: dir(0, 0o755) }], socketStat: sock(998), ...over });

  it("trusts the user's own socket in the user's own closed directory, in a sticky /tmp or a private parent", function () {
    expect(socketTrustProblem(facts({}), me)).to.equal(undefined);
    expect(socketTrustProblem(facts({ dirStat: dir(me, 0o755), above: parent(dir(me, 0o700)) }), me)).to.equal(undefined);
    expect(socketTrustProblem(facts({ socketStat: undefined }), me)).to.equal(undefined);
  });

  it("refuses another uid's socket or directory, a directory others may write, and a parent that lets others replace it", function () {
    expect(socketTrustProblem(facts({ socketStat: sock(4242) }), me)).to.equal("the atsyncd socket /tmp/atsyncd-1000/atsyncd.sock belongs to uid 4242, not you: refusing to send");
    expect(socketTrustProblem(facts({ socketStat: sock(0) }), me)).to.match(/belongs to uid 0, not you/u);
    expect(socketTrustProblem(facts({ dirStat: dir(4242, 0o777), socketStat: undefined }), me)).to.equal(
      "the atsyncd socket /tmp/atsyncd-1000/atsyncd.sock is in /tmp/atsyncd-1000, which belongs to uid 4242, not you: refusing to send");
    expect(socketTrustProblem(facts({ dirStat: dir(me, 0o720) }), me)).to.match(/which other users may write to \(mode 0720\)/u);
    expect(socketTrustProblem(facts({ above: parent(dir(0, 0o777)) }), me)).to.equal("the atsyncd socket /tmp/atsyncd-1000/atsyncd.sock is in /tmp/atsyncd-1000, " +
      "whose parent directory lets other users rename what is in it (mode 0777, writable by others without the sticky bit): refusing to send");
    expect(socketTrustProblem(facts({ above: parent(dir(4242, 0o755)) }), me)).to.match(/whose parent directory belongs to uid 4242, neither to uid 1000 nor to root/u);
  });

  it("root with a socket straight in /tmp (`ATSYNCD_SOCKET=/tmp/nowhere.sock atsyncd status`): refused, and told to use a directory of its own, never to `chmod 700 /tmp`", function () {
    const inTmp = { socketPath: "/tmp/nowhere.sock", dir: "/tmp", dirStat: dir(0, 0o1777), above: [{ dir: "/", stat: dir(0, 0o755) }], socketStat: undefined };
    expect(socketTrustProblem(inTmp, 0)).to.equal("the atsyncd socket /tmp/nowhere.sock is in /tmp, which other users may write to (mode 1777): refusing to send; " +
      "/tmp is shared by every user (sticky, as /tmp is): give atsyncd and its clients a socket in a directory of yours (`atsyncd run --socket PATH`, $ATSYNCD_SOCKET)");
    // Another user meets /tmp as root's: refused for that, as before.
    expect(socketTrustProblem(inTmp, me)).to.equal("the atsyncd socket /tmp/nowhere.sock is in /tmp, which belongs to uid 0, not you: refusing to send");
  });

  it("judges every directory leading to the socket, as written and where its links lead, naming the one above the parent", function () {
    expect(dirsLeadingTo("/home/ann/l/atsyncd", "/srv/x/atsyncd")).to.deep.equal(["/home/ann/l", "/home/ann", "/home", "/", "/srv/x", "/srv"]);
    expect(dirsLeadingTo("/tmp/atsyncd-1000/", "/tmp/atsyncd-1000")).to.deep.equal(["/tmp", "/"]);
    expect(dirsLeadingTo("/", "/")).to.deep.equal([]);
    expect(socketTrustProblem(facts({ above: [{ dir: "/home/ann", stat: dir(me, 0o700) }, { dir: "/home", stat: dir(4242, 0o755) }] }), me)).to.equal(
      "the atsyncd socket /tmp/atsyncd-1000/atsyncd.sock is in /tmp/atsyncd-1000, whose ancestor directory /home belongs to uid 4242, neither to uid 1000 nor to root: refusing to send");
    // A link on the way in /tmp: its owner may point it anywhere, sticky bit or not; the user's or root's is fine.
    const link = (uid: number): PathStat => ({ kind: "symlink", uid, mode: 0o120777 });
    expect(socketTrustProblem(facts({ above: [{ dir: "/tmp/l", stat: link(4242) }, { dir: "/tmp", stat: dir(0, 0o1777) }] }), me)).to.equal(
      "the atsyncd socket /tmp/atsyncd-1000/atsyncd.sock is in /tmp/atsyncd-1000, whose parent directory is a symlink of uid 4242, who may point it elsewhere: refusing to send");
    expect(socketTrustProblem(facts({ above: [{ dir: "/tmp/l", stat: link(me) }, { dir: "/tmp", stat: dir(0, 0o1777) }] }), me)).to.equal(undefined);
  });

  it("trusts the system daemon's socket at /run/atsyncd, and there only, when /run is root's alone", function () {
    expect(socketTrustProblem(system({}), me)).to.equal(undefined);
    expect(socketTrustProblem(system({ socketStat: sock(0), dirStat: dir(0, 0o755) }), me)).to.equal(undefined);
    expect(socketTrustProblem(system({ socketStat: sock(4242) }), me)).to.match(/belongs to uid 4242, not you/u);
    expect(socketTrustProblem(system({ dirStat: dir(998, 0o770) }), me)).to.match(/which other users may write to/u);
    // /run writable by others: whoever owns /run/atsyncd may not be who root gave it to.
    expect(socketTrustProblem(system({ above: parent(dir(0, 0o1777)) }), me)).to.match(/belongs to uid 998, not you/u);
    // The same owners anywhere else are not trusted.
    expect(socketTrustProblem(system({ socketPath: "/run/other/atsyncd.sock", dir: "/run/other" }), me)).to.match(/belongs to uid 998, not you/u);
  });
});
