// Review of Monitor against a scripted atServer: backoff across repeated failures and its reset
// by healthy heartbeats, the resume epochMillis, and stop() that always stops.
import { expect } from "chai";
import { Monitor } from "../../daemon/remote/Monitor.js";
import { RootResolver } from "../../daemon/remote/RootResolver.js";
import { Backoff } from "../../daemon/backoff.js";
import { nullLogger } from "../../daemon/adapters/nullLogger.js";
import { useScriptedAtServer, type Script } from "./support/scriptedAtServer.js";
import { waitFor } from "./support/waitFor.js";

const ME = "@alice🛠";
const PROMPT = `${ME}@`;

class RecordingBackoff extends Backoff {
  readonly delays: number[] = [];
  override next(): number {
    const d = super.next();
    this.delays.push(d);
    return d;
  }
}

describe("remote/Monitor review (scripted atServer)", function () {
  let monitors: Monitor[] = [];
  let logins = 0;
  const h = useScriptedAtServer(() => Promise.all(monitors.map((m) => m.stop())));

  beforeEach(function () {
    monitors = [];
    logins = 0;
  });

  function monitor(opts: { backoff?: Backoff; heartbeatMs?: number; since?: number; resolverTimeoutMs?: number } = {}): Monitor {
    const resolver = new RootResolver({ root: `127.0.0.1:${h.root.port}`, ca: h.material.cert, clock: h.clock, timeoutMs: opts.resolverTimeoutMs ?? 2000 });
    const m = new Monitor({
      atSign: ME, keys: h.keys, resolver, ca: h.material.cert, clock: h.clock, logger: nullLogger,
      heartbeatMs: opts.heartbeatMs ?? 60_000,
      backoff: opts.backoff ?? new Backoff({ baseMs: 10, maxMs: 40 }),
      ...(opts.since !== undefined ? { since: opts.since } : {}),
    });
    monitors.push(m);
    return m;
  }

  /** Logs in; closes the connection on `monitor` for the first `failures` logins, then stays up. */
  function flakyServer(failures: number): Script {
    return (line, socket) => {
      if (line.startsWith("from:")) socket.write(`data:_c${ME}:1\n@`);
      else if (line.startsWith("pkam:")) {
        logins++;
        socket.write(`data:success\n${PROMPT}`);
      } else if (line.startsWith("monitor")) {
        if (logins <= failures) socket.destroy();
      } else if (line === "noop:0") socket.write(`data:ok\n${PROMPT}`);
    };
  }

  it("backs off exponentially across repeated failures, then a healthy heartbeat resets it", async function () {
    const backoff = new RecordingBackoff({ baseMs: 10, maxMs: 80, jitter: 0 });
    h.script = flakyServer(6);
    const m = monitor({ backoff, heartbeatMs: 600 });
    m.start();
    await waitFor(() => logins >= 7 && m.currentState === "online", "online after six failures");
    expect(backoff.delays).to.deep.equal([10, 20, 40, 80, 80, 80]);
    // Each delay was really waited for on the clock.
    let from = 0;
    for (const d of backoff.delays) {
      const at = h.clock.delays.indexOf(d, from);
      expect(at, `timer of ${d} ms`).to.be.at.least(0);
      from = at + 1;
    }
    await waitFor(() => h.server.commands.filter((c) => c === "noop:0").length >= 1 && backoff.attempt === 0, "heartbeat answered");
    expect(m.currentState).to.equal("online");
  });

  it("resumes from the given since, then from the last stored notification's epochMillis", async function () {
    let connection = 0;
    h.script = (line, socket) => {
      if (line.startsWith("from:")) socket.write(`data:_c${ME}:1\n@`);
      else if (line.startsWith("pkam:")) socket.write(`data:success\n${PROMPT}`);
      else if (line.startsWith("monitor")) {
        connection++;
        if (connection === 1) {
          const note = { id: "n1", from: "@bob🛠", to: ME, key: `${ME}:x.wavi@bob🛠`, value: "v", operation: "update", epochMillis: 1_700_000_000_500 };
          const stats = { id: "-1", from: ME, to: ME, key: `statsNotification.${ME}`, value: "3", operation: "update", epochMillis: 1_900_000_000_000 };
          socket.write(`notification: ${JSON.stringify(note)}\nnotification: ${JSON.stringify(stats)}\n`);
          setImmediate(() => socket.destroy());
        }
      }
    };
    const m = monitor({ since: 1_600_000_000_000 });
    const seen: string[] = [];
    m.onNotification((n) => seen.push(n.id));
    m.start();
    await waitFor(() => h.server.commands.filter((c) => c.startsWith("monitor")).length >= 2, "second monitor command");
    expect(seen).to.deep.equal(["n1", "-1"]);
    expect(h.server.commands.filter((c) => c.startsWith("monitor"))).to.deep.equal(["monitor:1600000000000", "monitor:1700000000500"]);
  });

  it("stop() during a backoff wait leaves nothing scheduled and never reconnects", async function () {
    const backoff = new RecordingBackoff({ baseMs: 300, maxMs: 300, jitter: 0 });
    h.script = flakyServer(100);
    const m = monitor({ backoff });
    m.start();
    await waitFor(() => backoff.delays.length === 1, "first retry scheduled");
    await m.stop();
    expect(m.currentState).to.equal("offline");
    expect(h.clock.liveTimers).to.equal(0);
    const logged = logins;
    // start() after stop() works, and stops again.
    m.start();
    await waitFor(() => logins > logged, "restarted");
    await m.stop();
    expect(h.clock.liveTimers).to.equal(0);
  });

  it("stop() while the root lookup hangs returns at once", async function () {
    h.rootScript = () => undefined; // never answers
    const m = monitor({ resolverTimeoutMs: 3000 });
    m.start();
    await waitFor(() => h.root.commands.length > 0, "root asked");
    const startedAt = Date.now();
    await m.stop();
    expect(Date.now() - startedAt).to.be.below(1500);
    expect(m.currentState).to.equal("offline");
    expect(h.server.commands).to.deep.equal([]);
  });
});
