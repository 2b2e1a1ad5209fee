// Public values travel unencrypted on the one-line `update` command, which the atServer trims
// and whose value regex (`.+`) stops at a line terminator. Whatever it cannot carry exactly goes
// base64-encoded with `encoding:base64` (atprotocol.md §6.2), so every device reads the value
// it was given. Two worker devices of one atSign against the dev-server over TLS.
import { expect } from "chai";
import { keysGet, keysPut } from "../../daemon/worker/handlers/keys.js";
import { ErrorCode } from "../../shared/errors.js";
import { useWorkerDevices } from "../support/workerDevice.js";
import { syncOk, useDevServer } from "./support/devHarness.js";

const ALICE = "@alice🛠";

/** Values the one-line command would refuse (AT0003) or store changed. */
const AWKWARD: Record<string, string> = {
  cr: "before\rafter",
  crlf: "line one\r\nline two",
  trailingcr: "ends with a return\r",
  lf: "line one\nline two",
  trailingspace: "ends with a space ",
  leadingspace: "  starts with spaces",
  tab: "\tindented",
  nbsp: "ends with a no-break space\u00a0",
  linesep: "unicode\u2028line separator",
  parasep: "unicode\u2029paragraph separator",
  nel: "next line\u0085",
  bom: "\ufeffbyte order mark",
  escape: "literal ~NL~ stays literal",
};

describe("sync: public values the one-line update cannot carry exactly", function () {
  this.timeout(60_000);
  const h = useDevServer(ALICE, "atsyncd-public", { atSigns: [ALICE], statsIntervalMs: 60_000 });
  const worker = useWorkerDevices(h, ALICE);

  it("scenario: a public value with \\r (and other awkward values) put on one device reads identical on a second device after sync", async () => {
    const a = worker("a");
    const b = worker("b");
    for (const [name, value] of Object.entries(AWKWARD)) {
      await keysPut(a.ctx, { atSign: ALICE, key: `public:${name}.wavi${ALICE}`, value });
    }
    await syncOk(a.device);
    await syncOk(b.device);
    expect(a.device.store.rejectedChanges().map((c) => [c.atKey, c.lastError])).to.deep.equal([]);
    expect(a.device.store.pendingChanges().map((c) => [c.atKey, c.lastError])).to.deep.equal([]);
    for (const [name, value] of Object.entries(AWKWARD)) {
      const key = `public:${name}.wavi${ALICE}`;
      const got = await keysGet(b.ctx, { atSign: ALICE, key });
      expect(got.value, name).to.equal(value);
      expect(got.metadata.encoding, name).to.equal("base64");
      // What the SDK reads (get_response_transformer): the server's value, base64-decoded because of `encoding`.
      const onServer = await h.serverValue(key);
      expect(Buffer.from(onServer ?? "", "base64").toString("utf8"), name).to.equal(value);
    }
  });

  it("scenario: a plain public value stays as it is on the server, without encoding", async () => {
    const a = worker("a");
    const b = worker("b");
    await keysPut(a.ctx, { atSign: ALICE, key: `public:plain.wavi${ALICE}`, value: "Alice in the middle" });
    await syncOk(a.device);
    await syncOk(b.device);
    const got = await keysGet(b.ctx, { atSign: ALICE, key: `public:plain.wavi${ALICE}` });
    expect(got.value).to.equal("Alice in the middle");
    expect(got.metadata.encoding).to.equal(undefined);
    expect(await h.serverValue(`public:plain.wavi${ALICE}`)).to.equal("Alice in the middle");
  });

  it("scenario: an empty public value, which no encoding can carry, is refused at put instead of being rejected at push", async () => {
    const a = worker("a");
    const err = await keysPut(a.ctx, { atSign: ALICE, key: `public:empty.wavi${ALICE}`, value: "" }).then(() => undefined, (e: unknown) => e);
    expect(err).to.have.property("code", ErrorCode.InvalidParams);
    expect(a.device.store.get(`public:empty.wavi${ALICE}`)).to.equal(undefined);
  });
});
