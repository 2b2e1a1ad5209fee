// The behaviour every KeyStore must have, run against FileKeyStore and KeyringKeyStore alike
// so neither can drift (house-style §24).
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import type { AtKeys } from "../../protocol/atKeysFile.js";
import { KeyStoreError, KeyStoreErrorCode, type KeyStore } from "../../daemon/keystore/KeyStore.js";

export interface KeyStoreFixture {
  store: KeyStore;
  /** A second store over the same backing (a new process, as far as the store can tell). */
  reopen(): Promise<KeyStore>;
  cleanup(): Promise<void>;
}

/** Keys with the right shape; the stores do not check RSA structure, decodeAtKeysFile does. */
export function fakeAtKeys(atSign: string, extra: Partial<AtKeys> = {}): AtKeys {
  const b64 = (n: number): string => randomBytes(n).toString("base64");
  return {
    atSign,
    pkamPublicKey: b64(294),
    pkamPrivateKey: b64(1217),
    encryptionPublicKey: b64(294),
    encryptionPrivateKey: b64(1217),
    selfEncryptionKey: b64(32),
    ...extra,
  };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

export function runKeyStoreContract(name: string, makeStore: () => Promise<KeyStoreFixture>): void {
  describe(`KeyStore contract: ${name}`, function () {
    let fx: KeyStoreFixture;
    beforeEach(async function () {
      fx = await makeStore();
    });
    afterEach(async function () {
      await fx?.cleanup();
    });

    it("starts empty", async function () {
      expect(await fx.store.list()).to.deep.equal([]);
      expect(await fx.store.get("@alice🛠")).to.equal(undefined);
      expect(await fx.store.delete("@alice🛠")).to.equal(false);
    });

    it("returns what was set, under the normalized atSign, across reopen", async function () {
      const keys = fakeAtKeys("@alice🛠", { apkamSymmetricKey: "c3ltbWV0cmlj", enrollmentId: "e-1" });
      await fx.store.set("@Alice🛠", keys);
      expect(await fx.store.get("@alice🛠")).to.deep.equal(keys);
      expect(await fx.store.get("alice🛠")).to.deep.equal(keys);
      expect(await fx.store.list()).to.deep.equal(["@alice🛠"]);
      const again = await fx.reopen();
      expect(await again.get("@alice🛠")).to.deep.equal(keys);
      expect(await again.list()).to.deep.equal(["@alice🛠"]);
    });

    it("replaces keys on a second set and keeps atSigns apart", async function () {
      const first = fakeAtKeys("@alice🛠");
      const second = fakeAtKeys("@alice🛠");
      const bob = fakeAtKeys("@bob🛠");
      await fx.store.set("@alice🛠", first);
      await fx.store.set("@bob🛠", bob);
      await fx.store.set("@alice🛠", second);
      expect(await fx.store.get("@alice🛠")).to.deep.equal(second);
      expect(await fx.store.get("@bob🛠")).to.deep.equal(bob);
      expect(await fx.store.list()).to.deep.equal(["@alice🛠", "@bob🛠"]);
    });

    it("deletes one atSign and leaves the others", async function () {
      await fx.store.set("@alice🛠", fakeAtKeys("@alice🛠"));
      const bob = fakeAtKeys("@bob🛠");
      await fx.store.set("@bob🛠", bob);
      expect(await fx.store.delete("@alice🛠")).to.equal(true);
      expect(await fx.store.delete("@alice🛠")).to.equal(false);
      expect(await fx.store.get("@alice🛠")).to.equal(undefined);
      expect(await fx.store.list()).to.deep.equal(["@bob🛠"]);
      expect(await (await fx.reopen()).get("@bob🛠")).to.deep.equal(bob);
    });

    it("keeps concurrent sets of different atSigns", async function () {
      const names = ["@a1", "@a2", "@a3", "@a4", "@a5"];
      await Promise.all(names.map((n) => fx.store.set(n, fakeAtKeys(n))));
      expect(await fx.store.list()).to.deep.equal(names);
    });

    it("keeps every concurrent set made through two instances over the same backing", async function () {
      const other = await fx.reopen();
      const names = ["@b1", "@b2", "@b3", "@b4", "@b5", "@b6"];
      const keys = new Map(names.map((n) => [n, fakeAtKeys(n)]));
      await Promise.all(names.map((n, i) => (i % 2 === 0 ? fx.store : other).set(n, keys.get(n) as AtKeys)));
      expect(await fx.store.list()).to.deep.equal(names);
      expect(await other.list()).to.deep.equal(names);
      for (const n of names) expect(await other.get(n)).to.deep.equal(keys.get(n));
      // Deletes through one instance and sets through the other interleave safely too.
      await Promise.all([fx.store.delete("@b1"), other.set("@b7", fakeAtKeys("@b7")), fx.store.delete("@b2")]);
      expect(await other.list()).to.deep.equal(["@b3", "@b4", "@b5", "@b6", "@b7"]);
    });

    it("refuses keys of another atSign and stores nothing", async function () {
      const err = await rejection(fx.store.set("@alice🛠", fakeAtKeys("@bob🛠")));
      expect(err).to.be.instanceOf(KeyStoreError);
      expect((err as KeyStoreError).reason).to.equal(KeyStoreErrorCode.BadKeys);
      expect((err as Error).message).to.contain("@alice🛠").and.contain("@bob🛠");
      expect(await fx.store.list()).to.deep.equal([]);
    });

    it("refuses keys with a missing field, naming the field and not the material", async function () {
      const keys = fakeAtKeys("@alice🛠");
      const broken = { ...keys, selfEncryptionKey: "" };
      const err = await rejection(fx.store.set("@alice🛠", broken));
      expect((err as KeyStoreError).reason).to.equal(KeyStoreErrorCode.BadKeys);
      expect((err as Error).message).to.contain("selfEncryptionKey");
      expect((err as Error).message).not.to.contain(keys.encryptionPrivateKey);
      expect(await fx.store.get("@alice🛠")).to.equal(undefined);
    });

    it("refuses text that is not an atSign", async function () {
      for (const bad of ["@", "@a b", "@a@b", ""]) {
        const err = await rejection(fx.store.get(bad));
        expect((err as KeyStoreError).reason, bad).to.equal(KeyStoreErrorCode.BadAtSign);
      }
    });
  });
}
