import { expect } from "chai";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import {
  aesDecrypt,
  aesEncrypt,
  cramDigest,
  generateAesKeyB64,
  generateRsaKeyPair,
  md5Hex,
  randomIvB64,
  rsaDecrypt,
  rsaEncrypt,
  rsaSign,
  rsaVerify,
} from "../../protocol/crypto.js";
import { decodeAtKeysFile } from "../../protocol/atKeysFile.js";
import { demoPlainKeys, fixturesDir, fixturesOrSkip, readFixture, type DemoPlainKeys } from "../support/fixtures.js";

describe("protocol/crypto with the fixtures", function () {
  let alice: DemoPlainKeys;
  let challenge: string;
  before(function () {
    fixturesOrSkip(this);
    alice = demoPlainKeys("@alice🛠");
    challenge = readFileSync(join(fixturesDir, "pkam", "challenge.txt"), "utf8");
  });

  it("the challenge file is the bare challenge, no trailing newline", function () {
    expect(challenge.endsWith("\n")).to.equal(false);
    expect(challenge.startsWith("_")).to.equal(true);
    expect(challenge).to.include("@alice🛠:");
  });

  for (const hash of ["sha256", "sha512"] as const) {
    it(`rsaSign reproduces pkam/sig_${hash}.b64 and rsaVerify accepts it`, function () {
      const expected = readFixture(`pkam/sig_${hash}.b64`).trim();
      const sig = rsaSign(alice.pkamPrivateKey, challenge, hash);
      expect(sig).to.equal(expected);
      expect(rsaVerify(alice.pkamPublicKey, challenge, expected, hash)).to.equal(true);
    });

    it(`rsaVerify rejects a tampered ${hash} signature, challenge or hash`, function () {
      const expected = readFixture(`pkam/sig_${hash}.b64`).trim();
      const raw = Buffer.from(expected, "base64");
      raw[10] = (raw[10] ?? 0) ^ 0x01;
      expect(rsaVerify(alice.pkamPublicKey, challenge, raw.toString("base64"), hash)).to.equal(false);
      expect(rsaVerify(alice.pkamPublicKey, `${challenge}\n`, expected, hash)).to.equal(false);
      expect(rsaVerify(alice.pkamPublicKey, challenge, expected, hash === "sha256" ? "sha512" : "sha256")).to.equal(false);
      expect(rsaVerify(alice.pkamPublicKey, challenge, "not-base64!!", hash)).to.equal(false);
    });
  }

  it("decrypts every crypto_vectors.json selfKeyValues case", function () {
    const doc = JSON.parse(readFixture("crypto_vectors.json")) as {
      selfKeyValues: Array<{ keyFile: string; atSign: string; ivNonce: string | null; ciphertext: string; plaintext: string }>;
    };
    expect(doc.selfKeyValues.length).to.be.greaterThan(0);
    for (const v of doc.selfKeyValues) {
      const keys = decodeAtKeysFile(readFixture(v.keyFile), v.atSign);
      const plain = v.ivNonce === null ? aesDecrypt(keys.selfEncryptionKey, v.ciphertext) : aesDecrypt(keys.selfEncryptionKey, v.ciphertext, v.ivNonce);
      expect(plain).to.equal(v.plaintext);
      // Encrypting again gives the same bytes: same key, same IV, deterministic padding.
      expect(aesEncrypt(keys.selfEncryptionKey, v.plaintext, v.ivNonce ?? undefined)).to.equal(v.ciphertext);
    }
  });

  it("rsaEncrypt/rsaDecrypt round-trip with the demo encryption keys", function () {
    const aesKey = generateAesKeyB64();
    const wrapped = rsaEncrypt(alice.encryptionPublicKey, aesKey);
    expect(Buffer.from(wrapped, "base64").length).to.equal(256);
    expect(rsaDecrypt(alice.encryptionPrivateKey, wrapped)).to.equal(aesKey);
  });
});

