// Text from a web page, as the CLI prints it: no character that drives the terminal.
import { expect } from "chai";
import { printable } from "../../daemon/cli/format/printable.js";
import { formatEvent } from "../../daemon/cli/format/eventText.js";
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
});
