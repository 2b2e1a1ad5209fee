// A change the atServer refuses for good is lost to sync: the status must say so (house-style
// §10), and `atsyncd status` must flag it and exit 5, in its text and in --json.
import { expect } from "chai";
import { PassThrough } from "node:stream";
import { printStatuses, statusExitCode } from "../../daemon/cli/commands/status.js";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import type { CliIO } from "../../daemon/cli/Command.js";
import type { SyncStatus } from "../../shared/status.js";
import { useWorkerDevices } from "../support/workerDevice.js";
import { syncOk, useDevServer } from "./support/devHarness.js";

const ALICE = "@alice🛠";

function capture(): { io: CliIO; out: () => string } {
  const stdout = new PassThrough();
  let text = "";
  stdout.on("data", (d: Buffer) => (text += d.toString()));
  return { io: { stdout, stderr: new PassThrough(), env: {}, clock: new SystemClock() }, out: () => text };
}

describe("sync: a change the atServer rejects for good, in the status", function () {
  this.timeout(60_000);
  const h = useDevServer(ALICE, "atsyncd-rejected", { atSigns: [ALICE], statsIntervalMs: 60_000 });
  const worker = useWorkerDevices(h, ALICE);

  it("scenario: a permanently rejected change is counted, the last one named with its code and reason, shown by status with exit 5", async () => {
    const a = worker("a");
    const key = `public:refused.wavi${ALICE}`;
    // A value the server's update regex refuses (AT0003), as an older atsyncd stored it (the
    // write route refuses it now, so it goes straight into the store).
    a.device.store.putLocal(key, "a\rb");
    a.device.driver.local.put(`fine.wavi${ALICE}`, "accepted");
    await syncOk(a.device);
    expect(a.device.store.rejectedChanges().map((c) => c.atKey)).to.deep.equal([key]);

    const s: SyncStatus = a.ctx.status.flush();
    expect(s.pendingUploads).to.equal(0);
    expect(s.rejectedUploads).to.equal(1);
    expect(s.lastRejected).to.deep.include({ key, code: "AT0003" });
    expect(s.lastRejected?.reason).to.be.a("string").and.not.equal("");
    // Rejected is not "failed, will retry": that is lastUploadError, and there is none.
    expect(s.lastUploadError).to.equal(null);
    expect(s.inSync).to.equal(false);
    // Published once, and equal to itself on the next computation (nothing churns).
    expect(a.ctx.status.flush()).to.deep.equal(s);

    const text = capture();
    printStatuses([s], false, text.io, { now: s.lastSyncedAt ?? 0 });
    expect(text.out()).to.include("1 rejected").and.include("rejected by the atServer for good");
    expect(text.out()).to.include(key);
    expect(statusExitCode([s])).to.equal(5);

    const json = capture();
    printStatuses([s], true, json.io);
    const [printed] = JSON.parse(json.out()) as SyncStatus[];
    expect(printed?.rejectedUploads).to.equal(1);
    expect(printed?.lastRejected?.key).to.equal(key);
  });

  it("scenario: a rejected change stops counting once the key is written again and the server takes it", async () => {
    const a = worker("a");
    const key = `public:again.wavi${ALICE}`;
    a.device.store.putLocal(key, "a\rb");
    await syncOk(a.device);
    expect(a.ctx.status.flush().rejectedUploads).to.equal(1);
    a.device.driver.local.put(key, "fixed");
    await syncOk(a.device);
    const s = a.ctx.status.flush();
    expect(s.rejectedUploads).to.equal(0);
    expect(s.lastRejected).to.equal(null);
    expect(s.lastUploadError).to.equal(null);
    expect(statusExitCode([s])).to.equal(0);
  });

  it("scenario: a status with nothing rejected still reads in sync with exit 0", async () => {
    const a = worker("a");
    a.device.driver.local.put(`fine.wavi${ALICE}`, "accepted");
    await syncOk(a.device);
    const s = a.ctx.status.flush();
    expect(s.rejectedUploads).to.equal(0);
    expect(s.lastUploadError).to.equal(null);
    const text = capture();
    printStatuses([s], false, text.io, { now: s.lastSyncedAt ?? 0 });
    expect(s.inSync, JSON.stringify({ s, f: a.device.driver.facts() })).to.equal(true);
    expect(text.out()).to.include("in sync").and.not.include("rejected");
    expect(statusExitCode([s])).to.equal(0);
  });
});