describe("protocol/crypto", function () {
  let pair: { publicKey: string; privateKey: string };
  before(async function () {
    pair = await generateRsaKeyPair();
  });

  it("aesEncrypt pads with PKCS#7 to whole blocks, zero IV by default", function () {
    const key = generateAesKeyB64();
    expect(Buffer.from(key, "base64").length).to.equal(32);
    for (const [plain, bytes] of [["", 16], ["4", 16], ["a".repeat(15), 16], ["a".repeat(16), 32], ["🛠🛠🛠🛠", 32]] as const) {
      const ct = aesEncrypt(key, plain);
      expect(Buffer.from(ct, "base64").length, plain).to.equal(bytes);
      expect(aesDecrypt(key, ct)).to.equal(plain);
    }
  });

  it("aesEncrypt with an ivNonce differs from the zero IV and needs it to decrypt", function () {
    const key = generateAesKeyB64();
    const iv = randomIvB64();
    expect(Buffer.from(iv, "base64").length).to.equal(16);
    const plain = "value with ünïcode 🛠 and more than one block of text";
    const withIv = aesEncrypt(key, plain, iv);
    expect(withIv).not.to.equal(aesEncrypt(key, plain));
    expect(aesDecrypt(key, withIv, iv)).to.equal(plain);
    expect(() => aesDecrypt(key, withIv)).to.throw().with.property("code", "CRYPTO_DECRYPT_FAILED");
  });

  it("rejects a wrong-size AES key or IV and a partial block", function () {
    const key = generateAesKeyB64();
    expect(() => aesEncrypt(Buffer.alloc(16).toString("base64"), "x")).to.throw().with.property("code", "CRYPTO_BAD_KEY");
    expect(() => aesEncrypt(key, "x", Buffer.alloc(8).toString("base64"))).to.throw().with.property("code", "CRYPTO_BAD_INPUT");
    const ct = Buffer.from(aesEncrypt(key, "x".repeat(20)), "base64");
    expect(() => aesDecrypt(key, ct.subarray(0, 20).toString("base64"))).to.throw().with.property("code", "CRYPTO_DECRYPT_FAILED");
  });

  it("generateRsaKeyPair gives a 2048-bit pair that signs and verifies", function () {
    const sig = rsaSign(pair.privateKey, "challenge 🛠", "sha256");
    expect(Buffer.from(sig, "base64").length).to.equal(256);
    expect(rsaVerify(pair.publicKey, "challenge 🛠", sig, "sha256")).to.equal(true);
  });

  it("rsaEncrypt/rsaDecrypt round-trip on this Node (falls back where PKCS#1 is refused)", function () {
    for (const plain of ["k", generateAesKeyB64(), "🛠".repeat(20)]) {
      const ct = rsaEncrypt(pair.publicKey, plain);
      expect(ct).not.to.equal(rsaEncrypt(pair.publicKey, plain)); // random padding
      expect(rsaDecrypt(pair.privateKey, ct)).to.equal(plain);
    }
  });

  it("rsaDecrypt fails with a code, not garbage, for a foreign ciphertext", async function () {
    const other = await generateRsaKeyPair();
    const ct = rsaEncrypt(other.publicKey, "secret");
    let result: string | undefined;
    try {
      result = rsaDecrypt(pair.privateKey, ct);
    } catch (e) {
      expect(e).to.have.property("code", "CRYPTO_DECRYPT_FAILED");
      expect(String(e)).not.to.include("secret");
      return;
    }
    // OpenSSL 3.2+ implicit rejection returns random bytes instead of failing.
    expect(result).not.to.equal("secret");
  });

  it("md5Hex and cramDigest match the definitions", function () {
    expect(md5Hex("")).to.equal("d41d8cd98f00b204e9800998ecf8427e");
    const digest = cramDigest("secret", "_chal@alice🛠:x");
    expect(digest).to.equal(createHash("sha512").update("secret_chal@alice🛠:x", "utf8").digest("hex"));
    expect(digest).to.match(/^[0-9a-f]{128}$/u);
  });
});
