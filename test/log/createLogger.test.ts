import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createLogger } from "../../daemon/log/createLogger.js";

function capture(level: "debug" | "info" = "debug", style: "json" | "pretty" = "json") {
  const lines: string[] = [];
  const logger = createLogger({ level, style, sink: (l) => lines.push(l) });
  const records = (): Array<Record<string, unknown>> => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines, records };
}

describe("createLogger", function () {
  it("writes one JSON object per line: time, level, msg, then fields", function () {
    const { logger, lines, records } = capture();
    logger.info("worker started", { attempt: 2, atSign: "@alice🛠" });
    expect(lines).to.have.length(1);
    expect(lines[0]?.endsWith("\n")).to.equal(true);
    expect(lines[0]?.trimEnd()).to.not.include("\n");
    const r = records()[0] as Record<string, unknown>;
    expect(Object.keys(r).slice(0, 3)).to.deep.equal(["time", "level", "msg"]);
    expect(r).to.deep.include({ level: "info", msg: "worker started", attempt: 2, atSign: "@alice🛠" });
    expect(Number.isNaN(Date.parse(String(r.time)))).to.equal(false);
  });

  it("filters by level", function () {
    const { logger, records } = capture("info");
    logger.debug("hidden");
    logger.info("shown");
    logger.warn("warned");
    logger.error("failed");
    expect(records().map((r) => r.level)).to.deep.equal(["info", "warn", "error"]);
  });

  it("binds fields in children, nested children add to them", function () {
    const { logger, records } = capture();
    const worker = logger.child({ atSign: "@alice🛠", component: "worker" });
    worker.child({ component: "sync", attempt: 1 }).warn("retrying");
    logger.info("main");
    const [a, b] = records();
    expect(a).to.deep.include({ atSign: "@alice🛠", component: "sync", attempt: 1, msg: "retrying" });
    expect(b).to.not.have.property("atSign");
  });

  it("keeps caller fields that collide with the record's own names", function () {
    const { logger, records } = capture();
    logger.info("x", { level: "mine", msg: "also mine", time: 3 });
    expect(records()[0]).to.deep.include({ level: "info", msg: "x", field_level: "mine", field_msg: "also mine", field_time: 3 });
  });

  it("redacts secret fields, key material in messages, and serializes errors", function () {
    const { logger, lines, records } = capture();
    const key = randomBytes(256).toString("base64");
    const err = Object.assign(new Error(`decrypt failed for ${key}`), { code: "E_DECRYPT" });
    logger.child({ atSign: "@alice" }).error(`pkam:${key}`, {
      privateKey: key,
      selfEncryptionKey: "short",
      value: "the decrypted value",
      nested: { atKeys: { any: "thing" }, apkam_symmetric_key: "x", ok: "kept" },
      error: err,
      key: "phone.wavi@alice",
    });
    const text = lines.join("");
    expect(text).to.not.include(key.slice(0, 30));
    expect(text).to.not.include("the decrypted value");
    const r = records()[0] as Record<string, unknown>;
    expect(r.msg).to.equal("pkam:[redacted 344 chars]");
    expect(r).to.deep.include({ privateKey: "[redacted]", selfEncryptionKey: "[redacted]", value: "[redacted]", key: "phone.wavi@alice" });
    expect(r.nested).to.deep.equal({ atKeys: "[redacted]", apkam_symmetric_key: "[redacted]", ok: "kept" });
    expect(r.error).to.deep.include({ name: "Error", code: "E_DECRYPT", message: "decrypt failed for [redacted 344 chars]" });
  });

  it("prints a readable line on a TTY style", function () {
    const { logger, lines } = capture("debug", "pretty");
    logger.child({ atSign: "@bob", component: "supervisor" }).warn("worker crashed", { exitCode: 1 });
    expect(lines[0]).to.match(/^\d\d:\d\d:\d\d\.\d{3} \S*warn \S* \[@bob supervisor\] worker crashed exitCode=1\n$/);
  });

  it("picks JSON when stdout is not a TTY, writing whole lines to fd 1 from main and from a worker thread", function () {
    const mod = JSON.stringify(new URL("../../daemon/log/createLogger.ts", import.meta.url).href);
    // The worker logs its last line and exits at once: a synchronous write must not lose it.
    const workerCode = `import("tsx/esm/api").then((t) => { t.register(); return import(${mod}); })
      .then(({ createLogger }) => { createLogger({ level: "info" }).child({ atSign: "@bob" }).error("fatal", { i: 9 }); process.exit(70); });`;
    const script = `
      import { Worker } from "node:worker_threads";
      import { once } from "node:events";
      import { createLogger } from ${mod};
      const l = createLogger({ level: "info" }).child({ atSign: "@alice🛠" });
      for (let i = 0; i < 3; i++) l.info("line", { i });
      const w = new Worker(${JSON.stringify(workerCode)}, { eval: true, execArgv: [] });
      const [code] = await once(w, "exit");
      l.info("worker exited", { i: code });`;
    const out = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" });
    expect(out.status, out.stderr).to.equal(0);
    const recs = out.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(recs.map((r) => [r.msg, r.i, r.atSign])).to.deep.equal([
      ["line", 0, "@alice🛠"], ["line", 1, "@alice🛠"], ["line", 2, "@alice🛠"], ["fatal", 9, "@bob"], ["worker exited", 70, "@alice🛠"],
    ]);
  });
});
