import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../daemon/config/ConfigError.js";
import { configFor, defaultConfig, parseDaemonConfig } from "../../daemon/config/DaemonConfig.js";
import { loadConfig } from "../../daemon/config/loadConfig.js";

function failure(raw: unknown): ConfigError {
  try {
    parseDaemonConfig(raw);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("daemon config", function () {
  let dir: string;
  before(function () {
    dir = mkdtempSync(join(tmpdir(), "atsyncd-cfg-"));
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("has safe defaults: 5-minute safety net, local-wins, the production root, all namespaces", function () {
    const d = configFor(parseDaemonConfig({}), "@alice");
    expect(d).to.deep.equal({
      syncSchedule: "*/5 * * * *",
      conflictPolicy: "local-wins",
      namespaces: [],
      regex: null,
      rootServer: { host: "root.atsign.org", port: 64 },
      ca: null,
    });
    expect(parseDaemonConfig({}).logLevel).to.equal("info");
  });

  it("merges per-atSign overrides over the top-level defaults, keyed by normalized atSign", function () {
    const cfg = parseDaemonConfig({
      logLevel: "debug",
      rootServer: "localhost:6464",
      ca: "/tmp/dev-ca.pem",
      conflictPolicy: "remote-wins",
      atSigns: {
        "ALICE🛠": { syncSchedule: "*/10 * * * * *", namespaces: ["wavi", "my_app.v2"], regex: "^phone\\." },
        "@bob": { syncSchedule: "off", conflictPolicy: "last-writer-wins", rootServer: "[::1]:64" },
      },
    });
    expect(cfg.logLevel).to.equal("debug");
    expect(configFor(cfg, "@alice🛠")).to.deep.equal({
      syncSchedule: "*/10 * * * * *",
      conflictPolicy: "remote-wins",
      namespaces: ["wavi", "my_app.v2"],
      regex: "^phone\\.",
      rootServer: { host: "localhost", port: 6464 },
      ca: "/tmp/dev-ca.pem",
    });
    expect(configFor(cfg, "bob")).to.deep.include({ syncSchedule: null, conflictPolicy: "last-writer-wins", rootServer: { host: "::1", port: 64 } });
    expect(configFor(cfg, "@carol")).to.deep.include({ conflictPolicy: "remote-wins", namespaces: [] });
    // configFor hands out copies: a worker changing its config cannot change the daemon's.
    configFor(cfg, "@alice🛠").namespaces.push("x");
    expect(configFor(cfg, "@alice🛠").namespaces).to.deep.equal(["wavi", "my_app.v2"]);
  });

  const bad: Array<[string, unknown, string]> = [
    ["a bad cron expression", { syncSchedule: "every minute" }, "syncSchedule"],
    ["a per-atSign bad cron expression", { atSigns: { "@a": { syncSchedule: "61 * * * *" } } }, "atSigns.@a.syncSchedule"],
    ["an unknown conflict policy", { conflictPolicy: "newest" }, "conflictPolicy"],
    ["namespaces that are not names", { namespaces: ["ok", "no spaces"] }, "namespaces"],
    ["an invalid regex", { atSigns: { "@a": { regex: "([" } } }, "atSigns.@a.regex"],
    ["a rootServer without a port", { rootServer: "root.atsign.org" }, "rootServer"],
    ["a rootServer port out of range", { rootServer: "h:70000" }, "rootServer"],
    ["an empty ca", { ca: "" }, "ca"],
    ["an unknown log level", { logLevel: "verbose" }, "logLevel"],
    ["an unknown top-level field", { syncSchedul: "* * * * *" }, "syncSchedul"],
    ["an unknown per-atSign field", { atSigns: { "@a": { logLevel: "info" } } }, "atSigns.@a.logLevel"],
    ["atSigns that is not an object", { atSigns: ["@a"] }, "atSigns"],
    ["an atSign that repeats", { atSigns: { "@A": {}, a: {} } }, "atSigns.a"],
  ];
  for (const [what, raw, field] of bad) {
    it(`refuses ${what}, naming the field "${field}"`, function () {
      const err = failure(raw);
      expect(err.field).to.equal(field);
      expect(err.message).to.include(`"${field}"`);
    });
  }

  it("loads a file: missing means defaults; bad JSON and bad fields name the file", function () {
    expect(loadConfig(join(dir, "absent.json"))).to.deep.equal(defaultConfig());
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{ nope");
    expect(() => loadConfig(broken)).to.throw(ConfigError, broken).with.property("code", "CONFIG_INVALID_JSON");
    const wrong = join(dir, "wrong.json");
    writeFileSync(wrong, JSON.stringify({ conflictPolicy: 3 }));
    expect(() => loadConfig(wrong)).to.throw(ConfigError, `${wrong}: config field "conflictPolicy"`).with.property("field", "conflictPolicy");
    const good = join(dir, "good.json");
    writeFileSync(good, JSON.stringify({ atSigns: { "@alice🛠": { conflictPolicy: "remote-wins" } } }));
    expect(configFor(loadConfig(good), "@alice🛠").conflictPolicy).to.equal("remote-wins");
  });
});
