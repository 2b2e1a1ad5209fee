// Review of the crypto helpers: AES-CTR + PKCS#7 exactly as Dart's `encrypt`, the BigInt
// PKCS#1 v1.5 fallback on every plaintext length, constant-shape RSA errors, and the .atKeys
// decoder against every kind of corruption.
import { expect } from "chai";
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from "node:crypto";
import { AtKeysError, decodeAtKeysFile, encodeAtKeysFile, type AtKeys } from "../../protocol/atKeysFile.js";
import { CryptoError, aesDecrypt, aesEncrypt, rsaDecrypt, rsaEncrypt } from "../../protocol/crypto.js";
import { rsaPkcs1DecryptManual } from "../../protocol/rsaPkcs1.js";
import { fixturesOrSkip, readFixture } from "../support/fixtures.js";

const KEY = Buffer.alloc(32, 7).toString("base64");

/** The ciphertext whose CTR decryption under KEY and a zero IV is exactly `plain` (no padding added). */
function ctrOf(plain: Buffer): string {
  const c = createCipheriv("aes-256-ctr", Buffer.from(KEY, "base64"), Buffer.alloc(16));
  return Buffer.concat([c.update(plain), c.final()]).toString("base64");
}

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

describe("protocol/crypto review: AES as Dart's encrypt", function () {
  it("adds a whole block of padding to a plaintext that fills whole blocks", function () {
    for (const len of [0, 16, 32, 48]) {
      const plain = "x".repeat(len);
      const ct = Buffer.from(aesEncrypt(KEY, plain), "base64");
      expect(ct.length).to.equal(len + 16);
      const d = createDecipheriv("aes-256-ctr", Buffer.from(KEY, "base64"), Buffer.alloc(16));
      const padded = Buffer.concat([d.update(ct), d.final()]);
      expect(padded.subarray(len)).to.deep.equal(Buffer.alloc(16, 16));
      expect(aesDecrypt(KEY, ct.toString("base64"))).to.equal(plain);
    }
  });

  it("pads every length 0..64 (UTF-8 bytes, emoji included) and round-trips", function () {
    for (let n = 0; n <= 64; n++) {
      const plain = "🛠".repeat(Math.floor(n / 4)) + "a".repeat(n % 4);
      const bytes = Buffer.byteLength(plain);
      const ct = Buffer.from(aesEncrypt(KEY, plain), "base64");
      expect(ct.length).to.equal(bytes + (16 - (bytes % 16)));
      expect(aesDecrypt(KEY, ct.toString("base64"))).to.equal(plain);
    }
  });

  it("rejects every kind of bad padding with one clear error", function () {
    const body = Buffer.from("0123456789ab", "utf8");
    const cases = [
      Buffer.concat([body, Buffer.from([4, 4, 4, 0])]), // pad byte 0
      Buffer.concat([Buffer.alloc(15, 0x41), Buffer.from([17])]), // pad byte > 16
      Buffer.concat([body, Buffer.from([4, 3, 4, 4])]), // inconsistent pad
      Buffer.concat([Buffer.alloc(31, 0x41), Buffer.from([0x20])]), // pad byte 32
    ];
    for (const padded of cases) {
      const err = errorOf(() => aesDecrypt(KEY, ctrOf(padded)));
      expect(err).to.be.instanceOf(CryptoError);
      expect(err).to.include({ code: "CRYPTO_DECRYPT_FAILED", message: "AES padding is invalid" });
    }
  });

  it("never returns garbage: a plaintext that is not UTF-8 is refused, not patched with U+FFFD", function () {
    // What a wrong key yields when the last byte happens to be a valid pad.
    const padded = Buffer.concat([Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.alloc(12, 12)]);
    const err = errorOf(() => aesDecrypt(KEY, ctrOf(padded)));
    expect(err).to.be.instanceOf(CryptoError);
    expect(err).to.have.property("code", "CRYPTO_DECRYPT_FAILED");
  });

  it("decrypts the fixture vector to exactly \"4\"", function () {
    fixturesOrSkip(this);
    const doc = JSON.parse(readFixture("crypto_vectors.json")) as { selfKeyValues: Array<{ keyFile: string; ciphertext: string; plaintext: string }> };
    for (const v of doc.selfKeyValues) {
      const keys = decodeAtKeysFile(readFixture(v.keyFile));
      expect(aesDecrypt(keys.selfEncryptionKey, v.ciphertext)).to.equal(v.plaintext);
    }
  });
});

