// Shared keys (atprotocol.md §6.2) over the life of a sharing: two devices of the owner minting
// one for the same recipient at once, and the recipient's public key replaced. No value the
// owner wrote may become unreadable to the owner (on any of its devices) or to the recipient.
// Two worker devices of @alice against the dev-server over TLS; @bob reads as the SDK does,
// from the value's sharedKeyEnc, with whatever keys he holds.
import { expect } from "chai";
import { ValueCipher } from "../../daemon/crypto/ValueCipher.js";
import { keysGet, keysPut } from "../../daemon/worker/handlers/keys.js";
import type { AtKeys } from "../../protocol/atKeysFile.js";
import { generateRsaKeyPair, md5Hex } from "../../protocol/crypto.js";
import { metadataFromWire } from "../../protocol/metadata.js";
import { MemoryCipherContext } from "../crypto/memoryCipherContext.js";
import { useWorkerDevices, type WorkerDevice } from "../support/workerDevice.js";
import { converge, keysOf, rawRemote, syncOk, useDevServer, type DevServerSuite } from "./support/devHarness.js";

const ALICE = "@alice🛠";
const BOB = "@bob🛠";
const MY_COPY = `shared_key.bob🛠${ALICE}`;

/** What bob reads from alice's atServer for `key`, decrypted with `keys` (his, current or not). */
async function bobReads(h: DevServerSuite, keys: AtKeys, key: string): Promise<string> {
  const all = JSON.parse(await h.raw.request(`llookup:all:${key}`)) as { data: string; metaData: Record<string, unknown> };
  const bob = new ValueCipher(keys, new MemoryCipherContext());
  return bob.decryptForGet(key, all.data, metadataFromWire(all.metaData));
}

async function read(w: WorkerDevice, key: string): Promise<string> {
  return (await keysGet(w.ctx, { atSign: ALICE, key })).value;
}

/** Syncs both devices until their background repairs are done and nothing is left to move. */
async function settle(a: WorkerDevice, b: WorkerDevice): Promise<void> {
  for (let round = 0; round < 3; round++) {
    await converge(a.device, b.device);
    await a.settled();
    await b.settled();
  }
}

describe("sync: shared keys minted on two devices, and a recipient whose public key changed", function () {
  this.timeout(90_000);
  const h = useDevServer(ALICE, "atsyncd-sharedkeys", { atSigns: [ALICE, BOB], statsIntervalMs: 60_000 });
  const worker = useWorkerDevices(h, ALICE);
  // Each scenario starts from atServers that never shared anything (and bob's own public key).
  beforeEach(async () => {
    await h.dev.reset(ALICE);
    await h.dev.reset(BOB);
  });

  it("scenario: two devices mint shared_key.bob@alice at once; after it converges the owner reads both devices' values on both, and so does bob", async () => {
    const a = worker("a");
    const b = worker("b");
    await converge(a.device, b.device);
    // Neither has pushed when the other mints: each makes its own key.
    await a.device.goOffline();
    await b.device.goOffline();
    await keysPut(a.ctx, { atSign: ALICE, key: `${BOB}:from-a.wavi${ALICE}`, value: "written on a" });
    await keysPut(b.ctx, { atSign: ALICE, key: `${BOB}:from-b.wavi${ALICE}`, value: "written on b" });
    expect(a.device.store.get(MY_COPY)?.value).to.not.equal(b.device.store.get(MY_COPY)?.value);
    a.device.start();
    b.device.start();
    await settle(a, b);
    expect(a.device.store.get(MY_COPY)?.value).to.equal(b.device.store.get(MY_COPY)?.value);
    for (const w of [a, b]) {
      expect(await read(w, `${BOB}:from-a.wavi${ALICE}`)).to.equal("written on a");
      expect(await read(w, `${BOB}:from-b.wavi${ALICE}`)).to.equal("written on b");
    }
    const bobKeys = keysOf(h.dev, BOB);
    expect(await bobReads(h, bobKeys, `${BOB}:from-a.wavi${ALICE}`)).to.equal("written on a");
    expect(await bobReads(h, bobKeys, `${BOB}:from-b.wavi${ALICE}`)).to.equal("written on b");
  });

  it("scenario: a device whose minted key lost convergence still reads the values it encrypted under it", async () => {
    const a = worker("a");
    const b = worker("b");
    await a.device.goOffline();
    await b.device.goOffline();
    await keysPut(a.ctx, { atSign: ALICE, key: `${BOB}:early.wavi${ALICE}`, value: "a's own" });
    await keysPut(b.ctx, { atSign: ALICE, key: `${BOB}:other.wavi${ALICE}`, value: "b's own" });
    // a pushes its key first; b's local change wins over it (local-wins) and a then takes b's.
    const mintedOnB = b.device.store.get(MY_COPY)?.value;
    a.device.start();
    await syncOk(a.device);
    b.device.start();
    await syncOk(b.device);
    await syncOk(a.device);
    expect(a.device.store.get(MY_COPY)?.value, "b's key is in effect on a").to.equal(mintedOnB);
    expect(await read(a, `${BOB}:early.wavi${ALICE}`)).to.equal("a's own");
    await settle(a, b);
    expect(await read(b, `${BOB}:early.wavi${ALICE}`)).to.equal("a's own");
  });

  it("scenario: bob's public key replaced on the dev-server: once the cache time passes a new shared key is minted that bob's new key decrypts, older values included", async () => {
    const a = worker("a");
    const b = worker("b");
    await keysPut(a.ctx, { atSign: ALICE, key: `${BOB}:before.wavi${ALICE}`, value: "before the change" });
    await settle(a, b);
    const oldCopy = a.device.store.get(MY_COPY)?.value;
    expect(oldCopy).to.be.a("string");

    // Bob makes a new encryption key pair and publishes it, as a re-onboarded atSign would.
    const fresh = await generateRsaKeyPair();
    const bobRemote = rawRemote(h.dev, BOB);
    try {
      await bobRemote.request(`update:public:publickey${BOB} ${fresh.publicKey}`);
    } finally {
      await bobRemote.close();
    }
    const newBob: AtKeys = { ...keysOf(h.dev, BOB), encryptionPublicKey: fresh.publicKey, encryptionPrivateKey: fresh.privateKey };

    // Past the bounded cache time of bob's public key, the next put checks it again.
    a.clock.advance(60 * 60_000);
    await keysPut(a.ctx, { atSign: ALICE, key: `${BOB}:after.wavi${ALICE}`, value: "after the change" });
    expect(a.device.store.get(`${BOB}:after.wavi${ALICE}`)?.metadata.pubKeyCS).to.equal(md5Hex(fresh.publicKey));
    expect(a.device.store.get(MY_COPY)?.value, "a new shared key").to.not.equal(oldCopy);
    await settle(a, b);

    expect(await bobReads(h, newBob, `${BOB}:after.wavi${ALICE}`)).to.equal("after the change");
    expect(await bobReads(h, newBob, `${BOB}:before.wavi${ALICE}`)).to.equal("before the change");
    for (const w of [a, b]) {
      expect(await read(w, `${BOB}:before.wavi${ALICE}`)).to.equal("before the change");
      expect(await read(w, `${BOB}:after.wavi${ALICE}`)).to.equal("after the change");
    }
  });
});
