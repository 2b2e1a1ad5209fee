import { expect } from "chai";
import { AtKeysError, decodeAtKeysFile, encodeAtKeysFile } from "../../protocol/atKeysFile.js";
import type { AtKeys } from "../../protocol/atKeysFile.js";
import { aesEncrypt } from "../../protocol/crypto.js";
import { fixturesOrSkip, readDemoPlainKeys, readFixture, type DemoPlainKeys } from "../support/fixtures.js";

function expectAtKeysError(fn: () => unknown, code: string, field: string | undefined, secrets: string[]): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).to.be.instanceOf(AtKeysError);
  const e = err as AtKeysError;
  expect(e.code).to.equal(code);
  if (field !== undefined) expect(e.message).to.include(field);
  for (const s of secrets) {
    // No key material, not even a fragment, in the message.
    expect(e.message).not.to.include(s.slice(0, 16));
    expect(e.message).not.to.include(s.slice(-16));
  }
}

describe("protocol/atKeysFile", function () {
  let plain: Record<string, DemoPlainKeys>;
  let aliceText: string;
  let aliceFile: Record<string, string>;
  let secrets: string[];
  before(function () {
    fixturesOrSkip(this);
    plain = readDemoPlainKeys();
    aliceText = readFixture("atkeys/alice_demo.atKeys");
    aliceFile = JSON.parse(aliceText) as Record<string, string>;
    secrets = [...Object.values(aliceFile), ...Object.values(plain["@alice🛠"] ?? {})];
  });

  for (const [file, atSign] of [["alice_demo", "@alice🛠"], ["bob_demo", "@bob🛠"]] as const) {
    it(`decodes ${file}.atKeys to the demo plaintext keys`, function () {
      const keys = decodeAtKeysFile(readFixture(`atkeys/${file}.atKeys`));
      const p = plain[atSign];
      expect(p).to.not.equal(undefined);
      expect(keys).to.deep.equal({
        atSign,
        pkamPublicKey: p?.pkamPublicKey,
        pkamPrivateKey: p?.pkamPrivateKey,
        encryptionPublicKey: p?.encryptionPublicKey,
        encryptionPrivateKey: p?.encryptionPrivateKey,
        selfEncryptionKey: p?.aesKey,
      });
    });
  }

  it("decodes alice_apkam.atKeys with its enrollmentId and apkamSymmetricKey", function () {
    const text = readFixture("atkeys/alice_apkam.atKeys");
    const raw = JSON.parse(text) as Record<string, string>;
    const keys = decodeAtKeysFile(text);
    expect(keys.atSign).to.equal("@alice🛠");
    expect(keys.enrollmentId).to.equal(raw["enrollmentId"]).and.match(/^[0-9a-f-]{36}$/u);
    expect(keys.apkamSymmetricKey).to.equal(raw["apkamSymmetricKey"]);
    expect(keys.pkamPrivateKey).to.be.a("string");
    expect(keys.pkamPublicKey).not.to.equal(plain["@alice🛠"]?.pkamPublicKey);
  });

  it("takes the atSign from the caller, normalized", function () {
    expect(decodeAtKeysFile(aliceText, "ALICE🛠").atSign).to.equal("@alice🛠");
  });

  it("refuses text that is not JSON, without quoting it", function () {
    expectAtKeysError(() => decodeAtKeysFile(aliceText.slice(0, 200)), "ATKEYS_INVALID_JSON", undefined, secrets);
    expectAtKeysError(() => decodeAtKeysFile("[1,2]"), "ATKEYS_INVALID_JSON", undefined, []);
  });

  for (const field of ["aesPkamPublicKey", "aesEncryptPublicKey", "aesEncryptPrivateKey", "selfEncryptionKey"]) {
    it(`names a missing ${field}`, function () {
      const copy = { ...aliceFile };
      delete copy[field];
      expectAtKeysError(() => decodeAtKeysFile(JSON.stringify(copy)), "ATKEYS_MISSING_FIELD", field, secrets);
    });
  }

  it("refuses a file with no atSign field when none is given", function () {
    const copy = { ...aliceFile };
    delete copy["@alice🛠"];
    expectAtKeysError(() => decodeAtKeysFile(JSON.stringify(copy)), "ATKEYS_NO_ATSIGN", undefined, secrets);
    expect(decodeAtKeysFile(JSON.stringify(copy), "@alice🛠").atSign).to.equal("@alice🛠");
  });

  it("refuses a wrong selfEncryptionKey", function () {
    const bob = JSON.parse(readFixture("atkeys/bob_demo.atKeys")) as Record<string, string>;
    const copy = { ...aliceFile, selfEncryptionKey: bob["selfEncryptionKey"] ?? "" };
    expectAtKeysError(() => decodeAtKeysFile(JSON.stringify(copy)), "ATKEYS_BAD_KEY", "aesPkamPublicKey", [...secrets, ...Object.values(bob)]);
    const short = { ...aliceFile, selfEncryptionKey: "c2hvcnQ=" };
    expectAtKeysError(() => decodeAtKeysFile(JSON.stringify(short)), "ATKEYS_BAD_KEY", "selfEncryptionKey", secrets);
  });

  for (const field of ["aesPkamPrivateKey", "aesEncryptPrivateKey", "aesEncryptPublicKey"]) {
    it(`refuses a truncated ${field}`, function () {
      const ct = aliceFile[field] ?? "";
      const bytes = Buffer.from(ct, "base64");
      for (const len of [bytes.length - 7, bytes.length - 32]) {
        const copy = { ...aliceFile, [field]: bytes.subarray(0, len).toString("base64") };
        expectAtKeysError(() => decodeAtKeysFile(JSON.stringify(copy)), "ATKEYS_BAD_KEY", field, secrets);
      }
    });
  }

  it("refuses a private key that does not match its public key", function () {
    const bob = plain["@bob🛠"];
    const se = aliceFile["selfEncryptionKey"] ?? "";
    const copy = { ...aliceFile, aesPkamPrivateKey: aesEncrypt(se, bob?.pkamPrivateKey ?? "") };
    expectAtKeysError(() => decodeAtKeysFile(JSON.stringify(copy)), "ATKEYS_BAD_KEY", "PKAM", secrets);
  });

  it("accepts a file without the PKAM private key (secure element)", function () {
    const copy = { ...aliceFile };
    delete copy["aesPkamPrivateKey"];
    const keys = decodeAtKeysFile(JSON.stringify(copy));
    expect(keys.pkamPrivateKey).to.equal(undefined);
    expect(keys.pkamPublicKey).to.equal(plain["@alice🛠"]?.pkamPublicKey);
  });

  it("encode → decode round-trips, and re-encodes the fixture byte for byte", function () {
    for (const file of ["alice_demo", "bob_demo", "alice_apkam"]) {
      const text = readFixture(`atkeys/${file}.atKeys`);
      const keys: AtKeys = decodeAtKeysFile(text);
      const again = encodeAtKeysFile(keys);
      expect(decodeAtKeysFile(again)).to.deep.equal(keys);
      expect(JSON.parse(again)).to.deep.equal(JSON.parse(text));
    }
  });
});
