import { expect } from "chai";
import type { PhaseProgress, SyncStatus } from "../../shared/status.js";
import { syncStatus } from "../support/statusFixture.js";
import { formatAgo, formatClock, formatCount, formatDuration, formatEventTime, plural } from "../../daemon/cli/format/numbers.js";
import { renderProgressBar } from "../../daemon/cli/format/progressBar.js";
import {
  describeState, formatPhase, formatProgress, formatStatusTable, needsAttention, STATE_WIDTH, stateLabel, statusCells,
} from "../../daemon/cli/format/statusText.js";
import { columns, displayWidth, padDisplay, truncateDisplay } from "../../daemon/cli/format/textWidth.js";
import { statusExitCode } from "../../daemon/cli/commands/status.js";

const NOW = Date.UTC(2026, 10, 22, 12, 30, 0);
const ctx = { now: NOW, timeZone: "UTC" };

function status(over: Partial<SyncStatus> = {}): SyncStatus {
  return syncStatus({ state: { kind: "online", since: NOW - 60_000 }, lastSyncedAt: NOW - 12_000, lastReceivedCommitId: 14, serverCommitId: 14, keyStore: "keychain", ...over });
}

const phase = (done: number, total: number, perSecond: number | null = null, etaMs: number | null = null): PhaseProgress => ({ done, total, perSecond, etaMs });

