import { expect } from "chai";
import { Writable } from "node:stream";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import type { CliIO } from "../../daemon/cli/Command.js";
import { progressReporter } from "../../daemon/cli/commands/sync.js";
import type { AtsyncEvent } from "../../shared/events.js";
import type { SyncStatus } from "../../shared/status.js";
import { intOption, parseCommandArgs, shortParseError } from "../../daemon/cli/args.js";
import { CliError, ExitCode } from "../../daemon/cli/Command.js";
import { check } from "../../daemon/cli/doctor/Check.js";
import { checkClock } from "../../daemon/cli/doctor/checkAtServer.js";
import { formatChecks } from "../../daemon/cli/doctor/formatChecks.js";
import { explainError } from "../../daemon/cli/explainError.js";
import { describeSide, formatConflicts } from "../../daemon/cli/format/conflictText.js";
import { formatEvent } from "../../daemon/cli/format/eventText.js";
import { displayWidth } from "../../daemon/cli/format/textWidth.js";
import { atKeyOperand, atSignOperand } from "../../daemon/cli/operands.js";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import type { EventSeq } from "../../shared/ids.js";
import type { Conflict } from "../../shared/types.js";
import { syncStatus } from "../support/statusFixture.js";

const USAGE = "Usage: atsyncd test ARG";

function cliError(fn: () => unknown): CliError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(CliError);
    return err as CliError;
  }
  throw new Error("expected a CliError");
}

describe("cli argument helpers", function () {
  it("parseCommandArgs parses strictly and checks the number of operands", function () {
    const r = parseCommandArgs(["@alice", "--json", "--socket", "/tmp/s"], { json: { type: "boolean" }, socket: { type: "string" } }, USAGE, { min: 1, max: 1 });
    expect(r.positionals).to.deep.equal(["@alice"]);
    expect(r.values.json).to.equal(true);
    expect(r.values.socket).to.equal("/tmp/s");
    const unknown = cliError(() => parseCommandArgs(["--bogus"], {}, USAGE, { min: 0, max: 0 }));
    expect(unknown.exitCode).to.equal(ExitCode.Usage);
    expect(unknown.message).to.equal(`Unknown option '--bogus'\n\n${USAGE}`);
    expect(cliError(() => parseCommandArgs([], {}, USAGE, { min: 1, max: 1 })).message).to.match(/^missing arguments\n/u);
    expect(cliError(() => parseCommandArgs(["a", "b"], {}, USAGE, { min: 1, max: 1 })).message).to.match(/^unexpected argument "b"\n/u);
    expect(cliError(() => parseCommandArgs(["--socket"], { socket: { type: "string" } }, USAGE, { min: 0, max: 0 })).message)
      .to.match(/^Option '--socket <value>' argument missing/u);
  });

  it("shortParseError keeps a dash hint on one line", function () {
    const err = Object.assign(new TypeError("Option '--ttr' argument is ambiguous.\nDid you forget?\nTo specify use '--ttr=-XYZ'."), { code: "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" });
    expect(shortParseError(err)).to.equal("Option '--ttr' argument is ambiguous. Did you forget? To specify use '--ttr=-XYZ'.");
  });

  it("intOption takes whole numbers at or above the minimum", function () {
    expect(intOption(undefined, "ttl", USAGE)).to.equal(undefined);
    expect(intOption("60000", "ttl", USAGE)).to.equal(60000);
    expect(intOption("-1", "ttr", USAGE, -1)).to.equal(-1);
    expect(cliError(() => intOption("-2", "ttr", USAGE, -1)).message).to.match(/^--ttr must be at least -1/u);
    expect(cliError(() => intOption("1.5", "ttl", USAGE)).exitCode).to.equal(ExitCode.Usage);
    expect(cliError(() => intOption("abc", "ttl", USAGE)).message).to.match(/^--ttl must be a whole number/u);
  });

  it("atSignOperand adds a missing @ and refuses what cannot be an atSign", function () {
    expect(atSignOperand("@alice🛠", USAGE)).to.equal("@alice🛠");
    expect(atSignOperand("bob", USAGE)).to.equal("@bob");
    expect(cliError(() => atSignOperand("@a:b", USAGE)).exitCode).to.equal(ExitCode.Usage);
    expect(cliError(() => atSignOperand("", USAGE)).exitCode).to.equal(ExitCode.Usage);
  });

  it("atKeyOperand completes the owner only when that makes an atKey", function () {
    expect(atKeyOperand("@alice🛠", "phone.wavi")).to.equal("phone.wavi@alice🛠");
    expect(atKeyOperand("@alice", "phone.wavi@alice")).to.equal("phone.wavi@alice");
    expect(atKeyOperand("@alice", "public:phone.wavi")).to.equal("public:phone.wavi@alice");
    expect(atKeyOperand("@alice", "@bob:phone.wavi")).to.equal("@bob:phone.wavi@alice");
    expect(atKeyOperand("@alice", "has space")).to.equal("has space");
  });
});

