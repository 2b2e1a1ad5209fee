// Review of the reply framing (atprotocol.md §1.2): real reply shapes, with `@` and `:` inside
// values and emoji atSigns, fed at every split point (single and paired cuts) and byte by byte.
import { expect } from "chai";
import { MonitorReader, ReplyReader, parseReply } from "../../protocol/framing.js";

const ME = "@alice🛠";
const PROMPT = `${ME}@`;

// Replies as a real atServer sends them after login, each followed by "\n" + prompt.
const REPLIES = [
  `data:@bob🛠:phone.wavi${ME}`,
  `data:public:location.wavi${ME}`,
  `data:["@bob🛠:phone.wavi${ME}","public:publickey${ME}","shared_key.bob🛠${ME}"]`,
  `data:{"key":"phone.wavi${ME}","data":"a:b@c:d@e","metaData":{"createdAt":"2026-11-22 10:47:49.209Z","ttl":0}}`,
  "data:a@b:c@d🛠:e",
  "data:null",
  "data:ok",
  "data:27",
  `error:AT0015-key not found : phone.wavi${ME} does not exist`,
  `error:{"errorCode":"AT0015","errorDescription":"phone.wavi${ME} does not exist"}`,
  "error:AT0025:enrollment_id: 352b is denied",
  "data:",
];

const CHALLENGE = `_5a1b0c4e-0000-4000-8000-000000000000${ME}:9f0e`;

/** The whole byte stream of one connection: prompt, login, then every reply. */
function connectionStream(): { bytes: Buffer; replies: string[] } {
  const replies = [`data:${CHALLENGE}`, "data:success", ...REPLIES];
  const text = `@data:${CHALLENGE}\n@data:success\n${PROMPT}` + REPLIES.map((r) => `${r}\n${PROMPT}`).join("");
  return { bytes: Buffer.from(text, "utf8"), replies };
}

function feed(reader: ReplyReader, parts: Buffer[]): string[] {
  return parts.flatMap((p) => reader.push(p));
}

