// Interop of ValueCipher with the reference SDK's formats (atprotocol.md §6.2), checked against
// an independent implementation written here with node:crypto only (not protocol/crypto.ts):
// the shared key travels as the base64 string of the AES key, RSA PKCS#1 v1.5-encrypted;
// pubKeyCS is the MD5 hex of the reader's base64 public key string; public values are signed
// over the UTF-8 value with the encryption private key; a missing ivNonce means a zero IV.
import { expect } from "chai";
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  verify,
} from "node:crypto";
import { ValueCipher } from "../../daemon/crypto/ValueCipher.js";
import type { AtKeys } from "../../protocol/atKeysFile.js";
import { fixturesOrSkip, readDemoAtKeys } from "../support/fixtures.js";
import { MemoryCipherContext } from "./memoryCipherContext.js";

const ALICE = "@alice🛠";
const BOB = "@bob🛠";

// ---- the reference formats, from scratch ----
function dartAesEncrypt(key: Buffer, plaintext: string, iv: Buffer = Buffer.alloc(16)): string {
  const data = Buffer.from(plaintext, "utf8");
  const pad = 16 - (data.length % 16);
  const c = createCipheriv("aes-256-ctr", key, iv);
  return Buffer.concat([c.update(Buffer.concat([data, Buffer.alloc(pad, pad)])), c.final()]).toString("base64");
}

function dartAesDecrypt(key: Buffer, ciphertextB64: string, iv: Buffer): string {
  const d = createDecipheriv("aes-256-ctr", key, iv);
  const padded = Buffer.concat([d.update(Buffer.from(ciphertextB64, "base64")), d.final()]);
  const pad = padded[padded.length - 1] ?? 0;
  expect(pad).to.be.within(1, 16);
  expect(padded.subarray(padded.length - pad).every((b) => b === pad)).to.equal(true);
  return padded.subarray(0, padded.length - pad).toString("utf8");
}

function wrapKey(publicKeyB64: string, aesKey: Buffer): string {
  const pub = createPublicKey({ key: Buffer.from(publicKeyB64, "base64"), format: "der", type: "spki" });
  // The SDK encrypts the base64 text of the key, as ASCII bytes.
  return publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(aesKey.toString("base64"), "ascii")).toString("base64");
}

/** PKCS#1 v1.5 unwrapping by hand over a raw RSA decryption (Node 20 refuses the padding itself). */
function unwrapKey(privateKeyB64: string, wrappedB64: string): Buffer {
  const priv = createPrivateKey({ key: Buffer.from(privateKeyB64, "base64"), format: "der", type: "pkcs8" });
  const em = privateDecrypt({ key: priv, padding: constants.RSA_NO_PADDING }, Buffer.from(wrappedB64, "base64"));
  expect(em[0]).to.equal(0);
  expect(em[1]).to.equal(2);
  const sep = em.indexOf(0, 2);
  expect(sep).to.be.at.least(10);
  const text = em.subarray(sep + 1).toString("ascii");
  expect(text).to.match(/^[A-Za-z0-9+/]{43}=$/u);
  return Buffer.from(text, "base64");
}

const md5 = (s: string): string => createHash("md5").update(s, "utf8").digest("hex");