describe("explainError", function () {
  const explain = (code: ErrorCode, message: string, data?: unknown): CliError => {
    const e = explainError(new AtsyncError(code, message, data), { atSign: "@alice🛠" });
    expect(e).to.be.instanceOf(CliError);
    return e as CliError;
  };

  it("gives each daemon failure a next step and the documented exit code", function () {
    const notRunning = explain(ErrorCode.DaemonNotRunning, "x", { socketPath: "/tmp/a.sock" });
    expect(notRunning.exitCode).to.equal(ExitCode.NotRunning);
    expect(notRunning.message).to.equal("atsyncd is not running: start it with `atsyncd run` (or `systemctl --user start atsyncd`); nothing answers on /tmp/a.sock");
    const notOnboarded = explain(ErrorCode.NotOnboarded, "@alice🛠 is not onboarded");
    expect(notOnboarded.exitCode).to.equal(ExitCode.NotOnboarded);
    expect(notOnboarded.message).to.equal("@alice🛠 is not onboarded: onboard it with `atsyncd onboard @alice🛠 --atkeys FILE`");
    expect(explain(ErrorCode.AuthFailed, "refused").message).to.match(/export its current \.atKeys file and onboard again$/u);
    expect(explain(ErrorCode.AuthFailed, "refused").exitCode).to.equal(ExitCode.Failure);
    expect(explain(ErrorCode.InvalidAtKey, "invalid params: 'key' is bad").message).to.equal("the key is bad");
    const named = explainError(new AtsyncError(ErrorCode.InvalidAtKey, "invalid params: 'key' belongs to @bob, not @alice"), { atSign: "@alice", key: "x@bob" });
    expect((named as CliError).message).to.equal("the key x@bob belongs to @bob, not @alice");
    expect(explain(ErrorCode.InvalidAtKey, "x").exitCode).to.equal(ExitCode.Usage);
    expect(explain(ErrorCode.Timeout, "slow").exitCode).to.equal(ExitCode.NeedsAttention);
    expect(explain(ErrorCode.RemoteUnavailable, "the root directory r:64 knows no atServer for @x").message).to.match(/spelling/u);
    expect(explain(ErrorCode.SocketPermissionDenied, "no permission").exitCode).to.equal(ExitCode.Failure);
  });

  it("passes CliErrors and foreign errors through", function () {
    const c = new CliError("mine", 7);
    expect(explainError(c)).to.equal(c);
    const e = new Error("boom");
    expect(explainError(e)).to.equal(e);
  });
});

describe("doctor helpers", function () {
  const NOW = Date.UTC(2026, 10, 22, 12, 0);

  it("checkClock fails on a TLS clock error, on a time outside the certificate, and skips without a reference", function () {
    expect(checkClock(NOW, []).status).to.equal("skip");
    expect(checkClock(NOW, [{ result: check("@a atServer", "fail", "x"), clockError: "CERT_HAS_EXPIRED" }]).status).to.equal("fail");
    const cert = { validFrom: NOW - 86_400_000, validTo: NOW + 86_400_000 };
    const ok = checkClock(NOW, [{ result: check("@a atServer", "ok", "x"), cert }]);
    expect(ok.status).to.equal("ok");
    expect(ok.message).to.match(/do not report their time/u);
    const late = checkClock(NOW + 2 * 86_400_000, [{ result: check("@a atServer", "ok", "x"), cert }]);
    expect(late.status).to.equal("fail");
    expect(late.fix).to.match(/NTP/u);
  });

  it("formatChecks shows the fix under what is not ok, and a summary", function () {
    const lines = formatChecks([
      check("key store", "ok", "OS keychain"),
      check("daemon", "fail", "atsyncd is not running", "start it"),
      check("clock", "skip", "not checked"),
    ]);
    expect(lines).to.deep.equal([
      "ok    key store  OS keychain",
      "FAIL  daemon     atsyncd is not running",
      "      → start it",
      "skip  clock      not checked",
      "",
      "1 failed, 0 to look at.",
    ]);
    expect(formatChecks([check("a", "ok", "fine", "unused")]).slice(-1)).to.deep.equal(["Everything looks fine."]);
  });
});

