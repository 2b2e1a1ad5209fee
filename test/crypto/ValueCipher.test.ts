import { expect } from "chai";
import { ValueCipher } from "../../daemon/crypto/ValueCipher.js";
import { PUBLIC_KEY_RECHECK_MS, THEIR_COPY_TTR } from "../../daemon/crypto/SharedKeys.js";
import { decodeAtKeysFile, type AtKeys } from "../../protocol/atKeysFile.js";
import { aesDecrypt, aesEncrypt, generateAesKeyB64, md5Hex, rsaEncrypt, rsaVerify } from "../../protocol/crypto.js";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import { fixturesOrSkip, readDemoAtKeys, readFixture } from "../support/fixtures.js";
import { MemoryCipherContext } from "./memoryCipherContext.js";

const ALICE = "@alice🛠";
const BOB = "@bob🛠";

async function failure(p: Promise<unknown>): Promise<AtsyncError> {
  try {
    await p;
  } catch (e) {
    expect(AtsyncError.is(e), String(e)).to.equal(true);
    return e as AtsyncError;
  }
  throw new Error("expected a rejection");
}

describe("ValueCipher", function () {
  let alice: AtKeys;
  let bob: AtKeys;
  let aliceCtx: MemoryCipherContext;
  let bobCtx: MemoryCipherContext;
  let aliceCipher: ValueCipher;
  let bobCipher: ValueCipher;

  before(function () {
    fixturesOrSkip(this);
    alice = readDemoAtKeys("alice");
    bob = readDemoAtKeys("bob");
    expect(alice.atSign).to.equal(ALICE);
    expect(bob.atSign).to.equal(BOB);
  });

  beforeEach(function () {
    aliceCtx = new MemoryCipherContext();
    aliceCtx.publicKeys.set(BOB, bob.encryptionPublicKey);
    bobCtx = new MemoryCipherContext();
    bobCtx.publicKeys.set(ALICE, alice.encryptionPublicKey);
    aliceCipher = new ValueCipher(alice, aliceCtx);
    bobCipher = new ValueCipher(bob, bobCtx);
  });

  describe("self keys", function () {
    it("encrypt with the self encryption key and a fresh ivNonce on every write", async function () {
      const plaintext = "123 🛠 ünïcode";
      const a = await aliceCipher.encryptForPut(`phone.wavi${ALICE}`, plaintext, { ttl: 1000 });
      const b = await aliceCipher.encryptForPut(`phone.wavi${ALICE}`, plaintext, { ttl: 1000 });
      expect(a.metadata.isEncrypted).to.equal(true);
      expect(a.metadata.ttl).to.equal(1000);
      expect(a.metadata.ivNonce).to.be.a("string");
      expect(Buffer.from(String(a.metadata.ivNonce), "base64")).to.have.length(16);
      expect(a.metadata.ivNonce).to.not.equal(b.metadata.ivNonce);
      expect(a.value).to.not.equal(b.value);
      expect(a.value).to.not.contain("123");
      // Readable by any client holding the self key and the ivNonce (the Dart SDK's view).
      expect(aesDecrypt(alice.selfEncryptionKey, a.value, a.metadata.ivNonce)).to.equal(plaintext);
      expect(await aliceCipher.decryptForGet(`phone.wavi${ALICE}`, a.value, a.metadata)).to.equal(plaintext);
    });

    it("treat @alice:x@alice as a self key", async function () {
      const put = await aliceCipher.encryptForPut(`${ALICE}:note.app${ALICE}`, "to myself");
      expect(aesDecrypt(alice.selfEncryptionKey, put.value, put.metadata.ivNonce)).to.equal("to myself");
      expect(put.metadata.sharedKeyEnc).to.equal(undefined);
      expect(await aliceCipher.decryptForGet(`${ALICE}:note.app${ALICE}`, put.value, put.metadata)).to.equal("to myself");
      expect(aliceCtx.writes).to.deep.equal([]);
    });

    it("read legacy zero-IV values: every self-key vector of the fixtures", async function () {
      const vectors = JSON.parse(readFixture("crypto_vectors.json")) as {
        selfKeyValues: Array<{ atSign: string; keyFile: string; ivNonce: string | null; ciphertext: string; plaintext: string }>;
      };
      expect(vectors.selfKeyValues.length).to.be.greaterThan(0);
      for (const v of vectors.selfKeyValues) {
        const keys = decodeAtKeysFile(readFixture(v.keyFile));
        const cipher = new ValueCipher(keys, new MemoryCipherContext());
        const meta = v.ivNonce === null ? {} : { ivNonce: v.ivNonce, isEncrypted: true };
        expect(await cipher.decryptForGet(`conflict.test${v.atSign}`, v.ciphertext, meta)).to.equal(v.plaintext);
      }
    });

    it("drop cipher fields an app supplies, and refuse a damaged value with a code", async function () {
      const put = await aliceCipher.encryptForPut(`phone.wavi${ALICE}`, "x", { ivNonce: "AAAA", sharedKeyEnc: "zz", isEncrypted: false });
      expect(put.metadata.ivNonce).to.not.equal("AAAA");
      expect(put.metadata.sharedKeyEnc).to.equal(undefined);
      expect(put.metadata.isEncrypted).to.equal(true);
      // CTR has no integrity check, so a wrong key is not always detectable; a cut value is.
      const cut = Buffer.from(put.value, "base64").subarray(0, 10).toString("base64");
      const err = await failure(aliceCipher.decryptForGet(`phone.wavi${ALICE}`, cut, put.metadata));
      expect(err.code).to.equal(ErrorCode.DecryptionFailed);
      expect(err.message).to.contain(`phone.wavi${ALICE}`).and.not.contain(cut);
    });
  });

  describe("public keys", function () {
    it("are signed with the encryption private key and stored as given", async function () {
      const put = await aliceCipher.encryptForPut(`public:name.wavi${ALICE}`, "Alice 🛠");
      expect(put.value).to.equal("Alice 🛠");
      expect(put.metadata.isEncrypted).to.equal(undefined);
      expect(put.metadata.encoding).to.equal(undefined);
      expect(rsaVerify(alice.encryptionPublicKey, "Alice 🛠", String(put.metadata.dataSignature), "sha256")).to.equal(true);
      expect(await bobCipher.decryptForGet(`public:name.wavi${ALICE}`, put.value, put.metadata)).to.equal("Alice 🛠");
      expect(await bobCipher.decryptForGet(`cached:public:name.wavi${ALICE}`, put.value, put.metadata)).to.equal("Alice 🛠");
    });

    it("are base64-encoded with encoding:base64 when they hold a newline", async function () {
      const text = "line one\nline two 🛠";
      const put = await aliceCipher.encryptForPut(`public:bio.wavi${ALICE}`, text);
      expect(put.metadata.encoding).to.equal("base64");
      expect(put.value).to.equal(Buffer.from(text, "utf8").toString("base64"));
      expect(put.value).to.not.contain("\n");
      expect(rsaVerify(alice.encryptionPublicKey, text, String(put.metadata.dataSignature), "sha256")).to.equal(true);
      expect(await aliceCipher.decryptForGet(`public:bio.wavi${ALICE}`, put.value, put.metadata)).to.equal(text);
    });
  });

  describe("shared keys", function () {
    const key = `${BOB}:phone.wavi${ALICE}`;

    it("create the shared key and both copies, and carry bob's copy in the metadata", async function () {
      const put = await aliceCipher.encryptForPut(key, "+44 1234", { ttl: 60_000 });
      const mine = aliceCtx.local.get(`shared_key.bob🛠${ALICE}`);
      const theirs = aliceCtx.local.get(`${BOB}:shared_key${ALICE}`);
      expect(mine, "alice's copy").to.not.equal(undefined);
      expect(theirs, "bob's copy").to.not.equal(undefined);
      expect(theirs?.metadata.ttr).to.equal(THEIR_COPY_TTR);
      expect(aliceCtx.syncingWrites.map((w) => w.atKey)).to.deep.equal([`shared_key.bob🛠${ALICE}`, `${BOB}:shared_key${ALICE}`]);
      expect(put.metadata).to.include({ isEncrypted: true, ttl: 60_000, sharedKeyEnc: theirs?.value, pubKeyCS: md5Hex(bob.encryptionPublicKey) });
      expect(put.value).to.not.contain("1234");
      expect(await aliceCipher.decryptForGet(key, put.value, put.metadata)).to.equal("+44 1234");
    });

    it("are read by bob with bob's demo keys from sharedKeyEnc", async function () {
      const put = await aliceCipher.encryptForPut(key, "for bob only");
      expect(await bobCipher.decryptForGet(key, put.value, put.metadata)).to.equal("for bob only");
      expect(await bobCipher.decryptForGet(`cached:${key}`, put.value, put.metadata)).to.equal("for bob only");
      expect(bobCtx.remoteFetches).to.deep.equal([]);
    });

    it("are read by bob without sharedKeyEnc: cached copy first, then the atServer", async function () {
      const put = await aliceCipher.encryptForPut(key, "no metadata key");
      const bare = { ivNonce: put.metadata.ivNonce, isEncrypted: true };
      const wrappedForBob = String(aliceCtx.local.get(`${BOB}:shared_key${ALICE}`)?.value);
      bobCtx.remote.set(`${BOB}:shared_key${ALICE}`, wrappedForBob);
      expect(await bobCipher.decryptForGet(key, put.value, bare)).to.equal("no metadata key");
      expect(bobCtx.remoteFetches).to.deep.equal([`${BOB}:shared_key${ALICE}`]);
      bobCtx.remote.clear();
      const fresh = new ValueCipher(bob, bobCtx);
      bobCtx.local.set(`cached:${BOB}:shared_key${ALICE}`, { value: wrappedForBob, metadata: {} });
      expect(await fresh.decryptForGet(key, put.value, bare)).to.equal("no metadata key");
    });

    it("reuse the existing key: no new copies, and one made by another client works", async function () {
      const k = generateAesKeyB64();
      aliceCtx.local.set(`shared_key.bob🛠${ALICE}`, { value: rsaEncrypt(alice.encryptionPublicKey, k), metadata: {} });
      aliceCtx.remote.set(`${BOB}:shared_key${ALICE}`, rsaEncrypt(bob.encryptionPublicKey, k));
      const put = await aliceCipher.encryptForPut(key, "old key");
      expect(aesDecrypt(k, put.value, put.metadata.ivNonce)).to.equal("old key");
      // Bob's copy came from the server and was not rewritten.
      expect(aliceCtx.syncingWrites).to.deep.equal([]);
      await aliceCipher.encryptForPut(key, "again");
      expect(aliceCtx.syncingWrites).to.deep.equal([]);
      expect(await bobCipher.decryptForGet(key, put.value, put.metadata)).to.equal("old key");
    });

    it("take our copy from the atServer on a fresh device instead of minting a new key", async function () {
      const k = generateAesKeyB64();
      aliceCtx.remote.set(`shared_key.bob🛠${ALICE}`, rsaEncrypt(alice.encryptionPublicKey, k));
      const put = await aliceCipher.encryptForPut(key, "fresh device");
      expect(aesDecrypt(k, put.value, put.metadata.ivNonce)).to.equal("fresh device");
      expect(aliceCtx.syncingWrites.map((w) => w.atKey)).to.deep.equal([`${BOB}:shared_key${ALICE}`]);
    });

    it("keep every key they used in a ring that never syncs, so a value under a key that lost convergence still decrypts", async function () {
      const put = await aliceCipher.encryptForPut(key, "under the first key");
      const ring = aliceCtx.writes.filter((w) => w.atKey.startsWith("private:"));
      expect(ring.map((w) => w.atKey)).to.deep.equal([`private:atsyncd_shared_keys.bob🛠${ALICE}`]);
      expect(ring[0]?.value).to.not.contain(put.metadata.sharedKeyEnc ?? "-");
      // Another device's key wins: our copy now holds it.
      const other = generateAesKeyB64();
      aliceCtx.local.set(`shared_key.bob🛠${ALICE}`, { value: rsaEncrypt(alice.encryptionPublicKey, other), metadata: {} });
      const fresh = new ValueCipher(alice, aliceCtx);
      expect(await fresh.decryptForGet(key, put.value, put.metadata)).to.equal("under the first key");
      const next = await fresh.encryptForPut(`${BOB}:email.wavi${ALICE}`, "under the key in effect");
      expect(aesDecrypt(other, next.value, next.metadata.ivNonce)).to.equal("under the key in effect");
      // Re-encrypted under the key in effect, the old value reads with it alone.
      aliceCtx.local.set(key, { value: put.value, metadata: put.metadata });
      expect(await fresh.repairSharedWith(BOB)).to.equal(1);
      const repaired = aliceCtx.local.get(key);
      expect(aesDecrypt(other, repaired?.value ?? "", repaired?.metadata.ivNonce)).to.equal("under the first key");
      expect(repaired?.metadata).to.include({ isEncrypted: true, pubKeyCS: md5Hex(bob.encryptionPublicKey) });
      expect(await bobCipher.decryptForGet(key, repaired?.value ?? "", repaired?.metadata)).to.equal("under the first key");
      expect(await fresh.repairSharedWith(BOB)).to.equal(0);
    });

    it("look bob's public key up again only after the recheck time, and mint a new key when it changed", async function () {
      const first = await aliceCipher.encryptForPut(key, "one");
      await aliceCipher.encryptForPut(key, "two");
      expect(aliceCtx.publicKeyLookups).to.deep.equal([BOB]);
      aliceCtx.publicKeys.set(BOB, alice.encryptionPublicKey); // any other key: bob re-onboarded
      aliceCtx.timeMs += PUBLIC_KEY_RECHECK_MS - 1;
      await aliceCipher.encryptForPut(key, "three");
      expect(aliceCtx.publicKeyLookups).to.have.length(1);
      aliceCtx.timeMs += 2;
      const after = await aliceCipher.encryptForPut(key, "four");
      expect(aliceCtx.publicKeyLookups).to.have.length(2);
      expect(after.metadata.pubKeyCS).to.equal(md5Hex(alice.encryptionPublicKey));
      expect(after.metadata.sharedKeyEnc).to.not.equal(first.metadata.sharedKeyEnc);
      const copies = aliceCtx.syncingWrites.filter((w) => w.atKey === `shared_key.bob🛠${ALICE}`);
      expect(copies, "a second key minted").to.have.length(2);
      expect(copies[1]?.metadata.pubKeyCS).to.equal(md5Hex(alice.encryptionPublicKey));
      // Both keys stay readable to alice.
      expect(await aliceCipher.decryptForGet(key, first.value, first.metadata)).to.equal("one");
      expect(await aliceCipher.decryptForGet(key, after.value, after.metadata)).to.equal("four");
    });

    it("mint one key when two puts race", async function () {
      const [a, b] = await Promise.all([
        aliceCipher.encryptForPut(key, "one"),
        aliceCipher.encryptForPut(`${BOB}:email.wavi${ALICE}`, "two"),
      ]);
      expect(aliceCtx.writes.filter((w) => w.atKey === `shared_key.bob🛠${ALICE}`)).to.have.length(1);
      expect(a.metadata.sharedKeyEnc).to.equal(b.metadata.sharedKeyEnc);
      expect(await bobCipher.decryptForGet(`${BOB}:email.wavi${ALICE}`, b.value, b.metadata)).to.equal("two");
    });

    it("refuse a tampered pubKeyCS with a clear error", async function () {
      const put = await aliceCipher.encryptForPut(key, "checked");
      const tampered = { ...put.metadata, pubKeyCS: md5Hex("someone else's key") };
      const err = await failure(bobCipher.decryptForGet(key, put.value, tampered));
      expect(err.code).to.equal(ErrorCode.DecryptionFailed);
      expect(err.message).to.contain("pubKeyCS").and.contain(key).and.contain(ALICE);
      expect(err.message).to.not.contain(String(put.metadata.sharedKeyEnc));
    });

    it("refuse a key wrapped for another private key, and keys shared with someone else", async function () {
      const put = await aliceCipher.encryptForPut(key, "not for you");
      const impostor = new ValueCipher({ ...alice, atSign: BOB }, new MemoryCipherContext());
      const noCs = { ...put.metadata };
      delete noCs.pubKeyCS;
      const err = await failure(impostor.decryptForGet(key, put.value, noCs));
      expect(err.code).to.equal(ErrorCode.DecryptionFailed);
      const carol = new ValueCipher({ ...bob, atSign: "@carol" }, new MemoryCipherContext());
      const err2 = await failure(carol.decryptForGet(key, put.value, put.metadata));
      expect(err2.message).to.contain("@carol").and.contain(BOB);
    });

    it("say so when the reader's public key cannot be found", async function () {
      const err = await failure(aliceCipher.encryptForPut(`@nobody:x.wavi${ALICE}`, "v"));
      expect(err.code).to.equal(ErrorCode.EncryptionFailed);
      expect(err.message).to.contain("@nobody");
      expect(aliceCtx.writes).to.deep.equal([]);
    });

    it("decrypt values bob shares with alice through alice's own cipher", async function () {
      const put = await bobCipher.encryptForPut(`${ALICE}:loc.app${BOB}`, "at home");
      expect(await aliceCipher.decryptForGet(`${ALICE}:loc.app${BOB}`, put.value, put.metadata)).to.equal("at home");
    });
  });

  describe("keys apps may not write", function () {
    it("refuses others' keys, cached keys and reserved keys", async function () {
      for (const k of [`phone.wavi${BOB}`, `cached:${ALICE}:x.wavi${BOB}`, `shared_key.bob🛠${ALICE}`, `${BOB}:shared_key${ALICE}`, `privatekey:at_secret`, `public:publickey${ALICE}`, `public:signing_publickey${ALICE}`]) {
        const err = await failure(aliceCipher.encryptForPut(k, "v"));
        expect(err.code, k).to.equal(ErrorCode.ReadOnlyKey);
      }
      const bad = await failure(aliceCipher.encryptForPut("no owner here", "v"));
      expect(bad.code).to.equal(ErrorCode.InvalidAtKey);
    });

    it("returns an explicitly unencrypted self value as stored", async function () {
      expect(await aliceCipher.decryptForGet(`plain.app${ALICE}`, "plain", { isEncrypted: false })).to.equal("plain");
      // …while a value under isEncrypted:true is decrypted.
      const v = aesEncrypt(alice.selfEncryptionKey, "secret");
      expect(await aliceCipher.decryptForGet(`plain.app${ALICE}`, v, { isEncrypted: true })).to.equal("secret");
    });
  });

  describe("values whatever their isEncrypted says (GetResponseTransformer: try, then the value as stored)", function () {
    it("decrypts self and shared values the C SDK stores with isEncrypted:false", async function () {
      const self = aesEncrypt(alice.selfEncryptionKey, "from the C SDK", "AAAAAAAAAAAAAAAAAAAAAA==");
      expect(await aliceCipher.decryptForGet(`c.app${ALICE}`, self, { isEncrypted: false, ivNonce: "AAAAAAAAAAAAAAAAAAAAAA==" })).to.equal("from the C SDK");
      expect(await aliceCipher.decryptForGet(`c.app${ALICE}`, aesEncrypt(alice.selfEncryptionKey, "no flag"), {})).to.equal("no flag");
      const put = await bobCipher.encryptForPut(`${ALICE}:c.app${BOB}`, "shared by C");
      expect(await aliceCipher.decryptForGet(`${ALICE}:c.app${BOB}`, put.value, { ...put.metadata, isEncrypted: false })).to.equal("shared by C");
      expect(await aliceCipher.decryptForGet(`cached:${ALICE}:c.app${BOB}`, put.value, { ...put.metadata, isEncrypted: false })).to.equal("shared by C");
    });

    it("returns a value that does not decrypt as stored, unless it is flagged encrypted", async function () {
      // Base64 of whole blocks that are not a ciphertext under alice's key: the padding or UTF-8 check refuses it.
      const notOurs = aesEncrypt(generateAesKeyB64(), "someone else's");
      expect(await aliceCipher.decryptForGet(`c.app${ALICE}`, notOurs, { isEncrypted: false })).to.equal(notOurs);
      expect(await aliceCipher.decryptForGet(`c.app${ALICE}`, "plain text", {})).to.equal("plain text");
      const err = await failure(aliceCipher.decryptForGet(`c.app${ALICE}`, "plain text", { isEncrypted: true }));
      expect(err.code).to.equal(ErrorCode.DecryptionFailed);
    });
  });
});
