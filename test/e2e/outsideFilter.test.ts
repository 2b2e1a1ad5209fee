// Local writes outside the selective-sync filter stay on this device: the status says how many,
// on the wire (pendingOutsideFilter) and in `atsyncd status`.
import { expect } from "chai";
import { formatStatusTable } from "../../daemon/cli/format/statusText.js";
import { startTestDaemon, waitFor, type TestDaemon } from "../support/daemon.js";
import { ALICE, useDevServer } from "./devServer.js";

describe("e2e: changes kept outside the selective-sync filter", function () {
  this.timeout(60_000);
  const server = useDevServer(this);
  let d: TestDaemon | undefined;

  before(async function () {
    d = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE], config: { namespaces: ["wavi"] } });
  });

  after(async function () {
    await d?.dispose();
  });

  it("counts them in status and shows them in the status line; in-filter changes upload", async function () {
    const c = d!.client;
    expect((await c.status(ALICE))[0]?.pendingOutsideFilter).to.equal(0);
    await c.put(ALICE, `phone.wavi${ALICE}`, "synced");
    await c.put(ALICE, `a.notes${ALICE}`, "kept here");
    await c.put(ALICE, `b.notes${ALICE}`, "kept here too");
    const st = await waitFor("the in-filter change uploaded", async () => {
      const [s] = await c.status(ALICE);
      // Every sync done too (the upload's, and a check its echo may start): a sync's progress
      // would take the status line's detail ("checking with the atServer" under load).
      return s !== undefined && s.state.kind === "online" && s.pendingUploads === 0 && s.pendingOutsideFilter === 2 ? s : undefined;
    });
    const [line, detail] = formatStatusTable([st], { now: Date.now(), timeZone: "UTC" });
    expect(line).to.include("0 pending, 2 kept local");
    expect(detail).to.equal("    2 keys changed here outside the selective-sync filter: kept on this device, never uploaded");
    expect(await server().scan(ALICE, "notes")).to.deep.equal([]);
    expect(await server().scan(ALICE, "wavi")).to.include(`phone.wavi${ALICE}`);
    // Nothing outside the filter: the status line says nothing about it.
    const plain = formatStatusTable([{ ...st, pendingOutsideFilter: 0 }], { now: Date.now(), timeZone: "UTC" }).join("\n");
    expect(plain).to.not.include("kept local").and.not.include("outside the selective-sync filter");
  });
});
