import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { FileKeyStore, KEY_FILE_NAME } from "../../daemon/keystore/FileKeyStore.js";
import { KeyStoreError, KeyStoreErrorCode } from "../../daemon/keystore/KeyStore.js";
import { ErrorCode } from "../../shared/errors.js";
import { fixturesOrSkip, readFixture } from "../support/fixtures.js";
import { fakeAtKeys, runKeyStoreContract } from "./contract.js";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "atsyncd-keystore-"));
}

async function rejection(p: Promise<unknown>): Promise<KeyStoreError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(KeyStoreError);
    return e as KeyStoreError;
  }
  throw new Error("expected a rejection");
}

runKeyStoreContract("FileKeyStore", async () => {
  const root = tempDir();
  const dataDir = join(root, "data");
  return {
    store: new FileKeyStore({ dataDir }),
    reopen: async () => new FileKeyStore({ dataDir }),
    cleanup: async () => rmSync(root, { recursive: true, force: true }),
  };
});

describe("FileKeyStore", function () {
  let root: string;
  let dataDir: string;
  let store: FileKeyStore;
  beforeEach(function () {
    root = tempDir();
    dataDir = join(root, "data");
    store = new FileKeyStore({ dataDir });
  });
  afterEach(function () {
    rmSync(root, { recursive: true, force: true });
  });

  it("writes the file 0600 in a 0700 directory, tightening a looser data dir", async function () {
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    await store.set("@alice🛠", fakeAtKeys("@alice🛠"));
    expect(statSync(join(dataDir, KEY_FILE_NAME)).mode & 0o777).to.equal(0o600);
    expect(statSync(dataDir).mode & 0o777).to.equal(0o700);
    expect(store.kind).to.equal("file");
    expect(store.description).to.contain(join(dataDir, KEY_FILE_NAME));
  });

  it("replaces the file atomically and leaves no temp file behind", async function () {
    await store.set("@alice🛠", fakeAtKeys("@alice🛠"));
    const path = join(dataDir, KEY_FILE_NAME);
    const inodeBefore = statSync(path).ino;
    await store.set("@bob🛠", fakeAtKeys("@bob🛠"));
    // A rename puts a new inode in place; an in-place rewrite would keep the old one.
    expect(statSync(path).ino).to.not.equal(inodeBefore);
    expect(readdirSync(dataDir)).to.deep.equal([KEY_FILE_NAME]);
    const parsed = JSON.parse(readFileSync(path, "utf8")) as { version: number; atSigns: Record<string, unknown> };
    expect(parsed.version).to.equal(1);
    expect(Object.keys(parsed.atSigns)).to.deep.equal(["@alice🛠", "@bob🛠"]);
  });

  it("keeps the old file when a write fails half-way", async function () {
    // A file name so long that the temp file beside it cannot be created (ENAMETOOLONG):
    // a failure that even root meets, unlike a read-only directory.
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const path = join(dataDir, "k".repeat(240));
    const first = new FileKeyStore({ dataDir, path });
    const keys = fakeAtKeys("@alice🛠");
    const before = JSON.stringify({ version: 1, atSigns: { "@alice🛠": keys } });
    writeFileSync(path, before, { mode: 0o600 });
    expect(await first.get("@alice🛠")).to.deep.equal(keys);
    const err = await rejection(first.set("@bob🛠", fakeAtKeys("@bob🛠")));
    expect(err.reason).to.equal(KeyStoreErrorCode.Io);
    expect(err.message).to.contain("ENAMETOOLONG");
    expect(readFileSync(path, "utf8")).to.equal(before);
    expect(readdirSync(dataDir)).to.have.length(1);
    expect(await first.list()).to.deep.equal(["@alice🛠"]);
  });

  it("refuses a file others can read, and says how to fix it", async function () {
    await store.set("@alice🛠", fakeAtKeys("@alice🛠"));
    const path = join(dataDir, KEY_FILE_NAME);
    chmodSync(path, 0o644);
    const err = await rejection(store.get("@alice🛠"));
    expect(err.reason).to.equal(KeyStoreErrorCode.InsecurePermissions);
    expect(err.code).to.equal(ErrorCode.KeyStoreUnavailable);
    expect(err.message).to.contain(path).and.contain("0644").and.contain("chmod 600");
    // Nor does it write over it (that would bless the loose file).
    await rejection(store.set("@bob🛠", fakeAtKeys("@bob🛠")));
    expect(statSync(path).mode & 0o777).to.equal(0o644);
  });

  it("refuses a 0600 key file that belongs to another uid, and leaves it as it is", async function () {
    // chown to another uid needs root (CI runs as root).
    if (process.getuid?.() !== 0) {
      process.stdout.write("      (skipped: needs root, to chown a file to another uid)\n");
      this.skip();
    }
    await store.set("@alice🛠", fakeAtKeys("@alice🛠"));
    const path = join(dataDir, KEY_FILE_NAME);
    chownSync(path, 65534, 65534);
    const before = readFileSync(path, "utf8");
    const err = await rejection(store.get("@alice🛠"));
    expect(err.reason).to.equal(KeyStoreErrorCode.InsecurePermissions);
    expect(err.code).to.equal(ErrorCode.KeyStoreUnavailable);
    expect(err.message).to.equal(`The key file ${path} belongs to uid 65534, not to this user (uid 0); atsyncd refuses to use it.`);
    // Nor does a write replace it with a file of ours (that would take over what another user's file said).
    expect((await rejection(store.set("@bob🛠", fakeAtKeys("@bob🛠")))).reason).to.equal(KeyStoreErrorCode.InsecurePermissions);
    expect([statSync(path).uid, statSync(path).mode & 0o777, readFileSync(path, "utf8")]).to.deep.equal([65534, 0o600, before]);
  });

  it("reports a corrupt file by path without quoting its contents", async function () {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const path = join(dataDir, KEY_FILE_NAME);
    const secretLike = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC";
    writeFileSync(path, `{"version":1,"atSigns":{"@alice🛠":{"atSign":"${secretLike}`, { mode: 0o600 });
    const err = await rejection(store.list());
    expect(err.reason).to.equal(KeyStoreErrorCode.Corrupt);
    expect(err.message).to.contain(path).and.contain("not valid JSON");
    expect(err.message).to.not.contain(secretLike);
  });

  it("reports an entry with a missing field by atSign and field", async function () {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const keys: Record<string, unknown> = { ...fakeAtKeys("@alice🛠") };
    delete keys.encryptionPrivateKey;
    writeFileSync(join(dataDir, KEY_FILE_NAME), JSON.stringify({ version: 1, atSigns: { "@alice🛠": keys } }), { mode: 0o600 });
    const err = await rejection(store.get("@alice🛠"));
    expect(err.reason).to.equal(KeyStoreErrorCode.Corrupt);
    expect(err.message).to.contain("@alice🛠").and.contain("encryptionPrivateKey");
    expect(err.message).to.not.contain(String(keys.selfEncryptionKey));
  });

  it("refuses a file of an unknown format version", async function () {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dataDir, KEY_FILE_NAME), JSON.stringify({ version: 9, atSigns: {} }), { mode: 0o600 });
    const err = await rejection(store.list());
    expect(err.reason).to.equal(KeyStoreErrorCode.Corrupt);
    expect(err.message).to.contain("version 9");
  });

  it("does not create anything on reads or deletes of an empty store", async function () {
    expect(await store.list()).to.deep.equal([]);
    expect(await store.delete("@alice🛠")).to.equal(false);
    expect(existsSync(dataDir)).to.equal(false);
  });

  it("stores the demo keys decoded from the fixtures", async function () {
    fixturesOrSkip(this);
    const plain = JSON.parse(readFixture("atkeys/demo_plaintext_keys.json")) as Record<string, Record<string, string>>;
    const alice = plain["@alice🛠"];
    if (alice === undefined) throw new Error("fixture lacks @alice🛠");
    const keys = {
      atSign: "@alice🛠",
      pkamPublicKey: String(alice.pkamPublicKey),
      pkamPrivateKey: String(alice.pkamPrivateKey),
      encryptionPublicKey: String(alice.encryptionPublicKey),
      encryptionPrivateKey: String(alice.encryptionPrivateKey),
      selfEncryptionKey: String(alice.aesKey),
    };
    await store.set("@alice🛠", keys);
    expect(await new FileKeyStore({ dataDir }).get("@alice🛠")).to.deep.equal(keys);
  });
});
