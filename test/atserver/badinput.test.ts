import { expect } from "chai";
import { ALICE, BOB } from "./support/demo.js";
import { useDemoServer } from "./support/harness.js";

const AS = "a".repeat(40);

describe("dev-server bad input: empty lines, limits, junk batches and hostile regexes (§1.2, §4)", function () {
  const h = useDemoServer(this);

  it("answers an empty or \\r\\n line with AT0003 in the session's format, and strips \\r\\n endings", async function () {
    const c = await h().open();
    expect(await c.raw("")).to.equal("error:AT0003-Exception: invalid command\n@");
    expect(await c.raw("\r")).to.equal("error:AT0003-Exception: invalid command\n@");
    expect(await c.raw("noop:0\r")).to.equal("data:ok\n@");
    const a = await h().login();
    expect(await a.raw("")).to.equal(`error:AT0003-Invalid syntax : invalid command\n${ALICE}@`);
    expect(await a.raw(`llookup:public:publickey${ALICE}\r`)).to.match(new RegExp(`^data:MII[^\\n]+\\n${ALICE}@$`, "u"));
  });

  it("answers 300 random junk commands one by one with AT0003, and random bytes with silence", async function () {
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const pool = ["\u0000", "\r", "\t", " ", ":", "@", "🛠", "é", "\u{10FFFF}", "{", "\"", "a", "Z", "9", "\u0001"];
    const c = await h().open();
    for (let i = 0; i < 300; i++) {
      let junk = "\u0001";
      for (let n = rand(2000); n > 0; n--) junk += pool[rand(pool.length)] ?? "";
      expect(await c.raw(junk), JSON.stringify(junk.slice(0, 40))).to.equal("error:AT0003-Exception: invalid command\n@");
    }
    c.write(Buffer.from(Array.from({ length: 5000 }, () => 0x80 + rand(0x40)).concat([0x0a])));
    expect(await c.raw("noop:0")).to.equal("data:ok\n@");
  });

  it("closes with AT0005 at 10,240,001 bytes (one more than fits)", async function () {
    const c = await h().login();
    const head = `update:over1.wavi${ALICE} `;
    const cmd = `${head}${"b".repeat(10_240_001 - Buffer.byteLength(head) - 1)}\n`;
    expect(Buffer.byteLength(cmd)).to.equal(10_240_001);
    c.write(cmd);
    expect(await c.nextReply(20_000)).to.match(new RegExp(`^error:AT0005-[^\\n]*\\n${ALICE}@$`, "u"));
    await c.waitClosed();
  });

  it("runs a batch of 10,000 items in order, and survives junk batches", async function () {
    const c = await h().login();
    const items = Array.from({ length: 10_000 }, (_, i) => ({ id: i, command: i % 2 === 0 ? "noop:0" : "noop:x" }));
    const reply = JSON.parse((await c.cmd(`batch:${JSON.stringify(items)}`, 20_000)).slice(5)) as Array<{ id: number; response: Record<string, string> }>;
    expect(reply).to.have.length(10_000);
    expect(reply[0]).to.deep.equal({ id: 0, response: { data: "ok" } });
    expect(reply[9_999]).to.deep.equal({ id: 9_999, response: { error_code: "AT0003", error_message: "Invalid syntax" } });
    expect(reply.every((r, i) => r.id === i)).to.equal(true);
    // Items that are not {id, command} objects are left out.
    expect(await c.cmd('batch:[1,"x",null,{"id":1},{"command":5},[]]')).to.equal("data:[]");
    const victim = await h().login();
    const deep = await h().login();
    const reply2 = await deep.cmd(`batch:${"[".repeat(200_000)}${"]".repeat(200_000)}`);
    expect(reply2).to.match(/^(data:\[\]|error:AT0011-)/u);
    expect(await victim.cmd("noop:0")).to.equal("data:ok");
  });

  it("answers a regex that does not compile as the real handlers do: AT0003, or AT0011 and a close", async function () {
    const c = await h().login();
    expect(await c.cmd("monitor *")).to.equal("error:AT0003-Invalid syntax : Invalid regex: *");
    // The commit log compiles the regex only for an entry to test: past the end, no error.
    expect(await c.cmd("sync:from:999999:limit:1:(((")).to.equal("data:[]");
    // notify:list builds it per notification: with none received yet, no error either.
    expect(await c.cmd("notify:list:(((")).to.equal("data:null");
    expect(await c.cmd("noop:0")).to.equal("data:ok");
    // Where Dart's FormatException escapes the handler (scan's getKeys, the commit log's
    // hasMatch for sync:from and stats) it is an unexpected exception: AT0011 and a close.
    for (const cmd of ["scan (((", "sync:from:-1:limit:1:(((", "stats:3:(((", "stats:15:["]) {
      const d = await h().login();
      expect(await d.cmd(cmd), cmd).to.match(/^error:AT0011-Internal server exception : FormatException: Invalid regular expression: /u);
      await d.waitClosed();
    }
  });

  it("answers a catastrophic regex in bounded time: linear when it can be, an AT0003 budget error when not", async function () {
    const c = await h().login();
    expect(await c.cmd(`update:${AS}@alice🛠 v`)).to.match(/^data:\d+$/u);
    let t = Date.now();
    // Exponential for a backtracking engine on 40 a's; the linear engine answers at once.
    expect(await c.cmd("scan ^(a|a)*b$")).to.equal("data:[]");
    expect(await c.cmd("sync:from:-1:limit:25:^(a|a)*b$")).to.match(/^data:\[\{"atKey":"public:publickey/u);
    expect(await c.cmd("stats:3:^(a|a)*b$")).to.equal('data: [{"id":"3","name":"lastCommitID","value":"0"}]');
    expect(Date.now() - t).to.be.below(1000);
    // A backreference needs the backtracking engine: it runs under a 1 s budget.
    t = Date.now();
    expect(await c.cmd("scan (a|a)*\\1b")).to.equal("error:AT0003-Invalid syntax : regex took longer than 1000 ms: (a|a)*\\1b");
    expect(await c.cmd("sync:from:-1:limit:25:(a|a)*\\1b")).to.match(/^error:AT0003-Invalid syntax : regex took longer than 1000 ms/u);
    expect(Date.now() - t).to.be.below(4000);
    // Harmless backreferences and lookaheads still work.
    expect(await c.cmd("scan ^(?!p)(a)\\1")).to.equal(`data:["${AS}${ALICE}"]`);
    // As on the real server (convertCommand), spaces before the first ':' are removed, so a
    // scan regex holding a ':' is glued to the verb and no longer parses.
    expect(await c.cmd("scan ^(?!public:)a")).to.equal("error:AT0003-Invalid syntax : Invalid syntax. scan");
    expect(await c.cmd("noop:0")).to.equal("data:ok");
  });

  it("drops a monitor whose regex overruns the budget, without failing the writer", async function () {
    const mon = await h().login();
    mon.write("monitor (a|a)*\\1b\n");
    const bob = await h().login(BOB);
    expect(await bob.cmd(`notify:${ALICE}:${AS}.x${BOB}:hi`)).to.match(/^data:[\w-]+$/u);
    await mon.waitClosed();
    expect(await bob.cmd("noop:0")).to.equal("data:ok");
  });
});
