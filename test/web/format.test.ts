// The status page's formatting (web/format.js, the browser's own module, imported here as is).
import { expect } from "chai";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import type { AtsyncEvent } from "../../shared/events.js";
import type { SyncStatus } from "../../shared/status.js";
import { projectRoot } from "../support/fixtures.js";
import { syncStatus } from "../support/statusFixture.js";

interface PageFormat {
  bytes(n: number): string;
  duration(ms: number): string;
  ago(at: number, now: number): string;
  rate(perSecond: number | null): string;
  plural(n: number, word: string): string;
  clock(at: number): string;
  stateOf(s: SyncStatus): { text: string; tone: string };
  eventText(e: AtsyncEvent): string;
  eventSubject(e: AtsyncEvent): string;
}

describe("web: the status page's formatting", function () {
  let f: PageFormat;
  before(async function () {
    f = (await import(pathToFileURL(join(projectRoot, "web", "format.js")).href)) as PageFormat;
  });

  it("bytes, durations, ago and rates", function () {
    expect([0, 1023, 1024, 1536, 10 * 1024, 5.5 * 1024 * 1024, 3 * 1024 ** 3].map((n) => f.bytes(n)))
      .to.deep.equal(["0 B", "1023 B", "1.0 KB", "1.5 KB", "10 KB", "5.5 MB", "3.0 GB"]);
    expect([0, 999, 1000, 59_999, 60_000, 200_000, 3_600_000, 7_500_000, 86_400_000, 100_800_000].map((n) => f.duration(n)))
      .to.deep.equal(["0 ms", "999 ms", "1 s", "59 s", "1 min", "3 min 20 s", "1 h", "2 h 5 min", "1 d", "1 d 4 h"]);
    expect(f.ago(1000, 1500)).to.equal("just now");
    expect(f.ago(0, 200_000)).to.equal("3 min ago");
    expect(f.ago(0, 45_000)).to.equal("45 s ago");
    expect([null, 0.25, 3.14, 12.6, 12_345].map((r) => f.rate(r))).to.deep.equal(["", "0.25/s", "3.1/s", "13/s", "12,345/s"]);
    expect([f.plural(1, "conflict"), f.plural(2, "conflict"), f.plural(1200, "key")]).to.deep.equal(["1 conflict", "2 conflicts", "1,200 keys"]);
    expect(f.clock(new Date(2026, 0, 2, 3, 4, 5).getTime())).to.equal("03:04:05");
  });

  it("states, and one line per event", function () {
    const s = syncStatus();
    expect(f.stateOf({ ...s, state: { kind: "online", since: 0 }, inSync: true })).to.deep.equal({ text: "in sync", tone: "ok" });
    expect(f.stateOf({ ...s, state: { kind: "online", since: 0 }, inSync: false }).text).to.equal("online");
    expect(f.stateOf({ ...s, state: { kind: "connecting", since: 0, attempt: 3 } }).text).to.equal("connecting (try 3)");
    expect(f.stateOf({ ...s, state: { kind: "needs-attention", since: 0, reason: "x", code: 4003 } }).tone).to.equal("bad");
    expect(f.stateOf({ ...s, state: { kind: "starting", since: 0 }, inSync: false })).to.deep.equal({ text: "starting", tone: "wait" });
    const base = { seq: 1, at: 0 } as const;
    const key = { ...base, kind: "key.changed", atSign: "@alice", key: "phone.wavi@alice", origin: "remote", op: "update" } as AtsyncEvent;
    expect(f.eventText(key)).to.equal("changed phone.wavi@alice (from the atServer)");
    expect(f.eventSubject(key)).to.equal("@alice");
    const synced = { ...base, kind: "sync.completed", atSign: "@alice", counts: { uploaded: 1200, downloaded: 3, conflicts: 1, rejected: 0 }, durationMs: 1500 } as AtsyncEvent;
    expect(f.eventText(synced)).to.equal("synced ↑1,200 ↓3 in 1 s, 1 conflict");
    const asked = { ...base, kind: "app.access.requested", requestId: "r", name: "Wavi", origin: "http://wavi.example", atSigns: ["@alice"], namespaces: ["wavi"] } as AtsyncEvent;
    expect(f.eventText(asked)).to.equal("app \"Wavi\" from http://wavi.example asks for @alice [wavi]");
    expect(f.eventSubject(asked)).to.equal("");
  });
});