describe("protocol/crypto review: RSA PKCS#1 v1.5 decryption", function () {
  let priv: KeyObject;
  let pub: KeyObject;
  let privB64: string;
  let otherPrivB64: string;
  before(function () {
    const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
    priv = pair.privateKey;
    pub = pair.publicKey;
    privB64 = priv.export({ type: "pkcs8", format: "der" }).toString("base64");
    otherPrivB64 = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "der" }).toString("base64");
  });

  it("decrypts random plaintexts of every length 0..245 (the 2048-bit limit)", function () {
    for (let len = 0; len <= 245; len++) {
      const m = randomBytes(len);
      const c = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, m);
      expect(rsaPkcs1DecryptManual(priv, c).equals(m), `length ${len}`).to.equal(true);
    }
    expect(() => publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, randomBytes(246))).to.throw();
  });

  it("rsaDecrypt (raw RSA + the padding check) agrees on every length 0..245", function () {
    const pubB64 = pub.export({ type: "spki", format: "der" }).toString("base64");
    for (let len = 0; len <= 245; len++) {
      const text = randomBytes(len).toString("base64").slice(0, len);
      expect(rsaDecrypt(privB64, rsaEncrypt(pubB64, text)), `length ${len}`).to.equal(text);
    }
  });

  /** An RSA block whose raw decryption is exactly `em`. */
  function rawBlock(em: Buffer): Buffer {
    return publicEncrypt({ key: pub, padding: constants.RSA_NO_PADDING }, em);
  }

  function em(first: number, second: number, psLen: number, sep: boolean): Buffer {
    const out = Buffer.alloc(256, 0x11);
    out[0] = first;
    out[1] = second;
    if (sep) out[2 + psLen] = 0;
    return out;
  }

  it("fails every malformed block with the same code and message", function () {
    const blocks = [
      rawBlock(em(0, 1, 20, true)), // block type 1
      rawBlock(em(0, 2, 4, true)), // padding string shorter than 8
      rawBlock(em(0, 2, 0, false)), // no separator
      rawBlock(em(1, 2, 20, true)), // first byte not zero
      Buffer.alloc(256, 0xff), // not below the modulus
      publicEncrypt({ key: createPublicKey(createPrivateKey({ key: Buffer.from(otherPrivB64, "base64"), format: "der", type: "pkcs8" })), padding: constants.RSA_PKCS1_PADDING }, Buffer.from("k")),
    ];
    const shapes = new Set<string>();
    for (const c of blocks) {
      const err = errorOf(() => rsaDecrypt(privB64, c.toString("base64")));
      expect(err).to.be.instanceOf(CryptoError);
      const e = err as CryptoError;
      shapes.add(`${e.code}|${e.message}`);
    }
    expect([...shapes]).to.deep.equal(["CRYPTO_DECRYPT_FAILED|RSA decryption failed"]);
  });
});

