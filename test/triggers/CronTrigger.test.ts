import { expect } from "chai";
import cron from "node-cron";
import { createLogger } from "../../daemon/log/createLogger.js";
import { CronTrigger, CronTriggerError } from "../../daemon/triggers/CronTrigger.js";

async function until(what: string, pred: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const ourTasks = (): string[] => [...cron.getTasks().values()].map((t) => t.name ?? "").filter((n) => n.startsWith("sync @"));

describe("CronTrigger", function () {
  let trigger: CronTrigger | undefined;
  const logs: string[] = [];
  afterEach(async function () {
    await trigger?.stop();
    trigger = undefined;
  });

  function make(onFire: (atSign: string) => void): CronTrigger {
    trigger = new CronTrigger({ logger: createLogger({ level: "debug", style: "json", sink: (l) => logs.push(l) }), onFire });
    return trigger;
  }

  it("fires per atSign on a per-second schedule, and nothing is left scheduled after stop", async function () {
    const fired: string[] = [];
    const t = make((a) => fired.push(a));
    t.set("@alice🛠", "* * * * * *");
    t.set("@bob", "0 0 1 1 *");
    expect(t.scheduled()).to.deep.equal([{ atSign: "@alice🛠", expression: "* * * * * *" }, { atSign: "@bob", expression: "0 0 1 1 *" }]);
    await until("two ticks", () => fired.length >= 2);
    expect(new Set(fired)).to.deep.equal(new Set(["@alice🛠"]));
    await t.stop();
    expect(t.scheduled()).to.deep.equal([]);
    expect(ourTasks()).to.deep.equal([]);
    t.set("@carol", "* * * * * *"); // ignored after stop
    expect(ourTasks()).to.deep.equal([]);
  });

  it("refuses an invalid expression naming the atSign, and keeps the previous schedule", function () {
    const t = make(() => undefined);
    t.set("@alice", "*/5 * * * *");
    expect(() => t.set("@alice", "every 5 minutes")).to.throw(CronTriggerError, /@alice.*every 5 minutes/);
    expect(t.scheduled()).to.deep.equal([{ atSign: "@alice", expression: "*/5 * * * *" }]);
  });

  it("replaces and removes schedules", function () {
    const t = make(() => undefined);
    t.set("@alice", "*/5 * * * *");
    t.set("@alice", "*/10 * * * *");
    expect(ourTasks()).to.deep.equal(["sync @alice"]);
    t.set("@alice", null);
    t.set("@bob", "*/5 * * * *");
    t.delete("@bob");
    expect(t.scheduled()).to.deep.equal([]);
    expect(ourTasks()).to.deep.equal([]);
  });

  it("logs a throwing handler and keeps ticking", async function () {
    let n = 0;
    const t = make(() => {
      n++;
      throw new Error("handler bug");
    });
    t.set("@alice", "* * * * * *");
    await until("two ticks", () => n >= 2);
    expect(logs.some((l) => l.includes("cron trigger handler threw") && l.includes("handler bug"))).to.equal(true);
  });
});
