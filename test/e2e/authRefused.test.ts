// An atServer that refuses the keys (house-style §13): the atSign goes to needs-attention with
// the reason, the monitor stops retrying the login, and a later sync.now tries again.
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { formatStatusTable } from "../../daemon/cli/format/statusText.js";
import { DebugCrashWorker } from "../../daemon/mainThread/registerMethods.js";
import { decodeAtKeysFile } from "../../protocol/atKeysFile.js";
import { ErrorCode } from "../../shared/errors.js";
import type { AtsyncEvent, KeyChangedEvent } from "../../shared/events.js";
import { startTestDaemon, waitFor, type TestDaemon } from "../support/daemon.js";
import { ALICE, BOB, useDevServer } from "./devServer.js";
import { nextEvent } from "./nextEvent.js";

const MONITOR_FAILED = /monitor connect failed/gu;

describe("e2e: keys the atServer refuses", function () {
  this.timeout(60_000);
  const server = useDevServer(this);
  let d: TestDaemon | undefined;
  let original = "";

  const pkamPublicKey = (atSign: string): string => {
    const keys = decodeAtKeysFile(readFileSync(server().dev.info.atSigns[atSign]!.atKeys, "utf8"), atSign);
    return keys.pkamPublicKey;
  };
  const setServerPkamKey = (key: string): Promise<string> => server().remote(ALICE).request(`update:privatekey:at_pkam_publickey ${key}`);

  before(async function () {
    d = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE] });
    original = pkamPublicKey(ALICE);
  });

  after(async function () {
    if (original !== "") await setServerPkamKey(original).catch(() => undefined);
    await d?.dispose();
  });

  it("goes to needs-attention with the reason, stops the monitor's logins, and retries on sync.now", async function () {
    const c = d!.client;
    // The server now expects another key pair: every new login of this daemon is refused.
    await setServerPkamKey(pkamPublicKey(BOB));
    expect((await c.call(DebugCrashWorker, { atSign: ALICE })).crashed).to.equal(true);

    const st = await waitFor("@alice needs attention", async () => {
      const [s] = await c.status(ALICE);
      return s?.state.kind === "needs-attention" ? s : undefined;
    });
    if (st.state.kind !== "needs-attention") throw new Error("unreachable");
    expect(st.state.code).to.equal(ErrorCode.AuthFailed);
    expect(st.state.reason).to.match(/refused|auth|pkam/iu);
    const [line, reason] = formatStatusTable([st], { now: Date.now(), timeZone: "UTC" });
    expect(line).to.match(/^\S+ {2}needs attention {2}/u);
    expect(reason).to.match(/^ {4}needs attention: .*(refused|auth|pkam)/iu);

    await waitFor("the monitor to stop", () => d!.output().includes("monitor stopped until"));
    const failures = (d!.output().match(MONITOR_FAILED) ?? []).length;
    // Without the stop the monitor retries within its 0.5–1 s backoff; watch for twice that.
    const retried = await waitFor("another monitor login", () => (d!.output().match(MONITOR_FAILED) ?? []).length > failures, 2_500).then(() => true, () => false);
    expect(retried, "the monitor kept logging in").to.equal(false);
    expect((await c.status(ALICE))[0]?.state.kind).to.equal("needs-attention");

    // Fixed on the server: an explicit sync.now logs in again, and the monitor comes back.
    await setServerPkamKey(original);
    const res = await c.syncNow({ atSign: ALICE, wait: true, timeoutMs: 20_000 });
    // The sync got through; the monitor it restarts may still be logging in (not connected yet).
    expect(res.statuses[0]?.state.kind).to.be.oneOf(["online", "syncing", "connecting"]);
    await waitFor("connected again", async () => (await c.status(ALICE))[0]?.connected === true);
    const app = await d!.connect("after-fix");
    const stream = app.subscribe({ atSigns: [ALICE], kinds: ["key.changed"] });
    await stream.next(); // snapshot
    const key = `public:probe.e2e${ALICE}`;
    let arrived = false;
    const seen = nextEvent(stream, (e: AtsyncEvent): e is KeyChangedEvent => e.kind === "key.changed" && e.key === key && e.origin === "remote", 30_000)
      .then(() => (arrived = true));
    // The monitor may still be logging in when a write lands: write again until its notification brings one.
    let n = 0;
    await waitFor("key.changed(remote) through the restarted monitor", async () => {
      if (!arrived) await server().remote(ALICE).request(`update:${key} written by another device ${++n}`);
      return Promise.race([seen, new Promise<false>((r) => setTimeout(() => r(false), 1000))]);
    }, 30_000);
    await stream.close();
  });
});