describe("protocol/crypto review: .atKeys decoder against corruption", function () {
  const files = ["atkeys/alice_demo.atKeys", "atkeys/bob_demo.atKeys", "atkeys/alice_apkam.atKeys"];
  let decoded: Array<{ file: string; text: string; keys: AtKeys }> = [];
  before(function () {
    fixturesOrSkip(this);
    decoded = files.map((file) => {
      const text = readFixture(file);
      return { file, text, keys: decodeAtKeysFile(text) };
    });
  });

  function secretsOf(k: AtKeys): string[] {
    return [k.pkamPrivateKey ?? "", k.encryptionPrivateKey, k.selfEncryptionKey, k.apkamSymmetricKey ?? ""].filter((s) => s !== "");
  }

  function expectRefused(text: string, keys: AtKeys, what: string): void {
    const err = errorOf(() => decodeAtKeysFile(text));
    expect(err, what).to.be.instanceOf(AtKeysError);
    const msg = `${(err as Error).message} ${String(err)}`;
    for (const s of secretsOf(keys)) {
      expect(msg, what).not.to.include(s.slice(0, 12));
      expect(msg, what).not.to.include(s.slice(-12));
    }
  }

  it("decodes all three fixture files", function () {
    for (const d of decoded) {
      expect(d.keys.atSign).to.match(/^@(alice|bob)🛠$/u);
      expect(d.keys.pkamPrivateKey).to.be.a("string");
    }
    expect(decoded[2]?.keys.enrollmentId).to.be.a("string");
  });

  it("refuses a flipped bit anywhere inside each decrypted private key", function () {
    for (const d of decoded) {
      for (const field of ["pkamPrivateKey", "encryptionPrivateKey"] as const) {
        const der = Buffer.from(d.keys[field] ?? "", "base64");
        for (let off = 0; off < der.length; off += 7) {
          const bad = Buffer.from(der);
          bad[off] = (bad[off] ?? 0) ^ 0x01;
          const text = encodeAtKeysFile({ ...d.keys, [field]: bad.toString("base64") });
          expectRefused(text, d.keys, `${d.file} ${field} byte ${off}`);
        }
      }
    }
  });

  it("refuses a flipped bit inside each decrypted public key", function () {
    for (const d of decoded) {
      for (const field of ["pkamPublicKey", "encryptionPublicKey"] as const) {
        const der = Buffer.from(d.keys[field], "base64");
        for (let off = 0; off < der.length; off += 5) {
          const bad = Buffer.from(der);
          bad[off] = (bad[off] ?? 0) ^ 0x01;
          expectRefused(encodeAtKeysFile({ ...d.keys, [field]: bad.toString("base64") }), d.keys, `${d.file} ${field} byte ${off}`);
        }
      }
    }
  });

  it("refuses damaged ciphertext: truncated, bad padding, not base64, swapped fields", function () {
    for (const d of decoded) {
      const obj = JSON.parse(d.text) as Record<string, string>;
      for (const field of ["aesPkamPublicKey", "aesPkamPrivateKey", "aesEncryptPublicKey", "aesEncryptPrivateKey"]) {
        const ct = Buffer.from(obj[field] ?? "", "base64");
        const lastByte = Buffer.from(ct);
        lastByte[lastByte.length - 1] = (lastByte[lastByte.length - 1] ?? 0) ^ 0x5a;
        const variants: Array<[string, unknown]> = [
          ["truncated by a byte", ct.subarray(0, ct.length - 1).toString("base64")],
          ["truncated by a block", ct.subarray(0, ct.length - 16).toString("base64")],
          ["bad padding", lastByte.toString("base64")],
          ["not base64", "!!!!"],
          ["empty", ""],
          ["a number", 42],
          ["an array", [obj[field]]],
        ];
        for (const [what, value] of variants) {
          expectRefused(JSON.stringify({ ...obj, [field]: value }), d.keys, `${d.file} ${field} ${what}`);
        }
      }
      expectRefused(JSON.stringify({ ...obj, aesEncryptPublicKey: obj["aesPkamPublicKey"] }), d.keys, `${d.file} swapped public keys`);
      expectRefused(JSON.stringify({ ...obj, aesEncryptPrivateKey: obj["aesPkamPrivateKey"] }), d.keys, `${d.file} swapped private keys`);
      const selfKey = Buffer.from(obj["selfEncryptionKey"] ?? "", "base64");
      expectRefused(JSON.stringify({ ...obj, selfEncryptionKey: selfKey.subarray(0, 31).toString("base64") }), d.keys, "31-byte self key");
      selfKey[0] = (selfKey[0] ?? 0) ^ 1;
      expectRefused(JSON.stringify({ ...obj, selfEncryptionKey: selfKey.toString("base64") }), d.keys, "wrong self key");
      expectRefused(JSON.stringify({ ...obj, apkamSymmetricKey: "c2hvcnQ=" }), d.keys, "short apkam key");
    }
  });

  it("refuses files that are not a keys object", function () {
    const d = decoded[0];
    if (!d) throw new Error("no fixture");
    for (const text of ["", "null", "[]", '"x"', "{", d.text.slice(0, d.text.length / 2), `\uFEFF{}`, "{}"]) {
      expectRefused(text, d.keys, JSON.stringify(text.slice(0, 20)));
    }
  });
});
