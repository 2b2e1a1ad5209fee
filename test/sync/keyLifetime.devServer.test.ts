// TTL and TTB on this device (atprotocol.md §3.2): a key is served only while it is live by its
// metadata, as the atServer serves it: from its availableAt/expiresAt (the server's times on a
// pulled key, this device's on a local put, set as the SDK does), else from the local write
// time plus ttb/ttl. Before and after, keys.get and keys.getMeta answer as for a missing key,
// and keys.list leaves it out. Time is the worker's Clock, moved on without sleeping.
import { expect } from "chai";
import { keysGet, keysGetMeta, keysList, keysPut } from "../../daemon/worker/handlers/keys.js";
import type { WorkerContext } from "../../daemon/worker/WorkerContext.js";
import { parseDartDate } from "../../protocol/metadata.js";
import { ErrorCode } from "../../shared/errors.js";
import { useWorkerDevices } from "../support/workerDevice.js";
import { syncOk, useDevServer } from "./support/devHarness.js";

const ALICE = "@alice🛠";
const MINUTE = 60_000;

async function served(ctx: WorkerContext, key: string): Promise<boolean> {
  const listed = (keysList(ctx, { atSign: ALICE })).keys.includes(key);
  const got = await Promise.resolve(keysGet(ctx, { atSign: ALICE, key })).then(() => true, (e: { code?: number }) => {
    expect(e.code, "the code of a missing key").to.equal(ErrorCode.KeyNotFound);
    return false;
  });
  const meta = await Promise.resolve().then(() => keysGetMeta(ctx, { atSign: ALICE, key })).then(() => true, (e: { code?: number }) => {
    expect(e.code, "the code of a missing key").to.equal(ErrorCode.KeyNotFound);
    return false;
  });
  expect([listed, meta], `list and getMeta agree with get on ${key}`).to.deep.equal([got, got]);
  return got;
}

describe("sync: ttl and ttb enforced on this device", function () {
  this.timeout(60_000);
  const h = useDevServer(ALICE, "atsyncd-lifetime", { atSigns: [ALICE], statsIntervalMs: 60_000 });
  const worker = useWorkerDevices(h, ALICE);

  it("scenario: a key put with a ttl is served until it expires, then answers not found (get, getMeta, list)", async () => {
    const a = worker("a");
    const key = `brief.wavi${ALICE}`;
    const before = a.clock.now();
    await keysPut(a.ctx, { atSign: ALICE, key, value: "soon gone", metadata: { ttl: MINUTE } });
    const meta = keysGetMeta(a.ctx, { atSign: ALICE, key }).metadata;
    // Set at put as the SDK does: expiresAt = now + ttl (+ ttb).
    expect(parseDartDate(meta.expiresAt ?? "")).to.be.within(before + MINUTE, a.clock.now() + MINUTE);
    expect(await served(a.ctx, key)).to.equal(true);
    a.clock.advance(MINUTE - 5_000);
    expect(await served(a.ctx, key)).to.equal(true);
    a.clock.advance(10_000);
    expect(await served(a.ctx, key)).to.equal(false);
  });

  it("scenario: a key put with a ttb is not served before it becomes available", async () => {
    const a = worker("a");
    const key = `later.wavi${ALICE}`;
    await keysPut(a.ctx, { atSign: ALICE, key, value: "not yet", metadata: { ttb: MINUTE, ttl: 2 * MINUTE } });
    expect(await served(a.ctx, key)).to.equal(false);
    a.clock.advance(MINUTE + 1_000);
    expect(await served(a.ctx, key)).to.equal(true);
    expect((await keysGet(a.ctx, { atSign: ALICE, key })).value).to.equal("not yet");
    // ttl counts from availableAt: expiresAt = now + ttl + ttb.
    a.clock.advance(2 * MINUTE - 5_000);
    expect(await served(a.ctx, key)).to.equal(true);
    a.clock.advance(10_000);
    expect(await served(a.ctx, key)).to.equal(false);
  });

  it("scenario: a pulled key expires on the second device at the server's expiresAt", async () => {
    const a = worker("a");
    const b = worker("b");
    const key = `pulled.wavi${ALICE}`;
    await keysPut(a.ctx, { atSign: ALICE, key, value: "from a", metadata: { ttl: MINUTE } });
    await syncOk(a.device);
    await syncOk(b.device);
    const pulled = b.device.store.get(key);
    expect(pulled?.metadata.expiresAt, "the server's expiresAt came with the entry").to.be.a("string");
    expect(await served(b.ctx, key)).to.equal(true);
    b.clock.advance(MINUTE + 5_000);
    expect(await served(b.ctx, key)).to.equal(false);
  });

  it("scenario: a stored key with a ttl but no expiresAt expires from its local write time", async () => {
    const a = worker("a");
    const key = `legacy.wavi${ALICE}`;
    // As written by an atsyncd that did not set expiresAt at put.
    const enc = await a.ctx.cipher.encryptForPut(key, "old row");
    a.device.driver.local.put(key, enc.value, { ...enc.metadata, ttl: MINUTE });
    expect(a.device.store.get(key)?.metadata.expiresAt).to.equal(undefined);
    expect(await served(a.ctx, key)).to.equal(true);
    a.clock.advance(MINUTE + 5_000);
    expect(await served(a.ctx, key)).to.equal(false);
  });

  it("scenario: a key without ttl or ttb is served whatever the time", async () => {
    const a = worker("a");
    const key = `forever.wavi${ALICE}`;
    await keysPut(a.ctx, { atSign: ALICE, key, value: "stays" });
    a.clock.advance(365 * 24 * 60 * MINUTE);
    expect(await served(a.ctx, key)).to.equal(true);
  });
});
