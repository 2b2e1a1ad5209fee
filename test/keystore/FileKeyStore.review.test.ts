// Review of FileKeyStore's file handling: a key file that is a symlink is refused (it could point
// at a file another user controls), and the store reads through a writer's leftover temp file.
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { FileKeyStore, KEY_FILE_NAME } from "../../daemon/keystore/FileKeyStore.js";
import { KeyStoreError, KeyStoreErrorCode } from "../../daemon/keystore/KeyStore.js";
import { fakeAtKeys } from "./contract.js";

describe("FileKeyStore review", function () {
  let root: string;
  let dataDir: string;
  beforeEach(function () {
    root = mkdtempSync(join(tmpdir(), "atsyncd-keystore-review-"));
    dataDir = join(root, "data");
    mkdirSync(dataDir, { mode: 0o700 });
  });
  afterEach(function () {
    rmSync(root, { recursive: true, force: true });
  });

  it("refuses a key file that is a symlink, even to a private file", async function () {
    const target = join(root, "elsewhere.json");
    const keys = fakeAtKeys("@alice🛠");
    writeFileSync(target, JSON.stringify({ version: 1, atSigns: { "@alice🛠": keys } }), { mode: 0o600 });
    symlinkSync(target, join(dataDir, KEY_FILE_NAME));
    let err: unknown;
    try {
      await new FileKeyStore({ dataDir }).get("@alice🛠");
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(KeyStoreError);
    expect((err as KeyStoreError).reason).to.equal(KeyStoreErrorCode.Io);
    expect((err as Error).message).not.to.contain(keys.encryptionPrivateKey.slice(0, 16));
  });

  it("ignores a temp file left by a crashed writer, and writes 0600 under any umask", async function () {
    writeFileSync(join(dataDir, `.${KEY_FILE_NAME}.999.abc.tmp`), "{half", { mode: 0o600 });
    const old = process.umask(0o000);
    try {
      const store = new FileKeyStore({ dataDir });
      await store.set("@alice🛠", fakeAtKeys("@alice🛠"));
      expect(await store.list()).to.deep.equal(["@alice🛠"]);
    } finally {
      process.umask(old);
    }
    expect(statSync(join(dataDir, KEY_FILE_NAME)).mode & 0o777).to.equal(0o600);
    expect(statSync(dataDir).mode & 0o777).to.equal(0o700);
  });
});
