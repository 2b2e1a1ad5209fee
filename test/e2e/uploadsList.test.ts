// The keys whose changes the atServer has not taken, listed (uploads.list) and shown on the status
// page: those pending (here, kept on this device by the selective-sync filter, so they stay) and
// those the atServer rejected for good, each with why, a page at a time.
import { expect } from "chai";
import type { Browser } from "playwright-core";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { SqliteStore } from "../../daemon/store/SqliteStore.js";
import { storePath } from "../../daemon/worker/storePath.js";
import { ErrorCode } from "../../shared/errors.js";
import { UploadsList } from "../../shared/methods.js";
import type { UploadsListResult } from "../../shared/types.js";
import { chromiumOrSkip, launchChromium, openStatusPage } from "../support/browser.js";
import { requireBuild, startTestDaemon, waitFor, type TestDaemon } from "../support/daemon.js";
import { freePort } from "../support/freePort.js";
import { ALICE, useDevServer } from "./devServer.js";

const OUTSIDE = ["a", "b", "c", "d", "e"].map((n) => `${n}.notes${ALICE}`);
/** More of them, after those in key order: more than the page shows at once (50). */
const BULK = Array.from({ length: 55 }, (_, i) => `z${String(i).padStart(2, "0")}.notes${ALICE}`);
const REFUSED = [`public:refused.wavi${ALICE}`, `public:other.wavi${ALICE}`];

describe("e2e: the uploads the atServer has not taken, listed", function () {
  this.timeout(90_000);
  const server = useDevServer(this, [ALICE]);
  let first: TestDaemon | undefined;
  let d: TestDaemon | undefined;
  let browser: Browser | undefined;
  let port = 0;
  const list = (params: { state: "pending" | "rejected"; after?: string; limit?: number }): Promise<UploadsListResult> =>
    d!.client.call(UploadsList, { atSign: ALICE, ...params });

  before(async function () {
    requireBuild();
    port = await freePort();
    // Selective sync: only wavi goes up, so the notes keys stay pending on this device.
    first = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE], config: { web: port, namespaces: ["wavi"] } });
    for (const k of OUTSIDE) await first.client.put(ALICE, k, "kept here");
    await first.client.put(ALICE, OUTSIDE[0]!, "kept here, again");
    await first.client.putMany(ALICE, BULK.map((key) => ({ op: "put" as const, key, value: "bulk" })));
    // Two changes the atServer refuses for good (a bare \r, as an older atsyncd could store), planted while stopped.
    await first.stop();
    const store = SqliteStore.open({ path: storePath(first.dataDir, ALICE), clock: new SystemClock() });
    try {
      for (const k of REFUSED) store.putLocal(k, "a\rb");
    } finally {
      store.close();
    }
    d = await first.restart();
    await waitFor("the rejections", async () => (await d!.client.status(ALICE))[0]?.rejectedUploads === 2);
  });

  after(async function () {
    await browser?.close();
    await d?.dispose();
    await first?.dispose();
  });

  it("scenario: the pending keys, a page at a time in key order, each with how many changes, since when, and that the filter keeps it here", async function () {
    const [s] = await d!.client.status(ALICE);
    expect(s).to.deep.include({ pendingUploads: 0, pendingOutsideFilter: 60 });
    const page1 = await list({ state: "pending", limit: 2 });
    expect(page1.items.map((i) => i.key)).to.deep.equal(OUTSIDE.slice(0, 2));
    expect([page1.total, page1.next]).to.deep.equal([60, OUTSIDE[1]]);
    expect(page1.items[0]).to.deep.include({ op: "update", changes: 2, attempts: 0, nextRetryAt: null, error: null, outsideFilter: true });
    expect(page1.items[0]?.since).to.be.a("number").and.be.at.most(Date.now());
    const page2 = await list({ state: "pending", limit: 3, after: page1.next! });
    expect(page2.items.map((i) => i.key)).to.deep.equal(OUTSIDE.slice(2));
    const rest = await list({ state: "pending", after: page2.next! });
    expect(rest.items.map((i) => i.key)).to.deep.equal(BULK);
    expect(rest.next).to.equal(null);
  });

  it("scenario: the rejected keys still in effect, each with the atServer's code and reason; written again, a key leaves the list", async function () {
    const r = await list({ state: "rejected" });
    expect(r.items.map((i) => i.key)).to.deep.equal([...REFUSED].sort());
    expect([r.total, r.next]).to.deep.equal([2, null]);
    for (const i of r.items) {
      expect(i.error?.code).to.equal("AT0003");
      expect(i.error?.reason).to.be.a("string").and.not.equal("");
    }
    const one = await list({ state: "rejected", limit: 1 });
    expect([one.items.length, one.next]).to.deep.equal([1, one.items[0]?.key]);
    const limits = await d!.client.call(UploadsList, { atSign: ALICE, state: "pending", limit: 501 }).then(() => undefined, (e: { code: number }) => e.code);
    expect(limits).to.equal(ErrorCode.InvalidParams);
  });

  it("scenario: the status page lists them from the atSign's card, with the reasons, page by page, and follows a fix", async function () {
    chromiumOrSkip(this);
    browser = await launchChromium();
    const page = await openStatusPage(await browser.newContext(), d!.socketPath);
    const card = page.locator(`.atsign[data-atsign="${ALICE}"]`);
    await card.locator("button.figure", { hasText: "rejected" }).click();
    const panel = page.locator("#uploads");
    await panel.locator("h3", { hasText: "Rejected by the atServer for good: 2 keys" }).waitFor();
    for (const k of REFUSED) expect(await panel.locator(`li[data-key="${k}"] .why`).innerText()).to.match(/refused: AT0003 \S/u);
    // Fixed by writing it again: the open list follows.
    await d!.client.put(ALICE, REFUSED[0]!, "fine now");
    await panel.locator(`li[data-key="${REFUSED[0]}"]`).waitFor({ state: "detached", timeout: 10_000 });
    await panel.locator("h3", { hasText: ": 1 key of" }).waitFor();

    await card.locator("button.figure", { hasText: "outside the filter" }).click();
    await panel.locator("h3", { hasText: "Waiting to be uploaded: 60 keys" }).waitFor();
    expect(await panel.locator(`li[data-key="${OUTSIDE[0]}"] .why`).innerText()).to.include("2 changes").and.include("outside the selective-sync filter");
    expect(await panel.locator("li").count()).to.equal(50);
    await panel.locator("button[data-more]", { hasText: "Show 10 more of 10" }).click();
    await panel.locator(`li[data-key="${BULK.at(-1)}"]`).waitFor();
    expect(await panel.locator("li").count()).to.equal(60);
    expect(await panel.locator("button[data-more]").count()).to.equal(0);
    await page.screenshot({ path: process.env.ATSYNCD_SHOT ?? "/dev/null" }).catch(() => undefined);
    await panel.locator("button[data-close]").click();
    expect(await panel.isVisible()).to.equal(false);
  });
});
