// Text from a web page, as the CLI prints it: no character that drives the terminal.
import { expect } from "chai";
import { printable } from "../../daemon/cli/format/printable.js";
import { formatEvent } from "../../daemon/cli/format/eventText.js";
import { formatConflicts } from "../../daemon/cli/format/conflictText.js";
import type { AtsyncEvent } from "../../shared/events.js";
import { asEventSeq } from "../../shared/ids.js";

describe("cli: printable text", function () {
  it("scenario: an app name kept before names were checked prints with its control and bidi characters spelled out", function () {
    expect(printable("Notes\r\u001b[2K\u001b]0;x\u0007")).to.equal("Notes\\u{d}\\u{1b}[2K\\u{1b}]0;x\\u{7}");
    expect(printable("abc\u202egnp.exe")).to.equal("abc\\u{202e}gnp.exe");
    expect(printable("Wavi 🛠 Notizen")).to.equal("Wavi 🛠 Notizen");
  });

  it("scenario: atsyncd watch prints an app's request without its escapes", function () {
    const e: AtsyncEvent = { kind: "app.access.requested", seq: asEventSeq(1), at: 0, requestId: "req-1", name: "x\u001b[8m", origin: "http://a.example", atSigns: ["@a"], namespaces: ["n"] };
    const lines = formatEvent(e, { now: 0, utc: true });
    expect(lines.join("\n")).to.not.include("\u001b");
  });

  it("scenario: a notification from any atSign, naming a key with escapes, prints in watch without them; so do a rejected key and its reason", function () {
    const esc = "k\u001b]0;pwned\u0007\u009b2J.x@alice";
    const events: AtsyncEvent[] = [
      { kind: "notification.received", seq: asEventSeq(1), at: 0, atSign: "@alice", id: "n1", operation: "update", key: esc, from: "@mallory", epochMillis: 0, value: null },
      { kind: "key.changed", seq: asEventSeq(2), at: 0, atSign: "@alice", key: esc, op: "update", origin: "remote" },
      { kind: "change.rejected", seq: asEventSeq(3), at: 0, atSign: "@alice", key: esc, error: { code: "AT0003", message: "bad\u001b[31m" } },
    ] as unknown as AtsyncEvent[];
    for (const e of events) {
      const text = formatEvent(e, { now: 0, utc: true }).join("\n");
      expect(text, e.kind).to.include("k\\u{1b}]0;pwned\\u{7}\\u{9b}2J.x@alice");
      expect(text, e.kind).to.not.match(/\p{Cc}/u);
    }
  });

  it("scenario: a conflict's key and values print in atsyncd conflicts without terminal escapes (C1 controls too, which JSON leaves as they are)", function () {
    const side = { deleted: false, value: "v\u009b31m", metadata: {} };
    const lines = formatConflicts([{ id: 1, atSign: "@alice", key: "k\u001b[8m.x@alice", local: side, remote: side, policy: "local-wins", applied: "local", resolved: false, detectedAt: 0 }] as never, 0, { utc: true });
    expect(lines.join("\n")).to.not.match(/\p{Cc}/u);
    expect(lines.join("\n")).to.include("k\\u{1b}[8m.x@alice");
  });
});
