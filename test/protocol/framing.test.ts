import { expect } from "chai";
import { MonitorReader, ReplyReader, parseReply } from "../../protocol/framing.js";
import { fixturesOrSkip, readFixture } from "../support/fixtures.js";

interface FramingCase {
  chunks: string[];
  reply: string;
}

function loadCases(): FramingCase[] {
  const doc = JSON.parse(readFixture("framing.json")) as { cases: FramingCase[] };
  return doc.cases;
}

// The fixtures use @alice; the demo atSigns carry an emoji, so run each case both ways.
function withEmoji(c: FramingCase): FramingCase {
  const sub = (s: string): string => s.replaceAll("alice", "alice🛠");
  return { chunks: c.chunks.map(sub), reply: sub(c.reply) };
}

function feedAll(reader: ReplyReader, chunks: Array<string | Buffer>): string[] {
  return chunks.flatMap((c) => reader.push(c));
}

describe("protocol/framing ReplyReader", function () {
  let cases: FramingCase[] = [];
  before(function () {
    fixturesOrSkip(this);
    cases = loadCases();
    expect(cases.length).to.be.greaterThan(0);
  });

  it("yields each fixture reply, fed chunk by chunk", function () {
    for (const c of cases) {
      const reader = new ReplyReader();
      const got: string[] = [];
      for (const chunk of c.chunks) got.push(...reader.push(chunk));
      expect(got, JSON.stringify(c.chunks)).to.deep.equal([c.reply]);
    }
  });

  it("yields each reply at every byte split, with emoji atSigns", function () {
    for (const c of cases.flatMap((x) => [x, withEmoji(x)])) {
      const bytes = Buffer.from(c.chunks.join(""), "utf8");
      for (let cut = 1; cut < bytes.length; cut++) {
        const got = feedAll(new ReplyReader(), [bytes.subarray(0, cut), bytes.subarray(cut)]);
        expect(got, `cut ${cut} of ${JSON.stringify(c.chunks)}`).to.deep.equal([c.reply]);
      }
    }
  });

  it("keeps a 🛠 split inside its UTF-8 sequence intact", function () {
    const text = "data:phone.wavi@alice🛠\n@alice🛠@";
    const bytes = Buffer.from(text, "utf8");
    const emojiAt = bytes.indexOf(Buffer.from("🛠", "utf8"));
    expect(emojiAt).to.be.greaterThan(0);
    for (let k = 1; k < 4; k++) {
      const got = feedAll(new ReplyReader(), [bytes.subarray(0, emojiAt + k), bytes.subarray(emojiAt + k)]);
      expect(got).to.deep.equal(["data:phone.wavi@alice🛠"]);
    }
  });

  it("reads all the cases in sequence on one connection, byte by byte", function () {
    const all = [{ chunks: ["@"], reply: "" }, ...cases, ...cases.map(withEmoji)];
    const bytes = Buffer.from(all.map((c) => c.chunks.join("")).join(""), "utf8");
    const reader = new ReplyReader();
    const got: string[] = [];
    for (let i = 0; i < bytes.length; i++) got.push(...reader.push(bytes.subarray(i, i + 1)));
    expect(got).to.deep.equal(all.slice(1).map((c) => c.reply));
  });

  it("returns several replies from one chunk and strips a root reply's \\r", function () {
    const reader = new ReplyReader();
    expect(reader.push("@data:ok\n@alice@data:1\n@alice@error:AT0015-key not found\n@alice@")).to.deep.equal([
      "data:ok",
      "data:1",
      "error:AT0015-key not found",
    ]);
    expect(new ReplyReader().push("@127.0.0.1:6464\r\n@")).to.deep.equal(["127.0.0.1:6464"]);
  });
});

describe("protocol/framing ReplyReader: long replies", function () {
  it("holds the chunks of a 4 MB reply without joining them until the one that ends it, then yields it whole", function () {
    const body = `data:${"x".repeat(4 * 1024 * 1024)}`;
    const wire = Buffer.from(`@alice🛠@${body}\n@alice🛠@`, "utf8");
    const reader = new ReplyReader();
    const got: string[] = [];
    let early = 0;
    for (let at = 0; at < wire.length; at += 16_384) {
      const replies = reader.push(wire.subarray(at, at + 16_384));
      if (replies.length === 0 && at + 16_384 < wire.length) early++;
      got.push(...replies);
    }
    expect(got).to.deep.equal([body]);
    expect(early).to.equal(Math.ceil(wire.length / 16_384) - 1);
    expect(reader.pendingBytes).to.equal(Buffer.byteLength("@alice🛠@"));
  });

  it("sees a reply's end split between chunks right after its newline", function () {
    const reader = new ReplyReader();
    expect(reader.push("@alice@data:one\n")).to.deep.equal([]);
    expect(reader.push("@alice@data:two\n")).to.deep.equal(["data:one"]);
    expect(reader.push("@")).to.deep.equal(["data:two"]);
  });
});

describe("protocol/framing MonitorReader", function () {
  const n1 = '{"id":"1","from":"@bob🛠","to":"@alice🛠","key":"@alice🛠:phone.wavi@bob🛠","value":"x","operation":"update","epochMillis":5}';
  const n2 = '{"id":"-1","from":"@alice🛠","to":"@alice🛠","key":"statsNotification.@alice🛠","value":"27","operation":"update","epochMillis":6}';
  const stream = `@data:_abc@alice🛠:def\n@data:success\n@alice🛠@notification: ${n1}\ndata:ok\n@alice🛠@notification: ${n2}\n`;
  const expected = [
    { kind: "reply", reply: "data:_abc@alice🛠:def" },
    { kind: "reply", reply: "data:success" },
    { kind: "notification", json: n1 },
    { kind: "reply", reply: "data:ok" },
    { kind: "notification", json: n2 },
  ];

  it("separates notifications from replies, whole", function () {
    expect(new MonitorReader().push(stream)).to.deep.equal(expected);
  });

  it("separates them at every byte split", function () {
    const bytes = Buffer.from(stream, "utf8");
    for (let cut = 1; cut < bytes.length; cut++) {
      const r = new MonitorReader();
      const got = [...r.push(bytes.subarray(0, cut)), ...r.push(bytes.subarray(cut))];
      expect(got, `cut ${cut}`).to.deep.equal(expected);
    }
  });
});

describe("protocol/framing parseReply", function () {
  it("classifies data and error replies", function () {
    expect(parseReply("data:27")).to.deep.equal({ kind: "data", data: "27" });
    expect(parseReply("data: [1]")).to.deep.equal({ kind: "data", data: " [1]" });
    expect(parseReply("error:AT0015-key not found")).to.deep.equal({ kind: "error", code: "AT0015", message: "key not found" });
  });

  it("rejects anything else with AT0011", function () {
    expect(() => parseReply("garbage")).to.throw().with.property("code", "AT0011");
  });
});
