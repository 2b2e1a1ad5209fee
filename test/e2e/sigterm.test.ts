// SIGTERM in the middle of heavy writes loses no acknowledged write: every put that resolved
// is durable locally, and reaches the atServer once the daemon is back and has synced.
import { expect } from "chai";
import type { AtsyncClient } from "../../client/index.js";
import { startTestDaemon, waitFor, type TestDaemon } from "../support/daemon.js";
import { ALICE, useDevServer } from "./devServer.js";

describe("e2e: SIGTERM during heavy writes", function () {
  this.timeout(120_000);
  const server = useDevServer(this);
  let d: TestDaemon | undefined;
  let again: TestDaemon | undefined;

  after(async function () {
    await again?.dispose();
    await d?.dispose();
  });

  it("keeps every acknowledged put and pushes it after a restart", async function () {
    d = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE] });
    const writers: AtsyncClient[] = [];
    for (let i = 0; i < 4; i++) writers.push(await d.connect(`writer-${i}`));
    const acked = new Map<string, string>();
    const refused: number[] = [];
    let next = 0;
    let stopping = false;
    const loops = writers.map(async (w) => {
      for (;;) {
        const i = next++;
        const key = `heavy.${i}.e2e${ALICE}`;
        const value = `value ${i} ✓`;
        try {
          await w.put(ALICE, key, value);
          acked.set(key, value);
        } catch (err) {
          refused.push((err as { code?: number }).code ?? -1);
          if (stopping) return;
          throw err;
        }
      }
    });
    await waitFor("some puts acknowledged", () => acked.size >= 150);
    stopping = true;
    d.proc.kill("SIGTERM");
    await Promise.all(loops);
    const exit = await d.exited;
    expect(exit.code).to.equal(0);
    // Each writer ended on a refusal: ShuttingDown or a closed connection, nothing else.
    expect(refused.every((c) => c === 1009 || c === 1005 || c === 1006)).to.equal(true, `codes ${refused.join(",")}`);
    expect(acked.size).to.be.greaterThan(149);

    again = await startTestDaemon({ devServer: server().dev, dir: d.dir });
    await again.client.syncNow({ atSign: ALICE, wait: true });
    const [st] = await again.client.status(ALICE);
    expect(st?.pendingUploads).to.equal(0);
    const onServer = new Set(await server().scan(ALICE, "^heavy\\."));
    const missing = [...acked.keys()].filter((k) => !onServer.has(k));
    expect(missing).to.deep.equal([]);
    // Spot-check values through the restarted daemon.
    for (const key of [...acked.keys()].slice(0, 5)) {
      expect((await again.client.get(ALICE, key)).value).to.equal(acked.get(key));
    }
  });
});
