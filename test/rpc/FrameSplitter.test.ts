import { expect } from "chai";
import { FrameSplitter } from "../../daemon/rpc/FrameSplitter.js";

describe("FrameSplitter", () => {
  function split(chunks: Buffer[], max = 1024): { frames: string[]; ok: boolean } {
    const s = new FrameSplitter(max);
    const frames: string[] = [];
    let ok = true;
    for (const c of chunks) ok = ok && s.push(c, (f) => frames.push(f.toString("utf8")));
    return { frames, ok };
  }

  it("reassembles frames cut at every byte, emoji included", () => {
    const text = '{"a":"@alice🛠"}\n{"b":"☎"}\r\n\n{"c":1}\n';
    const bytes = Buffer.from(text, "utf8");
    for (let cut = 0; cut <= bytes.length; cut++) {
      const r = split([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(r.ok).to.equal(true);
      expect(r.frames, `cut at ${cut}`).to.deep.equal(['{"a":"@alice🛠"}', '{"b":"☎"}', '{"c":1}']);
    }
    const oneByOne = split([...bytes].map((b) => Buffer.from([b])));
    expect(oneByOne.frames).to.have.length(3);
  });

  it("refuses a frame over the limit, complete or still arriving, counting bytes", () => {
    expect(split([Buffer.from("🛠".repeat(3) + "\n")], 12).ok).to.equal(true); // 12 bytes
    expect(split([Buffer.from("🛠".repeat(3) + "x\n")], 12).ok).to.equal(false);
    expect(split([Buffer.from("x".repeat(10)), Buffer.from("x".repeat(10))], 12).ok).to.equal(false);
  });
});
