import { expect } from "chai";
import type { SyncStatus } from "../../shared/status.js";
import { formatAgo, formatClock, formatCount, formatDuration, plural } from "../../daemon/cli/format/numbers.js";
import { renderProgressBar } from "../../daemon/cli/format/progressBar.js";
import { describeState, formatProgress, formatStatusTable, needsAttention, statusCells } from "../../daemon/cli/format/statusText.js";
import { columns, displayWidth, padDisplay, truncateDisplay } from "../../daemon/cli/format/textWidth.js";
import { statusExitCode } from "../../daemon/cli/commands/status.js";

const NOW = Date.UTC(2026, 10, 22, 12, 30, 0);
const ctx = { now: NOW, timeZone: "UTC" };

function status(over: Partial<SyncStatus> = {}): SyncStatus {
  return {
    atSign: "@alice🛠", state: { kind: "online", since: NOW - 60_000 }, connected: true, uploading: false, downloading: false,
    pendingUploads: 0, conflicts: 0, lastSyncedAt: NOW - 12_000, localCommitId: 14, serverCommitId: 14,
    lastUploadError: null, lastDownloadError: null, keyStore: "keychain", ...over,
  };
}

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

  it("formatClock shows the day only when it is not today, in the zone given", function () {
    expect(formatClock(Date.UTC(2026, 10, 22, 12, 3), NOW, "UTC")).to.equal("12:03");
    expect(formatClock(Date.UTC(2026, 10, 22, 0, 5), NOW, "UTC")).to.equal("00:05");
    expect(formatClock(Date.UTC(2026, 10, 21, 23, 59), NOW, "UTC")).to.equal("Nov 21 23:59");
    expect(formatClock(Date.UTC(2025, 0, 2, 8, 0), NOW, "UTC")).to.equal("Jan 2 2025 08:00");
    // The same instant is another day in Tokyo.
    expect(formatClock(Date.UTC(2026, 10, 22, 16, 0), NOW, "Asia/Tokyo")).to.equal("Nov 23 01:00");
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

  it("columns aligns by display width and does not pad the last cell", function () {
    const lines = columns([["@alice🛠", "in sync", "x"], ["@bob😀", "offline since 12:03", "y"]]);
    expect(lines).to.deep.equal(["@alice🛠  in sync              x", "@bob😀   offline since 12:03  y"]);
    // The second column starts at the same cell on both lines.
    expect(lines.map((l) => displayWidth(l.slice(0, l.search(/(in sync|offline)/u))))).to.deep.equal([9, 9]);
  });

  it("describeState covers every state in the tailscale manner", function () {
    expect(describeState(status(), ctx)).to.equal("in sync");
    expect(describeState(status({ pendingUploads: 3 }), ctx)).to.equal("online, 3 to upload");
    expect(describeState(status({ localCommitId: 10, serverCommitId: 14 }), ctx)).to.equal("online, behind the atServer");
    expect(describeState(status({ localCommitId: null, serverCommitId: null }), ctx)).to.equal("in sync");
    expect(describeState(status({ rejectedUploads: 2 }), ctx)).to.equal("needs attention: 2 rejected");
    expect(describeState(status({ rejectedUploads: 0 }), ctx)).to.equal("in sync");
    expect(describeState(status({ state: { kind: "syncing", since: NOW, progress: { direction: "download", done: 4000, total: 10_000 } } }), ctx))
      .to.equal("syncing 40% (4,000/10,000)");
    expect(describeState(status({ state: { kind: "syncing", since: NOW, progress: { direction: "download", done: 1200, total: null } } }), ctx))
      .to.equal("syncing 1,200 downloaded");
    expect(describeState(status({ state: { kind: "offline", since: Date.UTC(2026, 10, 22, 12, 3) } }), ctx)).to.equal("offline since 12:03");
    expect(describeState(status({ state: { kind: "connecting", since: NOW, attempt: 1 } }), ctx)).to.equal("connecting");
    expect(describeState(status({ state: { kind: "connecting", since: NOW, attempt: 3 } }), ctx)).to.equal("connecting (attempt 3)");
    const lastError = { code: 4002, message: "cannot reach the atServer", at: NOW };
    expect(describeState(status({ state: { kind: "backoff", untilMs: Date.UTC(2026, 10, 22, 12, 35), attempt: 2, lastError } }), ctx))
      .to.equal("backing off until 12:35 (cannot reach the atServer)");
    expect(describeState(status({ state: { kind: "needs-attention", since: NOW, reason: "the atServer refused the keys", code: 4003 } }), ctx))
      .to.equal("needs attention: the atServer refused the keys");
  });

  it("formatProgress clamps and never divides by zero", function () {
    expect(formatProgress({ direction: "upload", done: 5, total: 0 })).to.equal("5 uploaded");
    expect(formatProgress({ direction: "download", done: 0, total: null })).to.equal("(downloading)");
    expect(formatProgress({ direction: "upload", done: 12, total: 10 })).to.equal("100% (12/10)");
    expect(formatProgress({ direction: "download", done: 999, total: 1000 })).to.equal("99% (999/1,000)");
  });

  it("statusCells and formatStatusTable derive every column from the status", function () {
    expect(statusCells(status(), ctx)).to.deep.equal(["@alice🛠", "in sync", "synced 12s ago", "0 pending", "0 conflicts", "commit 14/14"]);
    expect(statusCells(status({ lastSyncedAt: null, localCommitId: null, serverCommitId: null, conflicts: 1 }), ctx))
      .to.deep.equal(["@alice🛠", "in sync", "never synced", "0 pending", "1 conflict", "commit -/-"]);
    const table = formatStatusTable([
      status(),
      status({ atSign: "@bob", keyStore: "file", conflicts: 2, lastDownloadError: { code: 4002, message: "timed out", at: NOW } }),
    ], ctx);
    expect(table[0]).to.equal("@alice🛠  in sync  synced 12s ago  0 pending  0 conflicts  commit 14/14");
    expect(table[1]).to.equal("@bob     in sync  synced 12s ago  0 pending  2 conflicts  commit 14/14");
    expect(table.slice(2)).to.deep.equal([
      "",
      "@bob: last download failed: timed out",
      "@bob: 2 conflicts to look at: `atsyncd conflicts @bob`",
      "warning: the keys of @bob are in a file, not in the OS keychain; `atsyncd doctor` says why and what to do",
    ]);
    expect(formatStatusTable([status()], ctx)).to.have.length(1);
    expect(statusCells(status({ pendingUploads: 2, rejectedUploads: 1, pendingOutsideFilter: 3 }), ctx)[3])
      .to.equal("2 pending, 1 rejected, 3 kept local (outside the filter)");
  });

  it("the exit code of status follows the states", function () {
    expect(statusExitCode([])).to.equal(4);
    expect(statusExitCode([status()])).to.equal(0);
    expect(statusExitCode([status(), status({ conflicts: 1 })])).to.equal(5);
    expect(statusExitCode([status({ state: { kind: "needs-attention", since: NOW, reason: "x", code: 4003 } })])).to.equal(5);
    expect(statusExitCode([status({ state: { kind: "offline", since: NOW } })])).to.equal(0);
    expect(statusExitCode([status({ rejectedUploads: 1 })])).to.equal(5);
    expect(statusExitCode([status({ rejectedUploads: 0 })])).to.equal(0);
    expect(needsAttention(status({ state: { kind: "backoff", untilMs: NOW, attempt: 1, lastError: { code: 1, message: "m", at: NOW } } }))).to.equal(true);
  });

  it("renderProgressBar draws a bar only when the total is known", function () {
    expect(renderProgressBar("@alice", { direction: "download", done: 4000, total: 10_000 }, 10))
      .to.equal("@alice downloading [####------] 40% (4,000/10,000)");
    expect(renderProgressBar("@alice", { direction: "upload", done: 10, total: 10 }, 4)).to.equal("@alice uploading [####] 100% (10/10)");
    expect(renderProgressBar("@alice", { direction: "download", done: 1200, total: null })).to.equal("@alice downloading… 1,200 so far");
    expect(renderProgressBar("@alice", { direction: "upload", done: 0, total: null })).to.equal("@alice uploading…");
  });
});
