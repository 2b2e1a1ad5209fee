// The npm packages as a user gets them: `npm pack` (with its prepack build) of the daemon and
// of the client, then a global install into a temporary prefix and an app that installs only
// the client, both from the local tarballs with the dependencies from npm's cache. The
// installed `atsyncd run --dev` serves the app, run from outside the checkout.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { expect } from "chai";
import { ATSYNCD_VERSION } from "../../shared/version.js";
import { projectRoot } from "../support/fixtures.js";

/** What a nested npm may take from our environment: the headers and the cache CI points npm at (.ci/test-node). */
const KEEP = new Set(["npm_config_nodedir", "npm_config_build_from_source", "npm_config_cache"]);

/** This environment without the other npm_* variables of the `npm test` that runs us (a nested npm would take its prefix and project for its own). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if ((!/^npm_/iu.test(k) || KEEP.has(k.toLowerCase())) && k !== "ATSYNCD_SOCKET") env[k] = v;
  return { ...env, ...extra };
}

function sh(cmd: string, args: string[], cwd: string, env = cleanEnv()): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout: 10 * 60_000, maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Packs the workspace (root when undefined) into `dest`; returns the tarball's path. */
function pack(dest: string, workspace?: string): string {
  const ws = workspace === undefined ? [] : ["-w", workspace];
  const out = JSON.parse(sh("npm", ["pack", ...ws, "--json", "--pack-destination", dest], projectRoot)) as { filename: string }[];
  const name = out[0]?.filename;
  if (name === undefined) throw new Error("npm pack named no tarball");
  return join(dest, name);
}

const entries = (tarball: string): string[] => sh("tar", ["tzf", tarball], tmpdir()).trim().split("\n").sort();

// --prefer-offline: every dependency is in the cache after `npm ci`; the registry only if not.
const INSTALL = ["--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"];

