// The "Show": two devices of one atSign (own store files, own TLS connections and
// monitors) against the real dev-server, converging after each scenario named in the title.
import { expect } from "chai";
import { aesDecrypt, aesEncrypt, generateAesKeyB64, md5Hex, randomIvB64, rsaDecrypt, rsaEncrypt } from "../../protocol/crypto.js";
import { converge, keysOf, rawRemote, useDevServer } from "./support/devHarness.js";
import { waitFor } from "./support/waitFor.js";

const ALICE = "@alice🛠";
const CAROL = "@carol🛠";

describe("sync: two devices of one atSign against the dev-server over TLS", function () {
  this.timeout(60_000);
  const h = useDevServer(ALICE, "atsyncd-dev", { atSigns: [ALICE, CAROL], statsIntervalMs: 60_000 });

  it("scenario: writes on both devices while one is offline converge (local-wins conflict recorded)", async () => {
    const a = h.device("a");
    const b = h.device("b");
    a.start();
    b.start();
    await converge(a, b);
    await b.goOffline();
    for (let i = 0; i < 5; i++) a.driver.local.put(`off${i}.wavi${ALICE}`, `a${i}`);
    await a.driver.syncNow();
    for (let i = 5; i < 8; i++) b.driver.local.put(`off${i}.wavi${ALICE}`, `b${i}`);
    b.driver.local.put(`off0.wavi${ALICE}`, "b-wins");
    b.start();
    const [ca, cb] = await converge(a, b);
    expect(ca).to.deep.equal(cb);
    expect(ca.get(`off0.wavi${ALICE}`)).to.equal("b-wins");
    for (let i = 1; i < 5; i++) expect(ca.get(`off${i}.wavi${ALICE}`)).to.equal(`a${i}`);
    for (let i = 5; i < 8; i++) expect(cb.get(`off${i}.wavi${ALICE}`)).to.equal(`b${i}`);
    expect(await h.serverValue(`off0.wavi${ALICE}`)).to.equal("b-wins");
    const conflicts = b.store.listConflicts();
    expect(conflicts.map((c) => [c.atKey, c.winner, c.local.value, c.remote.value])).to.deep.equal([
      [`off0.wavi${ALICE}`, "local", "b-wins", "a0"],
    ]);
    expect(a.driver.facts().pendingUploads + b.driver.facts().pendingUploads).to.equal(0);
  });

  it("scenario: update then delete then re-create of one key converges to the re-created state", async () => {
    const a = h.device("a");
    const b = h.device("b");
    a.start();
    b.start();
    await converge(a, b);
    const k = `cycle.wavi${ALICE}`;
    a.driver.local.put(k, "v1", { ttr: 100 });
    await a.driver.syncNow();
    await b.driver.syncNow();
    expect(b.store.get(k)?.value).to.equal("v1");
    a.driver.local.put(k, "v2");
    a.driver.local.delete(k);
    a.driver.local.put(k, "v3", { isEncrypted: true });
    const [ca, cb] = await converge(a, b);
    expect(ca).to.deep.equal(cb);
    expect(cb.get(k)).to.equal("v3");
    expect(b.store.get(k)?.metadata).to.include({ isEncrypted: true }).and.not.have.property("ttr");
    a.driver.local.delete(k);
    const [da, db] = await converge(a, b);
    expect(da).to.deep.equal(db);
    expect(db.has(k)).to.equal(false);
    expect(await h.serverValue(k)).to.equal(null);
  });

  it("scenario: update:meta reaches the other device", async () => {
    const a = h.device("a");
    const b = h.device("b");
    a.start();
    b.start();
    const k = `meta.wavi${ALICE}`;
    a.driver.local.put(k, "m", { ttr: 10 });
    await converge(a, b);
    a.driver.local.putMeta(k, { ttr: 3600, ccd: true });
    await a.driver.syncNow();
    expect(a.store.pendingChanges()).to.deep.equal([]);
    await b.driver.syncNow();
    expect(b.store.get(k)?.metadata).to.include({ ttr: 3600, ccd: true });
    expect(b.store.get(k)?.value).to.equal("m");
  });

  it("scenario: writes made directly on the server by a raw connection reach both devices through the monitor", async () => {
    const a = h.device("a");
    const b = h.device("b");
    a.start();
    b.start();
    await converge(a, b);
    await waitFor(() => a.monitor && b.driver.facts().loop.kind === "ready", "devices online");
    const k = `raw.wavi${ALICE}`;
    await h.raw.request(`update:ttl:600000:${k} from-raw`);
    // No syncNow: the statsNotification must trigger the pulls.
    await waitFor(() => a.store.get(k)?.value === "from-raw" && b.store.get(k)?.value === "from-raw", "monitor-driven pulls");
    await h.raw.request(`delete:${k}`);
    await waitFor(() => a.store.get(k) === undefined && b.store.get(k) === undefined, "monitor-driven delete");
    const [ca, cb] = await converge(a, b);
    expect(ca).to.deep.equal(cb);
  });

  it("scenario: a connection cut in the middle of a push (reply lost after the server applied it) loses and doubles nothing", async () => {
    const a = h.device("a");
    const b = h.device("b");
    a.start();
    b.start();
    await converge(a, b);
    a.remote.cutOnce((c) => c.startsWith("batch:"), "after");
    const failed = a.driver.syncNow();
    a.driver.local.putMany(Array.from({ length: 10 }, (_, i) => ({ atKey: `cutpush${i}.wavi${ALICE}`, value: `p${i}` })));
    await failed.catch(() => undefined);
    await waitFor(() => a.remote.cuts === 1 && a.driver.facts().pendingUploads === 0, "push after the cut");
    const [ca, cb] = await converge(a, b);
    expect(ca).to.deep.equal(cb);
    for (let i = 0; i < 10; i++) expect(cb.get(`cutpush${i}.wavi${ALICE}`)).to.equal(`p${i}`);
    expect(a.store.listConflicts().length + b.store.listConflicts().length).to.equal(0);
    const stats15 = JSON.parse((await h.raw.request("stats:15:cutpush")).trim()) as Array<{ value: unknown }>;
    const value = stats15[0]?.value;
    const perKey = typeof value === "string" ? (JSON.parse(value) as Record<string, unknown>) : (value as Record<string, unknown>);
    expect(Object.keys(perKey).filter((k) => k.startsWith("cutpush"))).to.have.length(10);
  });

  it("scenario: a connection cut as a push is sent (before the server reads it) loses nothing", async () => {
    const a = h.device("a");
    const b = h.device("b");
    a.start();
    b.start();
    await converge(a, b);
    a.remote.cutOnce((c) => c.startsWith("batch:"), "before");
    a.driver.local.putMany(Array.from({ length: 5 }, (_, i) => ({ atKey: `cutbefore${i}.wavi${ALICE}`, value: `c${i}` })));
    await waitFor(() => a.remote.cuts === 1 && a.driver.facts().pendingUploads === 0, "push after the cut");
    const [ca, cb] = await converge(a, b);
    expect(ca).to.deep.equal(cb);
    for (let i = 0; i < 5; i++) expect(await h.serverValue(`cutbefore${i}.wavi${ALICE}`)).to.equal(`c${i}`);
  });

  it("scenario: a connection cut in the middle of a pull resumes from the last applied page, nothing lost or doubled", async () => {
    const a = h.device("a");
    a.start();
    await a.driver.syncNow();
    a.driver.local.putMany(Array.from({ length: 80 }, (_, i) => ({ atKey: `cutpull${i}.wavi${ALICE}`, value: `q${i}` })));
    await a.driver.syncNow();
    const b = h.device("b");
    // The second request of the pull: a batch of pages (the first is one plain page).
    b.remote.cutOnce((c) => c.includes("sync:from:") && !c.includes("^"), "after", 1);
    b.start();
    await waitFor(() => b.remote.cuts === 1, "the cut");
    const [ca, cb] = await converge(a, b);
    expect(cb).to.deep.equal(ca);
    expect(b.driver.facts().lastReceivedCommitId).to.equal(b.driver.facts().serverCommitId);
  });

  it("scenario: a parallel pull over three connections, one cut mid-range, converges with nothing lost", async () => {
    const a = h.device("a");
    a.start();
    await a.driver.syncNow();
    // Enough that the extra connections, which log in while the first already pulls, get pages too.
    a.driver.local.putMany(Array.from({ length: 3000 }, (_, i) => ({ atKey: `lanes${i}.wavi${ALICE}`, value: `l${i}` })));
    a.driver.local.putMany(Array.from({ length: 300 }, (_, i) => ({ atKey: `lanes${i * 10}.wavi${ALICE}`, delete: true as const })));
    await a.driver.syncNow();
    const b = h.device("b", { lanes: 3 });
    b.lanes[1]!.cutOnce((c) => c.includes("sync:from:"), "after", 0);
    b.start();
    await waitFor(() => b.lanes[1]!.cuts === 1, "the cut");
    const [ca, cb] = await converge(a, b);
    expect(cb).to.deep.equal(ca);
    expect([...cb.keys()].filter((k) => k.startsWith("lanes"))).to.have.length(2700);
    expect(b.driver.facts().lastReceivedCommitId).to.equal(b.driver.facts().serverCommitId);
  });

  it("scenario: a third atSign reads what the first shared with it (lookup through its own TlsRemote)", async () => {
    const a = h.device("a");
    a.start();
    const carolKeys = keysOf(h.dev, CAROL);
    const carolPub = (await h.raw.request(`plookup:publickey${CAROL}`)).trim();
    expect(carolPub).to.equal(carolKeys.encryptionPublicKey);
    const shared = generateAesKeyB64();
    const iv = randomIvB64();
    const k = `@carol🛠:phone.wavi${ALICE}`;
    a.driver.local.put(k, aesEncrypt(shared, "+1 555 0100", iv), {
      isEncrypted: true, ivNonce: iv, sharedKeyEnc: rsaEncrypt(carolPub, shared), pubKeyCS: md5Hex(carolPub),
    });
    await a.driver.syncNow();
    const carol = rawRemote(h.dev, CAROL);
    try {
      const all = JSON.parse(await carol.request(`lookup:all:phone.wavi${ALICE}`)) as { data: string; metaData: Record<string, unknown> };
      const meta = all.metaData;
      expect(meta.pubKeyCS).to.equal(md5Hex(carolKeys.encryptionPublicKey));
      const key = rsaDecrypt(carolKeys.encryptionPrivateKey, String(meta.sharedKeyEnc));
      expect(aesDecrypt(key, all.data, String(meta.ivNonce))).to.equal("+1 555 0100");
    } finally {
      await carol.close();
    }
  });

  for (const policy of ["local-wins", "remote-wins", "last-writer-wins"] as const) {
    it(`scenario: conflicting writes while offline are recorded and resolved under ${policy}`, async () => {
      const a = h.device("a");
      const b = h.device("b", { policy });
      a.start();
      b.start();
      const k = `conflict-${policy}.wavi${ALICE}`;
      a.driver.local.put(k, "base");
      await converge(a, b);
      await b.goOffline();
      b.driver.local.put(k, "from-b");
      // The server's updatedAt has millisecond precision: make a's write strictly later.
      const bTime = b.store.pendingChanges().at(-1)!.createdAtMs;
      await waitFor(() => Date.now() > bTime + 2, "a later millisecond");
      a.driver.local.put(k, "from-a");
      await a.driver.syncNow();
      b.start();
      const [ca, cb] = await converge(a, b);
      expect(ca).to.deep.equal(cb);
      const conflicts = b.store.listConflicts();
      expect(conflicts).to.have.length(1);
      const c = conflicts[0]!;
      expect([c.policy, c.local.value, c.remote.value]).to.deep.equal([policy, "from-b", "from-a"]);
      // Both times are on the atServer's clock: ours translated by the offset its notifications measure.
      expect(c.local.timeMs).to.be.a("number").closeTo(bTime, 50);
      expect(c.remote.timeMs).to.be.a("number").greaterThan(c.local.timeMs!);
      const winner = policy === "local-wins" ? "local" : "remote";
      expect(c.winner).to.equal(winner);
      expect(cb.get(k)).to.equal(winner === "local" ? "from-b" : "from-a");
    });
  }

  it("scenario: a dev-server reset is detected by both devices and repaired without losing local changes", async () => {
    const a = h.device("a");
    const b = h.device("b");
    a.start();
    b.start();
    for (let i = 0; i < 6; i++) a.driver.local.put(`reset${i}.wavi${ALICE}`, `r${i}`);
    await converge(a, b);
    await b.goOffline();
    b.driver.local.put(`reset-pending.wavi${ALICE}`, "kept");
    await h.dev.reset(ALICE);
    expect(await h.serverValue(`reset0.wavi${ALICE}`)).to.equal(null);
    const resets: string[] = [];
    a.driver.on((e) => { if (e.type === "server.reset") resets.push(`a:${e.reason}`); });
    b.driver.on((e) => { if (e.type === "server.reset") resets.push(`b:${e.reason}`); });
    await a.driver.syncNow();
    b.start();
    const [ca, cb] = await converge(a, b);
    expect(ca).to.deep.equal(cb);
    expect(resets.filter((r) => r.startsWith("a:"))).to.have.length(1);
    expect(resets.filter((r) => r.startsWith("b:"))).to.have.length(1);
    for (let i = 0; i < 6; i++) expect(await h.serverValue(`reset${i}.wavi${ALICE}`)).to.equal(`r${i}`);
    expect(await h.serverValue(`reset-pending.wavi${ALICE}`)).to.equal("kept");
    expect(ca.get(`reset-pending.wavi${ALICE}`)).to.equal("kept");
  });
});