describe("conflict and event lines", function () {
  const NOW = Date.UTC(2026, 10, 22, 12, 0);
  const conflict: Conflict = {
    id: "3", atSign: "@alice🛠", key: "phone.wavi@alice🛠",
    local: { value: "123", metadata: null, deleted: false },
    remote: { value: "line1\nline2 and a very long tail that goes on", metadata: null, deleted: false },
    policy: "local-wins", applied: "local", detectedAt: NOW - 60_000, resolved: false,
  };

  it("quotes and cuts values so one conflict stays on one line", function () {
    expect(describeSide({ value: null, metadata: null, deleted: true })).to.equal("(deleted)");
    expect(describeSide({ value: null, metadata: null, deleted: false })).to.equal("(cannot decrypt)");
    expect(describeSide({ value: "a\nb", metadata: null, deleted: false })).to.equal('"a\\nb"');
    const [line] = formatConflicts([conflict], NOW, "UTC");
    expect(line).to.equal('#3  @alice🛠  phone.wavi@alice🛠  local "123"  remote "line1\\nline2 and a very long…  local-wins: kept local  11:59+00:00');
    // The same clock as status and watch: --utc says Z.
    expect(formatConflicts([conflict], NOW, { utc: true })[0]).to.match(/ 11:59Z$/u);
  });

  it("formats each event on one line without values, local time with its offset (or Z)", function () {
    const base = { seq: 1 as EventSeq, at: Date.UTC(2026, 10, 22, 12, 0, 1, 250) };
    const o = { now: NOW, timeZone: "UTC" };
    expect(formatEvent({ ...base, kind: "key.changed", atSign: "@a", key: "k@a", origin: "remote", op: "delete" }, o))
      .to.deep.equal(["12:00:01.250+00:00 @a delete k@a (remote)"]);
    expect(formatEvent({ ...base, kind: "notification.received", atSign: "@a", from: "@b", key: "@a:k@b", operation: "update", value: "SECRET", notificationId: "n" }, o).join(""))
      .to.not.include("SECRET");
    expect(formatEvent({ ...base, kind: "sync.completed", atSign: "@a", counts: { uploaded: 2, downloaded: 3, conflicts: 1, rejected: 0 }, durationMs: 1500 }, { now: NOW, utc: true }))
      .to.deep.equal(["12:00:01.250Z @a synced ↑2 ↓3 in 1s, 1 conflict"]);
    expect(formatEvent({ ...base, kind: "state.changed", atSign: "@a", from: "online", to: "offline", durationMs: 65_000 }, o))
      .to.deep.equal(["12:00:01.250+00:00 @a online → offline (after 1m 5s)"]);
    const snap = { ...base, kind: "snapshot" as const, resync: false, statuses: [syncStatus({ atSign: "@a" }), syncStatus({ atSign: "@b", inSync: false, pendingUploads: 2 })] };
    expect(formatEvent(snap, o)).to.deep.equal(["12:00:01.250+00:00 now: @a in sync", "12:00:01.250+00:00 now: @b online: 2 to upload"]);
    expect(formatEvent({ ...snap, statuses: [] }, o)).to.deep.equal(["12:00:01.250+00:00 now: no atSign is onboarded"]);
  });

  it("leaves out what only says a sync is under way, unless verbose: one line per sync", function () {
    const base = { seq: 1 as EventSeq, at: NOW, atSign: "@a" };
    const o = { now: NOW, timeZone: "UTC" };
    const nothing = { uploaded: 0, downloaded: 0, conflicts: 0, rejected: 0 };
    // One put, as the daemon reports it: its key change, two runs (the second moved nothing) and their statuses.
    const put: AtsyncEvent[] = [
      { ...base, kind: "key.changed", key: "k@a", origin: "local", op: "update" },
      { ...base, kind: "sync.started" },
      { ...base, kind: "status.changed", status: syncStatus({ atSign: "@a" }) },
      { ...base, kind: "state.changed", from: "online", to: "syncing", durationMs: 5 },
      { ...base, kind: "sync.completed", counts: { ...nothing, uploaded: 1 }, durationMs: 26 },
      { ...base, kind: "state.changed", from: "syncing", to: "online", durationMs: 30 },
      { ...base, kind: "sync.started" },
      { ...base, kind: "sync.completed", counts: nothing, durationMs: 5 },
      { ...base, kind: "status.changed", status: syncStatus({ atSign: "@a" }) },
    ];
    expect(put.flatMap((e) => formatEvent(e, o))).to.deep.equal(["12:00:00.000+00:00 @a update k@a (local)", "12:00:00.000+00:00 @a synced ↑1 ↓0 in 26ms"]);
    expect(put.flatMap((e) => formatEvent(e, { ...o, verbose: true }))).to.have.length(put.length);
  });
});

