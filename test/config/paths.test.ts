import { expect } from "chai";
import { chmodSync, lchownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../daemon/config/ConfigError.js";
import { DATA_DIR, ensurePrivateDir, SOCKET_DIR } from "../../daemon/config/ensurePrivateDir.js";
import { maxSocketPathBytes, resolvePaths, type PathEnv } from "../../daemon/config/paths.js";

const linux = (env: Record<string, string>): PathEnv => ({ platform: "linux", env, home: "/home/ann", uid: 1000 });
const mac = (home: string, env: Record<string, string> = {}): PathEnv => ({ platform: "darwin", env, home, uid: 501 });

describe("resolvePaths", function () {
  it("uses the XDG directories on Linux", function () {
    const p = resolvePaths(linux({ XDG_CONFIG_HOME: "/cfg", XDG_DATA_HOME: "/data", XDG_RUNTIME_DIR: "/run/user/1000" }));
    expect(p).to.deep.equal({
      configFile: "/cfg/atsyncd/config.json",
      dataDir: "/data/atsyncd",
      socketPath: "/run/user/1000/atsyncd/atsyncd.sock",
      socketDir: "/run/user/1000/atsyncd",
    });
  });

  it("falls back to ~/.config, ~/.local/share and /tmp/atsyncd-<uid> without XDG (relative values ignored)", function () {
    const envs: Array<Record<string, string>> = [{}, { XDG_CONFIG_HOME: "rel", XDG_DATA_HOME: "", XDG_RUNTIME_DIR: "run" }];
    for (const env of envs) {
      const p = resolvePaths(linux(env));
      expect(p.configFile).to.equal("/home/ann/.config/atsyncd/config.json");
      expect(p.dataDir).to.equal("/home/ann/.local/share/atsyncd");
      expect(p.socketPath).to.equal("/tmp/atsyncd-1000/atsyncd.sock");
    }
  });

  it("counts socket path length in bytes, not characters, and refuses a default that does not fit", function () {
    // 🛠 is 2 UTF-16 units but 4 bytes: this path fits by .length and not by bytes.
    const runtime = "/run/" + "🛠".repeat(24);
    const candidate = `${runtime}/atsyncd/atsyncd.sock`;
    expect(candidate.length).to.be.at.most(maxSocketPathBytes("linux"));
    expect(Buffer.byteLength(candidate)).to.be.greaterThan(maxSocketPathBytes("linux"));
    expect(() => resolvePaths(linux({ XDG_RUNTIME_DIR: runtime }))).to.throw(ConfigError, /ATSYNCD_SOCKET/).with.property("code", "SOCKET_PATH_TOO_LONG");
    const short = "/run/" + "🛠".repeat(5);
    expect(resolvePaths(linux({ XDG_RUNTIME_DIR: short })).socketPath).to.equal(`${short}/atsyncd/atsyncd.sock`);
  });

  it("agrees with the client on the socket: $ATSYNCD_SOCKET wins over the XDG default", function () {
    expect(resolvePaths(linux({ XDG_RUNTIME_DIR: "/run/user/1000", ATSYNCD_SOCKET: "/srv/a.sock" })).socketPath).to.equal("/srv/a.sock");
  });

  it("uses ~/Library/Application Support on macOS, moving the socket to $TMPDIR when too long", function () {
    const p = resolvePaths(mac("/Users/ann"));
    expect(p.configFile).to.equal("/Users/ann/Library/Application Support/atsyncd/config.json");
    expect(p.dataDir).to.equal("/Users/ann/Library/Application Support/atsyncd");
    expect(p.socketPath).to.equal("/Users/ann/Library/Application Support/atsyncd/atsyncd.sock");
    const longHome = "/Users/" + "a".repeat(70);
    const tmp = "/var/folders/zz/zyxvpxvq6csfxvn_n0000000000000/T/";
    expect(resolvePaths(mac(longHome, { TMPDIR: tmp })).socketPath).to.equal("/var/folders/zz/zyxvpxvq6csfxvn_n0000000000000/T/atsyncd-501/atsyncd.sock");
    expect(resolvePaths(mac(longHome)).socketPath).to.equal("/tmp/atsyncd-501/atsyncd.sock");
  });

  it("lets --data-dir, --socket and --config override everything", function () {
    const env = linux({ XDG_CONFIG_HOME: "/cfg", XDG_RUNTIME_DIR: "/run/user/1000" });
    const p = resolvePaths(env, { dataDir: "/srv/atsyncd", socket: "/srv/s.sock" });
    expect(p).to.deep.equal({ configFile: "/srv/atsyncd/config.json", dataDir: "/srv/atsyncd", socketPath: "/srv/s.sock", socketDir: "/srv" });
    expect(resolvePaths(env, { dataDir: "/srv/atsyncd", configFile: "/etc/atsyncd.json" }).configFile).to.equal("/etc/atsyncd.json");
    const m = resolvePaths(mac("/Users/ann"), { dataDir: "/d", socket: "/s/x.sock" });
    expect([m.dataDir, m.socketPath, m.configFile]).to.deep.equal(["/d", "/s/x.sock", "/d/config.json"]);
  });

  it("refuses a --socket longer than sun_path allows, naming the limit", function () {
    const long = "/tmp/" + "s".repeat(110) + ".sock";
    expect(() => resolvePaths(linux({}), { socket: long })).to.throw(ConfigError, /more than the 107 a Unix socket allows/)
      .with.property("code", "SOCKET_PATH_TOO_LONG");
  });
});

describe("ensurePrivateDir", function () {
  let root: string;
  const uid = process.getuid?.() ?? 0;
  beforeEach(function () {
    root = mkdtempSync(join(tmpdir(), "atsyncd-dir-"));
  });
  afterEach(function () {
    rmSync(root, { recursive: true, force: true });
  });

  it("creates the directory 0700; the data dir's read bits are dropped, the socket dir's kept (the system unit's is 0750)", function () {
    const d = join(root, "a", "atsyncd");
    ensurePrivateDir(d, uid, DATA_DIR);
    expect(statSync(d).mode & 0o777).to.equal(0o700);
    chmodSync(d, 0o755);
    ensurePrivateDir(d, uid, DATA_DIR);
    expect(statSync(d).mode & 0o777).to.equal(0o700);
    chmodSync(d, 0o750);
    ensurePrivateDir(d, uid, SOCKET_DIR);
    expect(statSync(d).mode & 0o777).to.equal(0o750);
  });

  it("refuses a directory owned by someone else, and a symlink in the way, naming it and the fix", function () {
    const d = join(root, "theirs");
    mkdirSync(d, { mode: 0o700 });
    expect(() => ensurePrivateDir(d, uid + 1, SOCKET_DIR)).to.throw(ConfigError,
      `the socket directory ${d} belongs to uid ${uid}, not to uid ${uid + 1}; atsyncd refuses to use it: another user may have made it to catch what is sent there: remove it (as root or its owner) and start atsyncd again, or pass --socket PATH in a directory of yours`)
      .with.property("code", "RUNTIME_DIR_NOT_OURS");
    const link = join(root, "link");
    symlinkSync(d, link);
    expect(() => ensurePrivateDir(link, uid, DATA_DIR)).to.throw(ConfigError, `the data directory ${link} is a symlink, not a directory`)
      .with.property("code", "DATA_DIR_NOT_OURS");
  });

  it("root's socket or data directory straight in a sticky shared one (`atsyncd run --socket /tmp/x.sock` as root): refused, and told to use a directory of its own, never to `chmod 700` it", function () {
    const d = join(root, "shared-tmp");
    mkdirSync(d);
    chmodSync(d, 0o1777);
    expect(() => ensurePrivateDir(d, uid, SOCKET_DIR)).to.throw(ConfigError,
      `the socket directory ${d} is writable by other users (mode 1777); atsyncd refuses to use it: it is shared by every user (sticky, as /tmp is): use a directory of yours in it, or pass --socket PATH in a directory of yours`);
    expect(statSync(d).mode & 0o7777).to.equal(0o1777);
  });

  it("refuses, and leaves as it is, a directory of ours that others may write to", function () {
    const d = join(root, "open");
    mkdirSync(d);
    chmodSync(d, 0o777);
    expect(() => ensurePrivateDir(d, uid, SOCKET_DIR)).to.throw(ConfigError,
      `the socket directory ${d} is writable by other users (mode 0777); atsyncd refuses to use it: check that nothing in it is another user's, run \`chmod 700 ${d}\` and start atsyncd again`);
    expect(statSync(d).mode & 0o777).to.equal(0o777);
    chmodSync(d, 0o770);
    expect(() => ensurePrivateDir(d, uid, DATA_DIR)).to.throw(ConfigError, /is writable by other users \(mode 0770\)/u);
  });

  it("refuses a directory whose parent lets others replace it, but not one in a sticky /tmp-like parent", function () {
    const parent = join(root, "p");
    mkdirSync(parent);
    chmodSync(parent, 0o777);
    const d = join(parent, "atsyncd");
    expect(() => ensurePrivateDir(d, uid, SOCKET_DIR)).to.throw(ConfigError,
      `the directory ${parent}, which holds the socket directory ${d}, lets other users rename what is in it (mode 0777, writable by others without the sticky bit)`);
    chmodSync(parent, 0o1777);
    ensurePrivateDir(d, uid, SOCKET_DIR);
    expect(statSync(d).mode & 0o777).to.equal(0o700);
  });

  it("refuses a directory with a directory further up, as written or where its links lead, that lets others replace it", function () {
    const open = join(root, "open");
    const d = join(open, "mine", "atsyncd");
    expect(() => ensurePrivateDir(d, uid, DATA_DIR)).to.not.throw();
    chmodSync(open, 0o777);
    expect(() => ensurePrivateDir(d, uid, DATA_DIR)).to.throw(ConfigError,
      `the directory ${open}, which leads to the data directory ${d}, lets other users rename what is in it (mode 0777, writable by others without the sticky bit)`);
    const link = join(root, "link");
    symlinkSync(join(open, "mine"), link);
    expect(() => ensurePrivateDir(join(link, "atsyncd"), uid, SOCKET_DIR)).to.throw(ConfigError, `the directory ${open}, which leads to the socket directory`);
  });

  it("refuses a directory reached through another user's symlink, even one in a sticky /tmp-like directory", function () {
    // lchown to another uid needs root.
    if (uid !== 0) this.skip();
    const sticky = join(root, "t");
    mkdirSync(join(root, "mine"), { mode: 0o700 });
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    const link = join(sticky, "l");
    symlinkSync(join(root, "mine"), link);
    ensurePrivateDir(join(link, "atsyncd"), uid, SOCKET_DIR);
    lchownSync(link, 4242, 4242);
    expect(() => ensurePrivateDir(join(link, "atsyncd"), uid, SOCKET_DIR)).to.throw(ConfigError,
      `the directory ${link}, which holds the socket directory ${join(link, "atsyncd")}, is a symlink of uid 4242, who may point it elsewhere`);
  });
});
