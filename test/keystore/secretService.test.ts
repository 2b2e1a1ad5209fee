// The keychain backend on Linux is the Secret Service and nothing else: never the kernel keyring
// (keyutils), which forgets everything at logout. Checked in the code, by an independent Secret
// Service client (secret-tool), and by a process with no D-Bus session, which must be refused
// rather than fall back.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { KEYRING_ENTRY_OPTIONS, KeyringKeyStore } from "../../daemon/keystore/KeyringKeyStore.js";
import { probeKeychain } from "../../daemon/keystore/openKeyStore.js";
import { projectRoot } from "../support/fixtures.js";
import { fakeAtKeys } from "./contract.js";

const run = promisify(execFile);

describe("keystore pinned to the Secret Service", function () {
  it("pins every keyring entry the code creates to secret-service, immutably", function () {
    expect(KEYRING_ENTRY_OPTIONS).to.deep.equal({ linux: { store: "secret-service" } });
    expect(Object.isFrozen(KEYRING_ENTRY_OPTIONS)).to.equal(true);
    expect(Object.isFrozen(KEYRING_ENTRY_OPTIONS.linux)).to.equal(true);
    const dir = join(projectRoot, "daemon", "keystore");
    let constructions = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
      const text = readFileSync(join(dir, file), "utf8");
      for (const m of text.matchAll(/new AsyncEntry\(([^)]*)\)/gu)) {
        constructions++;
        expect(m[1], `${file}: ${m[0]}`).to.match(/KEYRING_ENTRY_OPTIONS/u);
      }
      expect(text, file).not.to.match(/new Entry\(|findCredentials|withTarget/u);
    }
    expect(constructions).to.be.at.least(2);
  });

  it("is refused, not stored elsewhere, in a process without a D-Bus session", async function () {
    if (process.platform !== "linux") this.skip();
    const env = { ...process.env };
    delete env.DBUS_SESSION_BUS_ADDRESS;
    const script = `
      import { KeyringKeyStore } from "./daemon/keystore/KeyringKeyStore.ts";
      const store = new KeyringKeyStore({ service: ${JSON.stringify(`atsyncd-test-${randomBytes(6).toString("hex")}`)} });
      const keys = ${JSON.stringify(fakeAtKeys("@nobus"))};
      try { await store.set("@nobus", keys); process.stdout.write("stored"); }
      catch (e) { process.stdout.write("refused " + e.reason + " " + e.message); }`;
    const { stdout } = await run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: projectRoot, env, timeout: 15_000 });
    expect(stdout).to.match(/^refused KEYSTORE_KEYCHAIN_FAILED /u);
    expect(stdout).to.contain("Secret Service");
  });

  describe("with a Secret Service running", function () {
    let service: string;
    before(async function () {
      service = `atsyncd-test-${randomBytes(6).toString("hex")}`;
      const problem = await probeKeychain({ service, platform: process.platform, env: process.env, timeoutMs: 5000 });
      if (problem !== undefined || process.platform !== "linux") {
        process.stdout.write(`      (skipped: ${problem ?? "not Linux"}; run under dbus-run-session with gnome-keyring)\n`);
        this.skip();
      }
      // With no arguments secret-tool prints its usage and exits non-zero; only ENOENT means it is missing.
      const missing = await run("secret-tool", []).then(
        () => false,
        (e: unknown) => (e as { code?: unknown }).code === "ENOENT",
      );
      if (missing) {
        process.stdout.write("      (skipped: secret-tool (libsecret-tools) is not installed)\n");
        this.skip();
      }
    });
    after(async function () {
      const store = new KeyringKeyStore({ service });
      for (const a of await store.list().catch(() => [])) await store.delete(a).catch(() => false);
    });

    it("stores entries that an independent Secret Service client reads back", async function () {
      const store = new KeyringKeyStore({ service });
      const keys = fakeAtKeys("@alice🛠");
      await store.set("@alice🛠", keys);
      const { stdout } = await run("secret-tool", ["lookup", "service", service, "username", "@alice🛠"]);
      expect(JSON.parse(stdout)).to.deep.equal(keys);
    });
  });
});