describe("protocol/framing review: ReplyReader", function () {
  it("yields every real reply shape, with @ and : inside values, in order", function () {
    const { bytes, replies } = connectionStream();
    expect(new ReplyReader().push(bytes)).to.deep.equal(replies);
  });

  it("yields them at every single split point", function () {
    const { bytes, replies } = connectionStream();
    for (let cut = 0; cut <= bytes.length; cut++) {
      const got = feed(new ReplyReader(), [bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(got, `cut ${cut}`).to.deep.equal(replies);
    }
  });

  it("yields them for every pair of split points of each reply with its prompts", function () {
    for (const reply of REPLIES) {
      const bytes = Buffer.from(`${PROMPT}${reply}\n${PROMPT}`, "utf8");
      for (let a = 0; a <= bytes.length; a++) {
        for (let b = a; b <= bytes.length; b++) {
          const got = feed(new ReplyReader(), [bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)]);
          expect(got, `${reply} cut ${a}/${b}`).to.deep.equal([reply]);
        }
      }
    }
  });

  it("yields them for random chunkings of the whole stream, empty chunks included (a reply is joined only when its end arrives)", function () {
    const { bytes, replies } = connectionStream();
    let x = 7;
    const next = (n: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x % n;
    };
    for (let run = 0; run < 2000; run++) {
      const cuts = Array.from({ length: 1 + next(40) }, () => next(bytes.length + 1)).sort((a, b) => a - b);
      const parts = [0, ...cuts, bytes.length].slice(1).map((end, i, ends) => bytes.subarray(i === 0 ? 0 : ends[i - 1]!, end));
      const reader = new ReplyReader();
      expect(feed(reader, [bytes.subarray(0, 0), ...parts]), `cuts ${cuts.join(",")}`).to.deep.equal(replies);
      expect(reader.pendingBytes).to.equal(Buffer.byteLength(PROMPT));
    }
  });

  it("yields them fed one byte at a time", function () {
    const { bytes, replies } = connectionStream();
    const reader = new ReplyReader();
    const got: string[] = [];
    for (let i = 0; i < bytes.length; i++) got.push(...reader.push(bytes.subarray(i, i + 1)));
    expect(got).to.deep.equal(replies);
    expect(reader.pendingBytes).to.equal(Buffer.byteLength(PROMPT));
  });

  it("keeps an error reply that follows a data reply split mid-value apart from it", function () {
    const reader = new ReplyReader();
    expect(reader.push(`${PROMPT}data:par`)).to.deep.equal([]);
    expect(reader.push(`tial🛠\n${PROMPT}error:AT0015-`)).to.deep.equal(["data:partial🛠"]);
    expect(reader.push(`key not found\n${PROMPT}`)).to.deep.equal(["error:AT0015-key not found"]);
    const parsed = parseReply("error:AT0015-key not found");
    expect(parsed).to.deep.equal({ kind: "error", code: "AT0015", message: "key not found" });
  });

  it("yields nothing for garbage without a reply end, and counts it as pending", function () {
    const reader = new ReplyReader();
    const junk = Buffer.from("\u0000\u00ff garbage: no newline 🛠 @@@ :::", "utf8");
    expect(reader.push(junk)).to.deep.equal([]);
    expect(reader.pendingBytes).to.equal(junk.length);
  });

  it("splits a data reply with an embedded \\n@ where the SDK does, and the tail fails to parse", function () {
    // Values cannot hold a raw newline (a command is one line), so a real server never sends this;
    // if one did, the tail must not pass for a reply of its own.
    const got = new ReplyReader().push(`${PROMPT}data:a\n@b:c\n${PROMPT}`);
    expect(got).to.deep.equal(["data:a", "b:c"]);
    expect(() => parseReply(got[1] ?? "")).to.throw().with.property("code", "AT0011");
  });
});

describe("protocol/framing review: MonitorReader", function () {
  const note = (i: number): string =>
    JSON.stringify({ id: `n${i}`, from: "@bob🛠", to: ME, key: `${ME}:k${i}.wavi@bob🛠`, value: `v:${i}@x`, operation: "update", epochMillis: 1_700_000_000_000 + i });
  const stats = JSON.stringify({ id: "-1", from: ME, to: ME, key: `statsNotification.${ME}`, value: "42", operation: "update", epochMillis: 1 });
  // Login, `monitor` (no reply), then notifications interleaved with heartbeat replies.
  const text =
    `@data:${CHALLENGE}\n@data:success\n${PROMPT}` +
    `notification: ${note(1)}\n` +
    `data:ok\n${PROMPT}` +
    `notification: ${stats}\n` +
    `notification: ${note(2)}\n` +
    `data:ok\n${PROMPT}` +
    `data:ok\n${PROMPT}` +
    `notification: ${note(3)}\n`;
  const expected = [
    { kind: "reply", reply: `data:${CHALLENGE}` },
    { kind: "reply", reply: "data:success" },
    { kind: "notification", json: note(1) },
    { kind: "reply", reply: "data:ok" },
    { kind: "notification", json: stats },
    { kind: "notification", json: note(2) },
    { kind: "reply", reply: "data:ok" },
    { kind: "reply", reply: "data:ok" },
    { kind: "notification", json: note(3) },
  ];
  const bytes = Buffer.from(text, "utf8");

  it("separates notifications and heartbeat replies at every single split point", function () {
    for (let cut = 0; cut <= bytes.length; cut++) {
      const r = new MonitorReader();
      expect([...r.push(bytes.subarray(0, cut)), ...r.push(bytes.subarray(cut))], `cut ${cut}`).to.deep.equal(expected);
    }
  });

  it("separates them fed one byte at a time", function () {
    const r = new MonitorReader();
    const got = [];
    for (let i = 0; i < bytes.length; i++) got.push(...r.push(bytes.subarray(i, i + 1)));
    expect(got).to.deep.equal(expected);
  });

  it("separates them at every pair of split points around one heartbeat reply", function () {
    const small = Buffer.from(`notification: ${note(1)}\ndata:ok\n${PROMPT}notification: ${note(2)}\n`, "utf8");
    const want = [
      { kind: "notification", json: note(1) },
      { kind: "reply", reply: "data:ok" },
      { kind: "notification", json: note(2) },
    ];
    for (let a = 0; a <= small.length; a += 3) {
      for (let b = a; b <= small.length; b++) {
        const r = new MonitorReader();
        const got = [...r.push(small.subarray(0, a)), ...r.push(small.subarray(a, b)), ...r.push(small.subarray(b))];
        expect(got, `cut ${a}/${b}`).to.deep.equal(want);
      }
    }
  });
});