describe("packaging: npm pack, a global install and an app that uses only the client", function () {
  // A global install compiles better-sqlite3 (no prebuilt binary can be fetched here): minutes on a busy machine.
  this.timeout(15 * 60_000);
  let dir: string;
  let daemonTgz: string;
  let clientTgz: string;
  let daemon: ChildProcess | undefined;
  let socket: string;

  before(function () {
    dir = mkdtempSync(join(tmpdir(), "atsyncd-pkg-"));
    daemonTgz = pack(dir);
    clientTgz = pack(dir, "@atsyncd/client");
  });

  after(async function () {
    if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
      const exited = new Promise((r) => daemon!.once("exit", r));
      daemon.kill("SIGKILL");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("the daemon's tarball holds dist/, bin/, the status page, the service files, README and LICENSE, and nothing else", function () {
    const files = entries(daemonTgz);
    const allowed = /^package\/(dist\/[\w/.-]+(?<!\.d)\.js|dist\/[\w/.-]+\.d\.ts|bin\/atsyncd|web\/[\w-]+\.(html|css|js|svg)|systemd\/[\w.-]+|launchd\/[\w.-]+\.plist|README\.md|LICENSE|package\.json)$/u;
    expect(files.filter((f) => !allowed.test(f)), "unexpected files").to.deep.equal([]);
    expect(files).to.include.members([
      "package/bin/atsyncd", "package/dist/daemon/cli/main.js", "package/dist/daemon/worker/main.js", "package/dist/client/index.js",
      "package/dist/atserver/index.js", "package/web/index.html", "package/web/app.js", "package/web/style.css", "package/systemd/atsyncd.service", "package/systemd/atsyncd-system.service",
      "package/systemd/atsyncd.sysusers.conf", "package/launchd/org.atsign.atsyncd.plist", "package/README.md", "package/LICENSE",
    ]);
  });

  it("the client's tarball holds client/ and shared/ compiled, no dependency of any kind", function () {
    const files = entries(clientTgz);
    const allowed = /^package\/(dist\/(client|shared)\/\w+(\.d)?\.js|dist\/(client|shared)\/\w+\.d\.ts|README\.md|LICENSE|package\.json)$/u;
    expect(files.filter((f) => !allowed.test(f)), "unexpected files").to.deep.equal([]);
    expect(files).to.include.members(["package/dist/client/index.js", "package/dist/shared/errors.js", "package/LICENSE"]);
    const pkg = JSON.parse(sh("tar", ["xzOf", clientTgz, "package/package.json"], dir)) as Record<string, unknown>;
    for (const field of ["dependencies", "optionalDependencies", "peerDependencies"]) expect(pkg, field).not.to.have.property(field);
    expect(pkg.version).to.equal(ATSYNCD_VERSION);
  });

  it("npm install -g puts a working atsyncd on the PATH: --version, run --dev, status", async function () {
    const prefix = join(dir, "prefix");
    // No prebuilt better-sqlite3 can be downloaded here: build it at once rather than try first.
    // --allow-scripts, as the README says: npm 12 runs a dependency's install script only when allowed.
    sh("npm", ["install", "-g", "--prefix", prefix, ...INSTALL, "--allow-scripts=better-sqlite3", daemonTgz], dir, cleanEnv({ npm_config_build_from_source: "true" }));
    const PATH = [join(prefix, "bin"), process.env.PATH ?? ""].join(delimiter);
    const env = cleanEnv({ PATH });
    const run = dir; // outside the checkout, as a user's shell would be
    expect(sh("atsyncd", ["--version", "--socket", join(dir, "none.sock")], run, env)).to.match(new RegExp(`^atsyncd ${ATSYNCD_VERSION.replaceAll(".", "\\.")} \\(this CLI\\)\n`, "u"));

    socket = join(dir, "s.sock");
    daemon = spawn("atsyncd", ["run", "--dev", "--data-dir", join(dir, "dev"), "--socket", socket], { cwd: run, env, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner from atsyncd run --dev within 120 s:\n${err}`)), 120_000);
      daemon?.stderr?.on("data", (b: Buffer) => {
        err += b.toString();
        if (err.includes("atsyncd is running with a local dev-server.") && err.includes("Stop with Ctrl-C.")) {
          clearTimeout(timer);
          resolve();
        }
      });
      daemon?.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`atsyncd run --dev exited ${code}:\n${err}`));
      });
    });
    // The banner's commands are the ones that work here: atsyncd is on the PATH.
    expect(err).to.include("\n  atsyncd status\n");
    const status = sh("atsyncd", ["status", "--socket", socket], run, env);
    expect(status).to.match(/@alice/u);
    expect(status).to.match(/@bob/u);
  });

  it("a global install whose better-sqlite3 was never built (--ignore-scripts, as npm 12 without --allow-scripts): run and dev-server say so in one sentence with the fix, exit 70", function () {
    const prefix = join(dir, "prefix-unbuilt");
    sh("npm", ["install", "-g", "--prefix", prefix, ...INSTALL, "--ignore-scripts", daemonTgz], dir);
    const env = cleanEnv({ PATH: [join(prefix, "bin"), process.env.PATH ?? ""].join(delimiter) });
    const root = join(prefix, "lib", "node_modules", "atsyncd");
    const fix = "npm skipped its install script (npm 12 does unless told `--allow-scripts=better-sqlite3`; so does --ignore-scripts): " +
      `install again with \`npm install -g --allow-scripts=better-sqlite3 atsyncd\`, or build it with \`cd ${root} && npm rebuild better-sqlite3\`\n`;
    for (const [args, label] of [
      [["run", "--dev", "--data-dir", join(dir, "unbuilt-dev"), "--socket", join(dir, "unbuilt.sock")], "atsyncd run"],
      // Without --dev the workers died at once, reported as "StoreCorrupt", and were restarted for ever.
      [["run", "--data-dir", join(dir, "unbuilt-data"), "--socket", join(dir, "unbuilt.sock")], "atsyncd run"],
      [["dev-server", "--data-dir", join(dir, "unbuilt-ds"), "--atsign", "@alice"], "atsyncd dev-server"],
    ] as const) {
      const r = spawnSync("atsyncd", args, { cwd: dir, env, encoding: "utf8", timeout: 60_000 });
      expect({ status: r.status, stderr: r.stderr }, args.join(" ")).to.deep.equal({
        status: 70,
        stderr: `${label}: the native module of better-sqlite3 (its SQLite) was never built, because ${fix}`,
      });
    }
  });

  it("an app installs the client alone (one package, no native code) and talks to the installed daemon", function () {
    if (daemon === undefined) this.skip(); // the test before failed and said why
    const app = join(dir, "app");
    sh("mkdir", ["-p", app], dir);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true, type: "module" }));
    sh("npm", ["install", ...INSTALL, clientTgz], app);
    expect(readdirSync(join(app, "node_modules")).filter((n) => !n.startsWith("."))).to.deep.equal(["@atsyncd"]);
    expect(readdirSync(join(app, "node_modules", "@atsyncd"))).to.deep.equal(["client"]);
    const lock = JSON.parse(readFileSync(join(app, "package-lock.json"), "utf8")) as { packages: Record<string, { hasInstallScript?: boolean }> };
    expect(Object.keys(lock.packages).filter((k) => k !== "")).to.deep.equal(["node_modules/@atsyncd/client"]);
    writeFileSync(join(app, "app.js"), [
      'import { AtsyncClient, ErrorCode } from "@atsyncd/client";',
      "const c = await AtsyncClient.connect();",
      'await c.put("@alice", "phone.wavi@alice", "+1 555 0100");',
      'const { value } = await c.get("@alice", "phone.wavi@alice");',
      "console.log(value, typeof ErrorCode.NotOnboarded);",
      "await c.close();",
    ].join("\n"));
    expect(sh(process.execPath, ["app.js"], app, cleanEnv({ ATSYNCD_SOCKET: socket }))).to.equal("+1 555 0100 number\n");
  });
});