describe("ValueCipher interop with the reference formats", function () {
  let alice: AtKeys;
  let bob: AtKeys;
  let aliceCtx: MemoryCipherContext;
  let aliceCipher: ValueCipher;
  let bobCipher: ValueCipher;

  before(function () {
    fixturesOrSkip(this);
    alice = readDemoAtKeys("alice");
    bob = readDemoAtKeys("bob");
  });

  beforeEach(function () {
    aliceCtx = new MemoryCipherContext();
    aliceCtx.publicKeys.set(BOB, bob.encryptionPublicKey);
    const bobCtx = new MemoryCipherContext();
    bobCtx.publicKeys.set(ALICE, alice.encryptionPublicKey);
    aliceCipher = new ValueCipher(alice, aliceCtx);
    bobCipher = new ValueCipher(bob, bobCtx);
  });

  it("bob's demo keys read a shared value another client wrote for him with a zero IV", async function () {
    const k = randomBytes(32);
    const value = dartAesEncrypt(k, "meet at 🛠 6pm: bring @carol");
    const metadata = { isEncrypted: true, sharedKeyEnc: wrapKey(bob.encryptionPublicKey, k), pubKeyCS: md5(bob.encryptionPublicKey) };
    expect(await bobCipher.decryptForGet(`${BOB}:plan.wavi${ALICE}`, value, metadata)).to.equal("meet at 🛠 6pm: bring @carol");
  });

  it("writes shared values the reference reads: wrapped base64 key, md5 pubKeyCS, ivNonce", async function () {
    const put = await aliceCipher.encryptForPut(`${BOB}:phone.wavi${ALICE}`, "+44 🛠 1234");
    const meta = put.metadata;
    expect(meta.isEncrypted).to.equal(true);
    expect(meta.pubKeyCS).to.equal(md5(bob.encryptionPublicKey));
    const k = unwrapKey(bob.encryptionPrivateKey, meta.sharedKeyEnc ?? "");
    expect(k).to.have.length(32);
    const iv = Buffer.from(meta.ivNonce ?? "", "base64");
    expect(iv).to.have.length(16);
    expect(dartAesDecrypt(k, put.value, iv)).to.equal("+44 🛠 1234");
    // Alice's own copy holds the same key, wrapped for her own public key.
    const mine = aliceCtx.local.get(`shared_key.bob🛠${ALICE}`);
    expect(unwrapKey(alice.encryptionPrivateKey, mine?.value ?? "").equals(k)).to.equal(true);
    const theirs = aliceCtx.local.get(`${BOB}:shared_key${ALICE}`);
    expect(unwrapKey(bob.encryptionPrivateKey, theirs?.value ?? "").equals(k)).to.equal(true);
  });

  it("signs public values over the UTF-8 value with the encryption key, not the PKAM key", async function () {
    const value = "london 🛠: 51.5@N";
    const put = await aliceCipher.encryptForPut(`public:location.wavi${ALICE}`, value);
    expect(put.value).to.equal(value);
    const sig = Buffer.from(put.metadata.dataSignature ?? "", "base64");
    const pub = (b64: string): ReturnType<typeof createPublicKey> => createPublicKey({ key: Buffer.from(b64, "base64"), format: "der", type: "spki" });
    expect(verify("sha256", Buffer.from(value, "utf8"), pub(alice.encryptionPublicKey), sig)).to.equal(true);
    expect(verify("sha256", Buffer.from(value, "utf8"), pub(alice.pkamPublicKey), sig)).to.equal(false);
  });

  it("reads a self value another client wrote with a zero IV, and one with an ivNonce", async function () {
    const key = Buffer.from(alice.selfEncryptionKey, "base64");
    const zero = dartAesEncrypt(key, "0123456789abcdef"); // a whole block: a whole block of padding
    expect(await aliceCipher.decryptForGet(`phone.wavi${ALICE}`, zero, { isEncrypted: true })).to.equal("0123456789abcdef");
    const iv = randomBytes(16);
    const withIv = dartAesEncrypt(key, "with iv 🛠", iv);
    expect(await aliceCipher.decryptForGet(`phone.wavi${ALICE}`, withIv, { isEncrypted: true, ivNonce: iv.toString("base64") })).to.equal("with iv 🛠");
  });

  it("writes self values the reference reads with the self encryption key and ivNonce", async function () {
    const put = await aliceCipher.encryptForPut(`phone.wavi${ALICE}`, "self 🛠");
    const iv = Buffer.from(put.metadata.ivNonce ?? "", "base64");
    expect(dartAesDecrypt(Buffer.from(alice.selfEncryptionKey, "base64"), put.value, iv)).to.equal("self 🛠");
  });
});