describe("sync --wait progress", function () {
  const events = (atSign: string): AtsyncEvent[] => [
    { seq: 1 as EventSeq, at: 0, kind: "sync.started", atSign },
    { seq: 2 as EventSeq, at: 0, kind: "status.changed", atSign, status: syncing(atSign, 4000, 10_000) },
    { seq: 3 as EventSeq, at: 0, kind: "status.changed", atSign, status: syncing(atSign, 10_000, 10_000) },
    { seq: 4 as EventSeq, at: 0, kind: "sync.completed", atSign, counts: { uploaded: 0, downloaded: 10_000, conflicts: 0, rejected: 0 }, durationMs: 2500 },
  ];
  function syncing(atSign: string, done: number, total: number): SyncStatus {
    const download = { done, total, perSecond: null, etaMs: null };
    return syncStatus({ atSign, inSync: false, downloading: true, state: { kind: "syncing", since: 0, progress: { direction: "download", upload: null, download } } });
  }
  function capture(): { io: CliIO; text: () => string } {
    let text = "";
    const stream = new Writable({ write(c: Buffer, _e, cb) { text += c.toString(); cb(); } });
    return { io: { stdout: stream, stderr: stream, env: {}, clock: new SystemClock() }, text: () => text };
  }

  it("redraws one bar in place on a TTY and clears it at the end", function () {
    const { io, text } = capture();
    const r = progressReporter(io, true);
    for (const e of events("@alice🛠")) r.onEvent(e);
    r.done();
    const bar = "[############------------------]";
    expect(text()).to.equal(
      "\r@alice🛠 syncing…\x1b[K" +
      `\r@alice🛠 downloading ${bar} ↓ 4,000/10,000 commits (40%)\x1b[K` +
      `\r@alice🛠 downloading [${"#".repeat(30)}] ↓ 10,000/10,000 commits (100%)\x1b[K` +
      "\r\x1b[K");
  });

  it("cuts the redrawn line to the terminal's width, so a carriage return can still redraw it", function () {
    const { io, text } = capture();
    Object.assign(io.stderr, { columns: 40 });
    const r = progressReporter(io, true);
    for (const e of events("@alice🛠")) r.onEvent(e);
    const lines = text().split("\r").filter((l) => l !== "").map((l) => l.replace("\x1b[K", ""));
    for (const l of lines) expect(displayWidth(l)).to.be.at.most(39);
    expect(lines[1]).to.equal("@alice🛠 downloading [############-----…");
  });

  it("prints plain lines without a TTY", function () {
    const { io, text } = capture();
    const r = progressReporter(io, false);
    for (const e of events("@bob")) r.onEvent(e);
    r.onEvent({ seq: 5 as EventSeq, at: 0, kind: "sync.failed", atSign: "@bob", counts: { uploaded: 0, downloaded: 0, conflicts: 0, rejected: 0 }, durationMs: 10, error: { code: 4002, message: "cannot reach the atServer" } });
    r.done();
    expect(text()).to.equal("@bob: sync completed in 2s (0 uploaded, 10,000 downloaded)\n@bob: sync failed: cannot reach the atServer\n");
  });
});
