import { expect } from "chai";
import { AtKeysError } from "../../protocol/atKeysFile.js";
import { CodedError } from "../../protocol/CodedError.js";
import { CryptoError } from "../../protocol/cryptoError.js";
import { StoreError } from "../../daemon/store/StoreError.js";

describe("protocol/CodedError", function () {
  it("gives each subclass its own name and keeps its code", function () {
    const cases: Array<[CodedError<string>, string, string]> = [
      [new AtKeysError("ATKEYS_BAD_KEY", "pkamPrivateKey is not a key"), "AtKeysError", "ATKEYS_BAD_KEY"],
      [new CryptoError("CRYPTO_DECRYPT_FAILED", "decryption failed"), "CryptoError", "CRYPTO_DECRYPT_FAILED"],
      [new StoreError("STORE_CORRUPT", "not a database"), "StoreError", "STORE_CORRUPT"],
    ];
    for (const [err, name, code] of cases) {
      expect(err).to.be.instanceOf(Error).and.instanceOf(CodedError);
      expect(err.name).to.equal(name);
      expect(err.code).to.equal(code);
      expect(String(err)).to.equal(`${name}: ${err.message}`);
    }
  });

  it("keeps StoreError's fatal classification", function () {
    expect(new StoreError("STORE_SCHEMA_TOO_NEW", "v9").fatal).to.equal(true);
    expect(new StoreError("STORE_KEY_NOT_FOUND", "k").fatal).to.equal(false);
  });
});
