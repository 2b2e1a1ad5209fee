// Onboarding into the key store a plain `atsyncd run` chooses. Where a Secret Service answers
// (CI runs this under dbus-run-session with an unlocked gnome-keyring) the keys go to the
// keychain and nothing is written to disk; elsewhere the file fallback is said loudly by
// onboard, status and doctor. Either way the daemon restarts from the key store alone.
import { expect } from "chai";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { probeKeychain } from "../../daemon/keystore/openKeyStore.js";
import { KEYRING_SERVICE } from "../../daemon/keystore/KeyringKeyStore.js";
import { requireBuild, waitFor } from "../support/daemon.js";
import { runCli } from "./support/cli.js";
import { ALICE, demoAtKeys, useDemoServer } from "./support/demoServer.js";
import { startPlainDaemon, type PlainDaemon } from "./support/plainDaemon.js";

describe("atsyncd onboard into the OS keychain or the file fallback (e2e)", function () {
  this.timeout(60_000);
  const server = useDemoServer(this);
  let dir: string;
  let d: PlainDaemon | undefined;
  let keychainProblem: string | undefined;
  let onboarded = false;

  before(async function () {
    requireBuild();
    dir = mkdtempSync(join(tmpdir(), "atsyncd-cli-kc-"));
    keychainProblem = await probeKeychain({ service: KEYRING_SERVICE, platform: process.platform, env: process.env, timeoutMs: 3000 });
    process.stdout.write(keychainProblem === undefined
      ? "      (a keychain answers: testing the keychain path)\n"
      : `      (no keychain: ${keychainProblem}; testing the file fallback)\n`);
  });
  after(async function () {
    // Never leave demo keys in a real keychain.
    if (onboarded && d) await runCli(["offboard", ALICE, "--socket", d.socketPath]);
    await d?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("onboard says where the keys went; status and doctor agree; a restart needs only the key store", async function () {
    d = await startPlainDaemon(dir, server().dev);
    const socket = d.socketPath;
    const keyFile = join(d.dataDir, "keys.json");
    const r = await runCli(["onboard", ALICE, "--atkeys", demoAtKeys("alice"), "--socket", socket]);
    expect(r.code, r.stderr).to.equal(0);
    onboarded = true;
    const status = await runCli(["status", "--socket", socket]);
    const doctor = await runCli(["doctor", "--json", "--socket", socket, "--data-dir", d.dataDir]);
    const keyStoreCheck = (JSON.parse(doctor.stdout) as { checks: Array<{ name: string; status: string; message: string; fix?: string }> })
      .checks.find((c) => c.name === "key store");

    if (keychainProblem === undefined) {
      expect(r.stdout).to.equal(`Onboarded ${ALICE}: its atServer accepted the keys, and they are in the OS keychain. It is syncing now (\`atsyncd status\`).\n`);
      expect(r.stderr).to.equal("");
      expect(existsSync(keyFile)).to.equal(false);
      expect(status.stdout).to.not.include("warning");
      expect(keyStoreCheck?.status).to.equal("ok");
      expect(keyStoreCheck?.message).to.match(/^OS keychain/u);
    } else {
      expect(r.stderr).to.match(new RegExp(`^WARNING: the keys of ${ALICE} are NOT in an OS keychain: .*no .*answer`, "u"));
      expect(r.stderr).to.include(keyFile);
      expect(statSync(keyFile).mode & 0o777).to.equal(0o600);
      expect(status.stdout).to.include(`warning: the keys of ${ALICE} are in a file, not in the OS keychain`);
      expect(keyStoreCheck?.status).to.equal("warn");
      expect(keyStoreCheck?.fix).to.match(/Secret Service/u);
    }
    expect(keyStoreCheck?.message).to.include(`holds ${ALICE}`);

    // The .atKeys file is not needed again: a new daemon starts the atSign from the key store.
    expect(await d.stop()).to.equal(0);
    d = await startPlainDaemon(dir, server().dev);
    const again = d.socketPath;
    await waitFor("alice online after the restart", async () => {
      const s = await runCli(["status", ALICE, "--json", "--socket", again]);
      return s.code === 0 && (JSON.parse(s.stdout) as Array<{ state: { kind: string } }>)[0]?.state.kind === "online";
    });
    const off = await runCli(["offboard", ALICE, "--socket", again]);
    expect(off.code).to.equal(0);
    onboarded = false;
    expect((await runCli(["status", "--socket", again])).code).to.equal(4);
  });
});
