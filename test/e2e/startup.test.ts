// Start-up through the real daemon: the socket answers while workers are still starting, an
// atSign whose worker is not up says `starting` (never online, never in sync), and a request to it
// waits for its worker, then is answered. One worker is held at its start by the test hook
// ATSYNCD_TEST_START_GATE (daemon/worker/testStartGate.ts) until the test removes its gate file.
import { expect } from "chai";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SyncStatus } from "../../shared/status.js";
import { runCli } from "../cli/support/cli.js";
import { requireBuild, startTestDaemon, waitFor, type TestDaemon } from "../support/daemon.js";
import { ALICE, BOB, useDevServer } from "./devServer.js";

const online = (s: SyncStatus | undefined): boolean => s?.state.kind === "online" || s?.state.kind === "syncing";

describe("e2e: start-up, the socket first", function () {
  this.timeout(120_000);
  const server = useDevServer(this);
  let d: TestDaemon | undefined;

  before(async function () {
    requireBuild();
    d = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE, BOB] });
    await d.client.put(ALICE, `before-restart.wavi${ALICE}`, "kept");
  });
  after(async function () {
    await d?.dispose();
  });

  it("answers status while a worker is held at its start: it says starting, and a request to it waits until it is up", async function () {
    const gate = join(d!.dir, "gate");
    mkdirSync(gate, { recursive: true });
    const held = join(gate, ALICE.toLowerCase());
    writeFileSync(held, "");
    d = await d!.restart({ env: { ATSYNCD_TEST_START_GATE: gate }, socketOnly: true });
    const c = d.client;
    // The socket answers at once; the held atSign says starting for as long as it is held.
    const first = await c.status();
    expect(first.map((s) => s.atSign)).to.deep.equal([ALICE, BOB]);
    await waitFor("@bob online", async () => online((await c.status(BOB))[0]));
    const alice = (await c.status(ALICE))[0];
    expect(alice?.state.kind).to.equal("starting");
    expect(alice).to.deep.include({ inSync: false, connected: false, uploading: false, downloading: false });
    expect((await c.atSigns()).find((a) => a.atSign === ALICE)?.state).to.equal("starting");
    const human = await runCli(["status", "--socket", d.socketPath]);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.match(new RegExp(`^${ALICE} +starting `, "mu"));
    expect(human.stdout).to.match(/^ {4}its worker is starting \(for /mu);

    let settled = false;
    const listing = c.list(ALICE, { namespace: "wavi" }).finally(() => (settled = true));
    // Replies come in order on the connection: had the list been refused, its answer would be here by now.
    await c.status();
    await c.status(ALICE);
    expect(settled, "the request waits for the worker").to.equal(false);
    expect((await c.status(ALICE))[0]?.state.kind).to.equal("starting");
    rmSync(held);
    expect(await listing).to.deep.equal([`before-restart.wavi${ALICE}`]);
    await waitFor("@alice online", async () => online((await c.status(ALICE))[0]), 60_000);
  });
});
