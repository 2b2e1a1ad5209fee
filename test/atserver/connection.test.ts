import { expect } from "chai";
import net from "node:net";
import { ALICE } from "./support/demo.js";
import { useDemoServer } from "./support/harness.js";
import { splitAddress } from "./support/RawClient.js";

describe("dev-server connections: framing, limits and bad input (§1.2, §10)", function () {
  const h = useDemoServer(this);

  it("writes each reply and its prompt in one write", async function () {
    const c = await h().login();
    const before = c.chunks.length;
    expect(await c.raw(`update:one.wavi${ALICE} v`)).to.match(new RegExp(`^data:\\d+\\n${ALICE}@$`, "u"));
    expect(c.chunks.slice(before)).to.have.length(1);
  });

  it("treats everything up to a trailing newline as one command, even if sent in pieces", async function () {
    const c = await h().login();
    c.write("llookup:pub");
    c.write("lic:publickey@ali");
    c.write(Buffer.from("ce🛠", "utf8").subarray(0, 4));
    c.write(Buffer.concat([Buffer.from("ce🛠", "utf8").subarray(4), Buffer.from("\n")]));
    expect(await c.nextReply()).to.match(new RegExp(`^data:MII[^\\n]+\\n${ALICE}@$`, "u"));
  });

  it("closes with AT0005 over 10,240,000 bytes, and the limit counts bytes", async function () {
    const c = await h().login();
    // 10,240,000 bytes exactly (with the newline) is still one command.
    const fits = `update:fits.wavi${ALICE} `;
    const pad = 10_240_000 - Buffer.byteLength(fits) - 1;
    const value = "é".repeat(Math.floor(pad / 2)) + "a".repeat(pad % 2);
    expect(Buffer.byteLength(`${fits}${value}\n`)).to.equal(10_240_000);
    expect(await c.cmd(`${fits}${value}`, 20_000)).to.match(/^data:\d+$/u);
    c.write(`update:over.wavi${ALICE} ${"🛠".repeat(2_560_000)}\n`);
    expect(await c.nextReply(20_000)).to.equal(
      `error:AT0005-Buffer limit exceeded : InboundBuffer overflow: server received request which exceeded the buffer size limit. Terminating the connection.\n${ALICE}@`,
    );
    await c.waitClosed();
    const other = await h().login();
    expect(await other.cmd(`llookup:over.wavi${ALICE}`)).to.match(/^error:AT0015-/u);
  });

  it("keeps the connection open after syntax, key and auth errors", async function () {
    const c = await h().open();
    for (const bad of ["update", "llookup", "sync:from:x", "stats:0", "scan:showhidden:maybe", "pkam:", "from:", "from:@a:b@c", "\u0000\u0001"]) {
      expect(await c.cmd(bad)).to.match(/^error:AT0(003|401)-/u);
    }
    expect(await c.raw("noop:0")).to.equal("data:ok\n@");
  });

  it("answers malformed and hostile commands without harming another connection", async function () {
    const victim = await h().login();
    const bad = await h().login();
    const inputs = [
      "update:meta:",
      `update:ttl:abc:x.wavi${ALICE} v`,
      "monitor ((( ",
      "batch:not json",
    ];
    for (const cmd of inputs.slice(0, -1)) {
      expect(await bad.cmd(cmd), cmd).to.match(/^error:AT0003-/u);
    }
    // A batch body that is not JSON is an unexpected exception on the real server: AT0011 and a close.
    expect(await bad.cmd("batch:not json")).to.equal("error:AT0011-Internal server exception : FormatException: batch request is not valid JSON");
    await bad.waitClosed();
    // Not UTF-8: the real listener's utf8.decode throws and its catch only clears the buffer, so
    // there is no reply at all; the connection stays usable.
    const binary = await h().open();
    binary.write(Buffer.from([0xff, 0xfe, 0xfd, 0x0a]));
    expect(await binary.raw("noop:0")).to.equal("data:ok\n@");
    expect(binary.chunks.join("")).to.equal("@data:ok\n@");
    expect(await victim.raw("noop:0")).to.equal(`data:ok\n${ALICE}@`);
  });

  it("survives a client that is not TLS at all, and one that hangs up mid-command", async function () {
    const [host, port] = splitAddress(h().dev.info.atSigns[ALICE]?.secondary ?? "");
    const plain = net.connect({ host, port });
    await new Promise<void>((resolve) => plain.once("connect", () => resolve()));
    plain.write("from:@alice\n");
    await new Promise<void>((resolve) => {
      plain.once("close", () => resolve());
      plain.once("error", () => resolve());
    });
    const half = await h().login();
    half.write(`update:half.wavi${ALICE} no newline`);
    half.close();
    const c = await h().login();
    expect(await c.cmd(`llookup:half.wavi${ALICE}`)).to.match(/^error:AT0015-/u);
  });

  it("@exit closes the connection", async function () {
    const c = await h().open();
    c.write("@exit\n");
    await c.waitClosed();
  });

  it("dropConnections destroys every open client socket", async function () {
    const a = await h().login();
    h().dev.dropConnections(ALICE);
    await a.waitClosed();
    const b = await h().login();
    expect(await b.cmd("noop:0")).to.equal("data:ok");
  });
});
