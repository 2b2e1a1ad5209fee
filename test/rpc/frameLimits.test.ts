// The frame limits as bytes arrive (shared/FrameSplitter.ts, shared/FrameScanner.ts): whole frames
// through, a frame over a limit refused at once and skipped to its newline, the stream going on.
import { expect } from "chai";
import { FrameScanner } from "../../shared/FrameScanner.js";
import { FrameSplitter, type FrameLimits, type FrameViolation } from "../../shared/FrameSplitter.js";
import { leadingFrameId } from "../../shared/protocol.js";
import { forceGc } from "../support/forceGc.js";

type Out = { frame: string } | { refused: FrameViolation; head: string };

function split(chunks: Buffer[], limits: Partial<FrameLimits> = {}): Out[] {
  const s = new FrameSplitter({ maxBytes: 1024, maxDepth: 4, maxValues: 20, ...limits });
  const out: Out[] = [];
  for (const c of chunks) {
    s.push(c, (f) => out.push({ frame: Buffer.from(f).toString("utf8") }), (r) => out.push({ refused: r.violation, head: Buffer.from(r.head).toString("utf8") }));
  }
  return out;
}

/** Every way of cutting `text` in two, and byte by byte. */
function cuts(text: string): Buffer[][] {
  const bytes = Buffer.from(text, "utf8");
  const all: Buffer[][] = [];
  for (let cut = 0; cut <= bytes.length; cut++) all.push([bytes.subarray(0, cut), bytes.subarray(cut)]);
  all.push([...bytes].map((b) => Buffer.from([b])));
  return all;
}

