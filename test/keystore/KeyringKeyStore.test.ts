// The real OS keychain. On Linux this needs a D-Bus session with an unlocked Secret Service, e.g.
//   dbus-run-session -- bash -c 'echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; npx mocha test/keystore'
// and skips, saying so, where none answers.
import { randomBytes } from "node:crypto";
import { AsyncEntry } from "@napi-rs/keyring";
import { expect } from "chai";
import {
  KEYRING_ENTRY_OPTIONS,
  KEYRING_INDEX_ACCOUNT,
  KeyringKeyStore,
} from "../../daemon/keystore/KeyringKeyStore.js";
import { KeyStoreError, KeyStoreErrorCode } from "../../daemon/keystore/KeyStore.js";
import { probeKeychain } from "../../daemon/keystore/openKeyStore.js";
import { fakeAtKeys, runKeyStoreContract } from "./contract.js";

/** A service name of its own per test, so a developer's real `atsyncd` entries are never touched. */
function testService(): string {
  return `atsyncd-test-${randomBytes(6).toString("hex")}`;
}

async function wipe(service: string): Promise<void> {
  const store = new KeyringKeyStore({ service });
  for (const atSign of await store.list().catch(() => [])) await store.delete(atSign).catch(() => false);
  await new AsyncEntry(service, KEYRING_INDEX_ACCOUNT, KEYRING_ENTRY_OPTIONS).deleteCredential().catch(() => false);
}

let keychainProblem: string | undefined = "not probed";

describe("KeyringKeyStore (real OS keychain)", function () {
  before(async function () {
    keychainProblem = await probeKeychain({
      service: testService(),
      platform: process.platform,
      env: process.env,
      timeoutMs: 5000,
    });
    if (keychainProblem !== undefined) {
      process.stdout.write(
        `      (skipped: ${keychainProblem}; run under dbus-run-session with an unlocked gnome-keyring to test it)\n`,
      );
      this.skip();
    }
  });

  runKeyStoreContract("KeyringKeyStore", async () => {
    const service = testService();
    return {
      store: new KeyringKeyStore({ service }),
      reopen: async () => new KeyringKeyStore({ service }),
      cleanup: () => wipe(service),
    };
  });

  describe("details", function () {
    let service: string;
    beforeEach(function () {
      service = testService();
    });
    afterEach(async function () {
      await wipe(service);
    });

    it("keeps one entry per atSign holding the keys as JSON, and an index entry", async function () {
      const store = new KeyringKeyStore({ service });
      const keys = fakeAtKeys("@alice🛠");
      await store.set("@alice🛠", keys);
      const raw = await new AsyncEntry(service, "@alice🛠", KEYRING_ENTRY_OPTIONS).getPassword();
      expect(JSON.parse(String(raw))).to.deep.equal(keys);
      const index = await new AsyncEntry(service, KEYRING_INDEX_ACCOUNT, KEYRING_ENTRY_OPTIONS).getPassword();
      expect(JSON.parse(String(index))).to.deep.equal(["@alice🛠"]);
      expect(store.kind).to.equal("keychain");
      expect(store.description).to.contain(service);
    });

    it("removes the index entry when the last atSign goes", async function () {
      const store = new KeyringKeyStore({ service });
      await store.set("@alice🛠", fakeAtKeys("@alice🛠"));
      await store.delete("@alice🛠");
      expect(await new AsyncEntry(service, KEYRING_INDEX_ACCOUNT, KEYRING_ENTRY_OPTIONS).getPassword()).to.equal(null);
    });

    it("reports a damaged entry by atSign without quoting it", async function () {
      const store = new KeyringKeyStore({ service });
      await store.set("@alice🛠", fakeAtKeys("@alice🛠"));
      await new AsyncEntry(service, "@alice🛠", KEYRING_ENTRY_OPTIONS).setPassword('{"atSign":"@alice🛠","pkamPublicKey":"c2VjcmV0');
      let err: unknown;
      try {
        await store.get("@alice🛠");
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(KeyStoreError);
      expect((err as KeyStoreError).reason).to.equal(KeyStoreErrorCode.Corrupt);
      expect((err as Error).message).to.contain("@alice🛠").and.not.contain("c2VjcmV0");
    });
  });
});
