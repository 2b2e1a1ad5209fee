// "The fixtures decode": the demo .atKeys decode to the published plaintext keys, the Dart
// client's ciphertext decrypts, and two devices using the demo @alice🛠's real keys sync a
// self-encrypted value through a dev-server that imported them.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevServer, type DevServer } from "../../atserver/index.js";
import { decodeAtKeysFile } from "../../protocol/atKeysFile.js";
import { aesDecrypt, aesEncrypt, randomIvB64, rsaVerify } from "../../protocol/crypto.js";
import { fixturesDir, fixturesOrSkip, readDemoAtKeys, readDemoPlainKeys, readFixture, type DemoPlainKeys } from "../support/fixtures.js";
import { converge, Device } from "./support/devHarness.js";

const ALICE = "@alice🛠";

describe("sync: the shared fixtures", function () {
  this.timeout(60_000);
  let plain: Record<string, DemoPlainKeys>;

  before(function () {
    fixturesOrSkip(this);
    plain = readDemoPlainKeys();
  });

  it("the demo .atKeys files decode to the published plaintext keys", () => {
    for (const [file, atSign] of [["alice_demo.atKeys", ALICE], ["bob_demo.atKeys", "@bob🛠"]] as const) {
      const keys = decodeAtKeysFile(readFixture(`atkeys/${file}`));
      const p = plain[atSign]!;
      expect(keys.atSign).to.equal(atSign);
      expect([keys.pkamPublicKey, keys.encryptionPublicKey, keys.encryptionPrivateKey, keys.selfEncryptionKey])
        .to.deep.equal([p.pkamPublicKey, p.encryptionPublicKey, p.encryptionPrivateKey, p.aesKey]);
    }
  });

  it("the Dart client's self-key ciphertext and PKAM signature check out with the decoded keys", () => {
    const keys = readDemoAtKeys("alice");
    const vectors = JSON.parse(readFixture("crypto_vectors.json")) as { selfKeyValues: Array<{ ciphertext: string; plaintext: string }> };
    for (const v of vectors.selfKeyValues) expect(aesDecrypt(keys.selfEncryptionKey, v.ciphertext)).to.equal(v.plaintext);
    const challenge = readFixture("pkam/challenge.txt").trim();
    expect(rsaVerify(keys.pkamPublicKey, challenge, readFixture("pkam/sig_sha256.b64").trim(), "sha256")).to.equal(true);
  });

  describe("with the demo keys served by a dev-server", () => {
    let dataDir: string;
    let dir: string;
    let dev: DevServer;
    const devices: Device[] = [];

    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), "atsyncd-demo-dev-"));
      dir = mkdtempSync(join(tmpdir(), "atsyncd-demo-devices-"));
      dev = await startDevServer({ dataDir, importAtKeys: [join(fixturesDir, "atkeys", "alice_demo.atKeys")], statsIntervalMs: 60_000 });
    });

    after(async () => {
      for (const d of devices) await d.close();
      await dev?.stop();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    });

    it("scenario: two devices of the demo @alice🛠 sync a self-encrypted value (fresh ivNonce) and decrypt it", async () => {
      const a = new Device(dev, ALICE, dir, "a");
      const b = new Device(dev, ALICE, dir, "b");
      devices.push(a, b);
      a.start();
      b.start();
      const selfKey = plain[ALICE]!.aesKey;
      const iv = randomIvB64();
      a.driver.local.put(`phone.wavi${ALICE}`, aesEncrypt(selfKey, "+1 555 0199", iv), { isEncrypted: true, ivNonce: iv });
      const [ca, cb] = await converge(a, b);
      expect(ca).to.deep.equal(cb);
      const got = b.store.get(`phone.wavi${ALICE}`)!;
      expect(got.metadata.ivNonce).to.equal(iv);
      expect(aesDecrypt(selfKey, got.value, got.metadata.ivNonce)).to.equal("+1 555 0199");
    });
  });
});
