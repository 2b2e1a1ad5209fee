import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { isSecretFieldName, redactText, redactValue } from "../../daemon/log/redact.js";

describe("redact", function () {
  it("knows secret field names in any case or separator style", function () {
    for (const n of ["privateKey", "pkamPrivateKey", "encryption_private_key", "selfEncryptionKey", "apkamSymmetricKey", "signature", "value", "atKeys", "cramSecret", "Authorization", "keys"]) {
      expect(isSecretFieldName(n), n).to.equal(true);
    }
    for (const n of ["key", "atSign", "commitId", "namespace", "publicKeyFingerprint", "error"]) {
      expect(isSecretFieldName(n), n).to.equal(false);
    }
  });

  it("cuts base64 keys, hex digests and PEM blocks out of text, leaving words and paths", function () {
    const b64 = randomBytes(64).toString("base64");
    const digest = createHash("sha512").update("x").digest("hex");
    const pem = `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----`;
    expect(redactText(`pkam:${b64}`)).to.equal(`pkam:[redacted ${b64.length} chars]`);
    expect(redactText(`cram:${digest}`)).to.equal("cram:[redacted 128 chars]");
    expect(redactText(`key ${pem} end`)).to.equal("key [redacted PEM] end");
    const plain = "update:public:phone.wavi@alice🛠 /home/ann/.local/share/atsyncd/alice-atsign-store/shared-keys/x";
    expect(redactText(plain)).to.equal(plain);
    expect(redactText("short AbC123+/")).to.equal("short AbC123+/");
  });

  it("walks nested values: errors, arrays, buffers, cycles, bigints", function () {
    const cyclic: Record<string, unknown> = { name: "c" };
    cyclic.self = cyclic;
    const out = redactValue({
      list: [{ signature: "s" }, 1n],
      buf: Buffer.from("secret bytes"),
      cyclic,
      cause: new Error("outer", { cause: new Error("inner") }),
    }) as Record<string, unknown>;
    expect(out.list).to.deep.equal([{ signature: "[redacted]" }, "1"]);
    expect(out.buf).to.equal("[12 bytes]");
    expect(out.cyclic).to.deep.equal({ name: "c", self: "[circular]" });
    expect((out.cause as { cause: { message: string } }).cause.message).to.equal("inner");
  });
});