describe("FrameSplitter and FrameScanner", () => {
  it("reassembles frames cut at every byte, emoji included", () => {
    for (const chunks of cuts('{"a":"@alice🛠"}\n{"b":"☎"}\r\n\n{"c":1}\n')) {
      expect(split(chunks)).to.deep.equal([{ frame: '{"a":"@alice🛠"}' }, { frame: '{"b":"☎"}' }, { frame: '{"c":1}' }]);
    }
  });

  it("refuses a frame over the byte limit, complete or still arriving, counting bytes, and reads on after its newline", () => {
    expect(split([Buffer.from("🛠".repeat(3) + "\n")], { maxBytes: 12 })).to.deep.equal([{ frame: "🛠".repeat(3) }]); // 12 bytes
    expect(split([Buffer.from("🛠".repeat(3) + "\r\n")], { maxBytes: 12 })).to.deep.equal([{ frame: "🛠".repeat(3) }]);
    expect(split([Buffer.from("🛠".repeat(3) + "x\n{}\n")], { maxBytes: 12 })).to.deep.equal([{ refused: "size", head: "🛠".repeat(3) + "x" }, { frame: "{}" }]);
    // Still arriving: refused as soon as it passes the limit; the rest is skipped, never held.
    const s = new FrameSplitter({ maxBytes: 12, maxDepth: 4, maxValues: 20 });
    const out: string[] = [];
    s.push(Buffer.from("x".repeat(10)), () => out.push("frame"), () => out.push("refused"));
    s.push(Buffer.from("x".repeat(10)), () => out.push("frame"), () => out.push("refused"));
    expect([out, s.pendingBytes]).to.deep.equal([["refused"], 0]);
    s.push(Buffer.from("y".repeat(5000)), () => out.push("frame"), () => out.push("refused"));
    expect(s.pendingBytes).to.equal(0);
    s.push(Buffer.from("yy\n[1]\n"), (f) => out.push(Buffer.from(f).toString()), () => out.push("refused"));
    expect(out).to.deep.equal(["refused", "[1]"]);
  });

  it("refuses nesting deeper than maxDepth at the first byte past it, and counts no bracket inside a string", () => {
    for (const chunks of cuts('[[[[]]]]\n[[[[[]]]]]\n["[[[[[[","\\"[[[[[["]\n')) {
      // The head is what had arrived of the frame when it was refused: at least up to the fifth bracket.
      const out = split(chunks).map((o) => ("head" in o && o.head.startsWith("[[[[[") ? { refused: o.refused } : o));
      expect(out).to.deep.equal([{ frame: "[[[[]]]]" }, { refused: "depth" }, { frame: '["[[[[[[","\\"[[[[[["]' }]);
    }
    // The refusal does not wait for the frame to end.
    const out: Out[] = [];
    new FrameSplitter({ maxBytes: 1 << 20, maxDepth: 4, maxValues: 20 }).push(Buffer.from("[".repeat(100_000)), () => undefined, (r) => out.push({ refused: r.violation, head: "" }));
    expect(out).to.deep.equal([{ refused: "depth", head: "" }]);
  });

  it("refuses more than maxValues (opening brackets plus commas outside strings)", () => {
    const ok = `[${"1,".repeat(19)}1]`; // 1 + 19 = 20 values
    const over = `[${"1,".repeat(20)}1]`;
    const inString = `["${",".repeat(100)}"]`;
    for (const chunks of cuts(`${ok}\n${over}\n${inString}\n`)) {
      expect(split(chunks).map((o) => ("frame" in o ? o.frame : o.refused))).to.deep.equal([ok, "values", inString]);
    }
  });

  it("follows escapes across chunk boundaries: a backslash at a chunk's end escapes the next chunk's first byte", () => {
    const sc = new FrameScanner({ maxDepth: 1, maxValues: 10 });
    expect(sc.scan(Buffer.from('["a\\'), 0, 4)).to.equal(undefined);
    expect(sc.scan(Buffer.from('"[[[[", "\\\\"'), 0, 12)).to.equal(undefined);
    expect(sc.scan(Buffer.from("[["), 0, 2)).to.equal("depth");
    // A long run of escapes before a far quote is still one pass (and right).
    const esc = new FrameScanner({ maxDepth: 2, maxValues: 10 });
    const long = Buffer.from(`["${"\\\\\\\"".repeat(200_000)}[[[["]`);
    expect(esc.scan(long, 0, long.length)).to.equal(undefined);
  });

  it("stops where goOn says, and the rest pushed later yields the frames that were left", () => {
    const s = new FrameSplitter({ maxBytes: 12, maxDepth: 4, maxValues: 20 });
    const out: string[] = [];
    const chunk = Buffer.from('[1]\n\n[2]\n[[[[[]]]]]\n[3]\n{"a"');
    let budget = 2;
    const used = s.push(chunk, (f) => out.push(Buffer.from(f).toString()), (r) => out.push(r.violation), () => --budget > 0);
    expect([out, chunk.subarray(0, used).toString()]).to.deep.equal([["[1]", "[2]"], "[1]\n\n[2]\n"]);
    expect(s.push(chunk.subarray(used), (f) => out.push(Buffer.from(f).toString()), (r) => out.push(r.violation))).to.equal(chunk.length - used);
    expect([out, s.pendingBytes]).to.deep.equal([["[1]", "[2]", "depth", "[3]"], 4]);
  });

  it("holds a frame that trickles in a byte at a time in about its own bytes, not an array per byte", () => {
    // 16 MiB arriving a byte per read used to hold 16 million small arrays: about 4 GB.
    const s = new FrameSplitter({ maxBytes: 1 << 20, maxDepth: 4, maxValues: 20 });
    const byte = Buffer.from("a");
    const none = (): void => undefined;
    s.push(Buffer.from('{"v":"'), none, none);
    forceGc();
    const before = process.memoryUsage();
    for (let i = 0; i < 500_000; i++) s.push(byte, none, none);
    forceGc(); // what the splitter holds, not the garbage its pushes left for the next collection
    const after = process.memoryUsage();
    const grown = after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers;
    expect(s.pendingBytes).to.equal(500_006);
    // It was 107 MB held; the bound leaves room for what the rest of the process keeps meanwhile.
    expect(grown, `${grown} bytes held for 500,006`).to.be.below(16 * 1024 * 1024);
    const out: string[] = [];
    s.push(Buffer.from('"}\n'), (f) => out.push(Buffer.from(f).toString()), () => out.push("refused"));
    expect(out).to.deep.equal([`{"v":"${"a".repeat(500_000)}"}`]);
  });

  it("reads the id a refused frame leads with, and null for one it cannot see", () => {
    const id = (s: string) => leadingFrameId(Buffer.from(s));
    expect(id('{"jsonrpc":"2.0","id":42,"method":"keys.put","params":{"v":"')).to.equal(42);
    expect(id(' { "id" : "a\\"b" , "jsonrpc":"2.0"')).to.equal('a"b');
    expect(id('{"jsonrpc":"2.0","method":"keys.put","id":42}')).to.equal(null);
    expect(id('{"jsonrpc":"2.0","id":{"x":1}}')).to.equal(null);
    expect(id('{"jsonrpc":"2.0","id":1.5,')).to.equal(null);
    expect(id("[[[[[[")).to.equal(null);
  });
});