describe("cli formatting helpers", function () {
  it("formatCount groups thousands without the locale", function () {
    expect([0, 7, 999, 1000, 4000, 10_000, 1_234_567, -4321].map(formatCount)).to.deep.equal(["0", "7", "999", "1,000", "4,000", "10,000", "1,234,567", "-4,321"]);
    expect(plural(1, "conflict")).to.equal("1 conflict");
    expect(plural(2, "conflict")).to.equal("2 conflicts");
    expect(plural(1200, "key")).to.equal("1,200 keys");
  });

  it("formatAgo is coarse and never negative", function () {
    expect(formatAgo(NOW + 5000, NOW)).to.equal("just now");
    expect(formatAgo(NOW - 400, NOW)).to.equal("just now");
    expect(formatAgo(NOW - 12_000, NOW)).to.equal("12s ago");
    expect(formatAgo(NOW - 3 * 60_000 - 59_000, NOW)).to.equal("3m ago");
    expect(formatAgo(NOW - 2 * 3_600_000, NOW)).to.equal("2h ago");
    expect(formatAgo(NOW - 47 * 3_600_000, NOW)).to.equal("47h ago");
    expect(formatAgo(NOW - 4 * 86_400_000, NOW)).to.equal("4d ago");
  });

  it("formatDuration", function () {
    expect([0, 450, 1000, 12_500, 185_000, 7_260_000].map(formatDuration)).to.deep.equal(["0ms", "450ms", "1s", "12s", "3m 5s", "2h 1m"]);
  });

  it("formatClock shows the day only when it is not today, with the zone's offset (or Z for --utc)", function () {
    expect(formatClock(Date.UTC(2026, 10, 22, 12, 3), NOW, "UTC")).to.equal("12:03+00:00");
    expect(formatClock(Date.UTC(2026, 10, 22, 12, 3), NOW, { utc: true })).to.equal("12:03Z");
    expect(formatClock(Date.UTC(2026, 10, 22, 0, 5), NOW, "UTC")).to.equal("00:05+00:00");
    expect(formatClock(Date.UTC(2026, 10, 21, 23, 59), NOW, "UTC")).to.equal("Nov 21 23:59+00:00");
    expect(formatClock(Date.UTC(2025, 0, 2, 8, 0), NOW, "UTC")).to.equal("Jan 2 2025 08:00+00:00");
    // The same instant is another day in Tokyo, nine hours ahead.
    expect(formatClock(Date.UTC(2026, 10, 22, 16, 0), NOW, "Asia/Tokyo")).to.equal("Nov 23 01:00+09:00");
    expect(formatClock(Date.UTC(2026, 6, 1, 12, 0), Date.UTC(2026, 6, 1, 13, 0), "Europe/Lisbon")).to.equal("13:00+01:00");
  });

  it("formatEventTime gives milliseconds and the offset, or Z", function () {
    const at = Date.UTC(2026, 10, 22, 12, 0, 1, 5);
    expect(formatEventTime(at, { timeZone: "UTC" })).to.equal("12:00:01.005+00:00");
    expect(formatEventTime(at, { utc: true })).to.equal("12:00:01.005Z");
    expect(formatEventTime(at, { timeZone: "America/New_York" })).to.equal("07:00:01.005-05:00");
  });

  it("displayWidth counts terminal cells, not UTF-16 units", function () {
    expect(displayWidth("@alice")).to.equal(6);
    expect("@alice🛠".length).to.equal(8);
    expect(displayWidth("@alice🛠")).to.equal(7); // U+1F6E0 is text-style by default: one cell
    expect(displayWidth("@alice🛠\uFE0F")).to.equal(7); // the variation selector takes no cell
    expect(displayWidth("@bob😀")).to.equal(6); // emoji presentation: two cells
    expect(displayWidth("日本")).to.equal(4);
    expect(displayWidth("e\u0301")).to.equal(1);
    expect(padDisplay("@bob😀", 8)).to.equal("@bob😀  ");
    expect(truncateDisplay("abcdef", 4)).to.equal("abc…");
    expect(truncateDisplay("abc", 4)).to.equal("abc");
  });

  it("displayWidth counts an emoji sequence as the two cells a terminal shows: a flag, a skin tone, a ZWJ family", function () {
    expect(displayWidth("@\u{1F1E9}\u{1F1EA}bob")).to.equal(6); // 🇩🇪: two regional indicators, one flag
    expect(displayWidth("@\u{1F44D}\u{1F3FD}")).to.equal(3); // 👍🏽: the skin tone modifies, it is no second emoji
    expect(displayWidth("@\u{1F468}\u200D\u{1F469}\u200D\u{1F467}")).to.equal(3); // 👨‍👩‍👧
    const lines = columns([["@\u{1F1E9}\u{1F1EA}bob", "in sync", "x"], ["@alice1", "offline", "y"]]);
    expect(lines.map((l) => displayWidth(l.slice(0, l.search(/(in sync|offline)/u))))).to.deep.equal([9, 9]);
    expect(truncateDisplay("@\u{1F1E9}\u{1F1EA}\u{1F1EB}\u{1F1F7}", 4)).to.equal("@\u{1F1E9}\u{1F1EA}…");
  });

  it("columns aligns by display width and does not pad the last cell", function () {
    const lines = columns([["@alice🛠", "in sync", "x"], ["@bob😀", "offline since 12:03", "y"]]);
    expect(lines).to.deep.equal(["@alice🛠  in sync              x", "@bob😀   offline since 12:03  y"]);
    // The second column starts at the same cell on both lines.
    expect(lines.map((l) => displayWidth(l.slice(0, l.search(/(in sync|offline)/u))))).to.deep.equal([9, 9]);
  });

  it("the state column is one of a few fixed words, whatever the reason", function () {
    const lastError = { code: 4002, message: "cannot reach the atServer: connect ECONNREFUSED 127.0.0.1:4001 ".repeat(5), at: NOW };
    const labels = [
      status(), status({ inSync: false, pendingUploads: 3 }),
      status({ state: { kind: "syncing", since: NOW, progress: { direction: "download", upload: null, download: phase(4000, 10_000) } } }),
      status({ state: { kind: "syncing", since: NOW, progress: { direction: "upload", upload: phase(12, 12), download: null } } }),
      status({ state: { kind: "offline", since: NOW, reason: lastError.message, nextAttemptAt: NOW + 4000 } }),
      status({ state: { kind: "connecting", since: NOW, attempt: 3 } }),
      status({ state: { kind: "backoff", untilMs: NOW + 40_000, attempt: 2, lastError } }),
      status({ state: { kind: "needs-attention", since: NOW, reason: "the atServer refused the keys", code: 4003 } }),
    ].map(stateLabel);
    expect(labels).to.deep.equal(["in sync", "online", "syncing ↓ 40%", "syncing ↑ 100%", "offline", "connecting", "backing off", "needs attention"]);
    for (const l of labels) expect(displayWidth(l)).to.be.at.most(STATE_WIDTH);
  });

  it("describeState puts the reason and relative times after the label", function () {
    expect(describeState(status(), ctx)).to.equal("in sync");
    expect(describeState(status({ inSync: false, pendingUploads: 3 }), ctx)).to.equal("online: 3 to upload");
    expect(describeState(status({ inSync: false, lastReceivedCommitId: 10, serverCommitId: 14 }), ctx)).to.equal("online: behind the atServer: a sync will fetch the rest");
    expect(describeState(status({ inSync: false }), ctx)).to.equal("online: checking with the atServer");
    expect(describeState(status({ inSync: false, rejectedUploads: 2 }), ctx)).to.equal("online: 2 changes rejected by the atServer");
    expect(describeState(status({ state: { kind: "syncing", since: NOW, progress: { direction: "download", upload: phase(3, 3), download: phase(4000, 10_000, 1200, 5000) } } }), ctx))
      .to.equal("syncing ↓ 40%: ↓ 4,000/10,000 commits (40%), 1,200/s, 5s left; ↑ 3/3 changes (100%)");
    expect(describeState(status({ state: { kind: "offline", since: NOW - 40_000, reason: "monitor connection lost: connection closed", nextAttemptAt: NOW + 4000 } }), ctx))
      .to.equal("offline for 40s (since 12:29+00:00): monitor connection lost: connection closed; next try in 4s");
    expect(describeState(status({ state: { kind: "offline", since: NOW - 1000, reason: "x", nextAttemptAt: null } }), { ...ctx, utc: true }))
      .to.equal("offline for 1s (since 12:29Z): x; reconnecting");
    expect(describeState(status({ state: { kind: "connecting", since: NOW, attempt: 1 } }), ctx)).to.equal("connecting");
    expect(describeState(status({ state: { kind: "connecting", since: NOW, attempt: 3 } }), ctx)).to.equal("connecting to the atServer, attempt 3");
    const lastError = { code: 4002, message: "REMOTE_UNAVAILABLE: connect ECONNREFUSED", at: NOW };
    expect(describeState(status({ state: { kind: "backoff", untilMs: NOW + 40_000, attempt: 2, lastError } }), ctx))
      .to.equal("backing off, next try in 40s (attempt 2): REMOTE_UNAVAILABLE: connect ECONNREFUSED");
    // Shown at the very moment it is due: "now", not a time that says nothing.
    expect(describeState(status({ state: { kind: "backoff", untilMs: NOW, attempt: 2, lastError } }), ctx)).to.match(/^backing off, next try now/u);
    expect(describeState(status({ state: { kind: "needs-attention", since: NOW, reason: "the atServer refused the keys", code: 4003 } }), ctx))
      .to.equal("needs attention: the atServer refused the keys");
  });

  it("formatProgress shows the moving phase first, with its rate and time left once known", function () {
    expect(formatPhase("upload", phase(5, 0))).to.equal("↑ 5/0 changes (100%)");
    expect(formatPhase("download", phase(999, 1000))).to.equal("↓ 999/1,000 commits (99%)");
    expect(formatProgress({ direction: "upload", upload: phase(10, 40, 20, 1500), download: phase(7, 7) }))
      .to.equal("↑ 10/40 changes (25%), 20/s, 1s left; ↓ 7/7 commits (100%)");
  });

  it("formatPhase shows a rate below one per second as it is (0.25/s), not as 0/s beside a time left", function () {
    expect(formatPhase("upload", phase(3, 10, 0.25, 28_000))).to.equal("↑ 3/10 changes (30%), 0.25/s, 28s left");
    expect(formatPhase("upload", phase(3, 10, 2.5, 2800))).to.equal("↑ 3/10 changes (30%), 2.5/s, 2s left");
  });

  it("statusCells and formatStatusTable: one line per atSign, a fixed state column, reasons indented under it", function () {
    expect(statusCells(status(), ctx)).to.deep.equal(["@alice🛠", "in sync        ", "synced 12s ago", "0 pending", "0 conflicts", "commit 14/14"]);
    expect(statusCells(status({ lastSyncedAt: null, lastReceivedCommitId: null, serverCommitId: null, conflicts: 1 }), ctx))
      .to.deep.equal(["@alice🛠", "in sync        ", "never synced", "0 pending", "1 conflict", "commit -/-"]);
    const long = "cannot reach the atServer: " + "x".repeat(200);
    const daemon = { version: "0.1.0", pid: 42, startedAt: NOW - 185_000, socketPath: "/run/a.sock", dataDir: "/d", configFile: "/d/c.json", keyStore: "file" as const, dev: false };
    const table = formatStatusTable([
      status(),
      status({ atSign: "@bob", inSync: false, keyStore: "file", conflicts: 2, lastDownloadError: { code: 4002, message: "timed out", at: NOW - 5000 },
        state: { kind: "backoff", untilMs: NOW + 40_000, attempt: 3, lastError: { code: 4002, message: long, at: NOW } } }),
    ], ctx, { daemon });
    expect(table[0]).to.equal("atsyncd 0.1.0, pid 42, up 3m 5s, socket /run/a.sock");
    expect(table[1]).to.equal("@alice🛠  in sync          synced 12s ago  0 pending  0 conflicts  commit 14/14");
    // A 220-character reason does not widen anyone's state column: it is on its own line.
    expect(table[2]).to.equal("@bob     backing off      synced 12s ago  0 pending  2 conflicts  commit 14/14");
    expect(table.slice(3)).to.deep.equal([
      `    backing off, next try in 40s (attempt 3): ${long}`,
      "    last download failed 5s ago: timed out",
      "    2 conflicts to look at: `atsyncd conflicts @bob`",
      "warning: the keys of @bob are in a file, not in the OS keychain; `atsyncd doctor` says why and what to do",
    ]);
    // Not for `run --dev`'s own daemon (the file store is by design there), nor where asked not to.
    expect(formatStatusTable([status({ keyStore: "file" })], ctx, { daemon: { ...daemon, dev: true } }).join("\n")).to.not.include("warning");
    expect(formatStatusTable([status({ keyStore: "file" })], ctx, { keyFileWarning: false }).join("\n")).to.not.include("warning");
    expect(formatStatusTable([status()], ctx)).to.have.length(1);
    expect(statusCells(status({ pendingUploads: 2, rejectedUploads: 1, pendingOutsideFilter: 3 }), ctx)[3]).to.equal("2 pending, 1 rejected, 3 kept local");
    const rejected = formatStatusTable([status({ inSync: false, rejectedUploads: 2, lastRejected: { key: "public:x@alice🛠", code: "AT0003", reason: "invalid syntax", at: NOW } })], ctx);
    expect(rejected).to.have.length(2);
    expect(rejected[1]).to.equal("    rejected by the atServer for good: public:x@alice🛠: AT0003 invalid syntax (and 1 more); write the key again to retry");
  });

  it("the exit code of status follows the states", function () {
    expect(statusExitCode([])).to.equal(4);
    expect(statusExitCode([status()])).to.equal(0);
    expect(statusExitCode([status(), status({ conflicts: 1 })])).to.equal(5);
    expect(statusExitCode([status({ state: { kind: "needs-attention", since: NOW, reason: "x", code: 4003 } })])).to.equal(5);
    expect(statusExitCode([status({ state: { kind: "offline", since: NOW, reason: "x", nextAttemptAt: null } })])).to.equal(0);
    expect(statusExitCode([status({ rejectedUploads: 1 })])).to.equal(5);
    expect(statusExitCode([status({ rejectedUploads: 0 })])).to.equal(0);
    expect(needsAttention(status({ state: { kind: "backoff", untilMs: NOW, attempt: 1, lastError: { code: 1, message: "m", at: NOW } } }))).to.equal(true);
  });

  it("renderProgressBar draws the moving phase's bar and both phases' figures", function () {
    expect(renderProgressBar("@alice", { direction: "download", upload: null, download: phase(4000, 10_000) }, 10))
      .to.equal("@alice downloading [####------] ↓ 4,000/10,000 commits (40%)");
    expect(renderProgressBar("@alice", { direction: "upload", upload: phase(10, 10, 5, 0), download: phase(2, 2) }, 4))
      .to.equal("@alice uploading [####] ↑ 10/10 changes (100%), 5/s, 0ms left; ↓ 2/2 commits (100%)");
    expect(renderProgressBar("@alice", { direction: "upload", upload: null, download: null })).to.equal("@alice uploading…");
  });
});
