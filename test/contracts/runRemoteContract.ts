// The remote contract (house-style §24): the semantics of the verbs sync uses, as one suite that
// runs against the dev-server over real TLS and against the simulator's SimServer, so neither
// can drift from what the engine is tested against (atprotocol.md §4, §4.1).
import { expect } from "chai";
import type { AtRemote } from "../../daemon/ports.js";
import { AtProtocolError } from "../../protocol/errors.js";

export interface RemoteFixture {
  atSign: string;
  /** Authenticated, to a server holding only its identity: `public:publickey<atSign>` at commit id 0. */
  remote: AtRemote;
  /** Resolves once the server's expiry sweep has deleted `key` (its ttl has passed). */
  untilExpired(key: string): Promise<void>;
  /** Empties the commit log altogether, when this server can be made to (a real one cannot). */
  emptyLog?(): Promise<void>;
  close(): Promise<void>;
}

export interface RemoteContractSetup {
  before?(): Promise<void>;
  after?(): Promise<void>;
  fresh(): Promise<RemoteFixture>;
}

interface Entry {
  atKey: string;
  value: string | null;
  metadata: Record<string, string> | null;
  commitId: number;
  operation: string;
}

export function runRemoteContract(name: string, setup: RemoteContractSetup): void {
  describe(`remote contract: ${name}`, function () {
    this.timeout(30_000);
    let f: RemoteFixture;
    let A = "";
    const req = (command: string): Promise<string> => f.remote.request(command);
    const page = async (command: string): Promise<Entry[]> => JSON.parse(await req(command)) as Entry[];
    const stat = async (command: string): Promise<string> => {
      const reply = await req(command);
      // `data: [...]`: the stats response handler writes a space after `data:`.
      expect(reply.startsWith(" [")).to.equal(true, `stats reply ${reply.slice(0, 40)}`);
      return (JSON.parse(reply) as Array<{ value: string }>)[0]!.value;
    };
    const keyIds = (entries: readonly Entry[]): Array<[string, number, string]> => entries.map((e) => [e.atKey, e.commitId, e.operation]);

    if (setup.before) before(() => setup.before!());
    if (setup.after) after(() => setup.after!());
    beforeEach(async () => {
      f = await setup.fresh();
      A = f.atSign;
    });
    afterEach(() => f.close());

    it("update answers the new commit id, one above the last; stats:3 follows it", async () => {
      expect(await stat("stats:3")).to.equal("0");
      expect(await req(`update:a.ct${A} 1`)).to.equal("1");
      expect(await req(`update:b.ct${A} 2`)).to.equal("2");
      expect(await stat("stats:3")).to.equal("2");
    });

    it("keeps one commit-log entry per key: a re-commit removes the key's old entry", async () => {
      await req(`update:a.ct${A} 1`);
      await req(`update:b.ct${A} 2`);
      expect(await req(`update:a.ct${A} 3`)).to.equal("3");
      expect(keyIds(await page("sync:from:-1:limit:25"))).to.deep.equal([[`public:publickey${A}`, 0, "*"], [`b.ct${A}`, 2, "*"], [`a.ct${A}`, 3, "*"]]);
      expect(JSON.parse(await stat("stats:15"))).to.deep.equal({ [`public:publickey${A}`]: [0, "*"], [`b.ct${A}`]: [2, "*"], [`a.ct${A}`]: [3, "*"] });
    });

    it("a delete of a key that does not exist still logs a `-`, with null value and metadata", async () => {
      expect(await req(`delete:ghost.ct${A}`)).to.equal("1");
      expect(await page("sync:from:0:limit:25")).to.deep.equal([{ atKey: `ghost.ct${A}`, value: null, metadata: null, commitId: 1, operation: "-" }]);
    });

    it("sync:from sends at most 25 entries whatever the limit, in commit order, and [] past the end", async () => {
      const items = Array.from({ length: 30 }, (_, i) => ({ id: i + 1, command: `update:p${i}.ct${A} ${i}` }));
      await req(`batch:${JSON.stringify(items)}`);
      const first = await page("sync:from:-1:limit:100");
      expect(first.map((e) => e.commitId)).to.deep.equal(Array.from({ length: 25 }, (_, i) => i));
      expect(await page("sync:from:-1:limit:5")).to.have.length(25);
      expect((await page("sync:from:24:limit:25")).map((e) => e.commitId)).to.deep.equal([25, 26, 27, 28, 29, 30]);
      expect(await page("sync:from:130:limit:25")).to.deep.equal([]);
    });

    it("applies the regex before the 25-entry window (where … take(limit)), always including public:publickey", async () => {
      const items = Array.from({ length: 30 }, (_, i) => ({ id: i + 1, command: `update:skip${i}.other${A} x` }));
      await req(`batch:${JSON.stringify(items)}`);
      expect(await req(`update:wanted.picked${A} y`)).to.equal("31");
      expect(keyIds(await page("sync:from:-1:limit:25:\\.picked"))).to.deep.equal([[`public:publickey${A}`, 0, "*"], [`wanted.picked${A}`, 31, "*"]]);
      expect(keyIds(await page("sync:from:0:limit:25:\\.picked"))).to.deep.equal([[`wanted.picked${A}`, 31, "*"]]);
    });

    it("entries it may not send still count toward the 25: a page is empty before the end of the log", async () => {
      // `cached:x@self` is no valid key (a cached key is shared or public): logged, never sent.
      const items = Array.from({ length: 25 }, (_, i) => ({ id: i + 1, command: `delete:cached:bad${i}.ct${A}` }));
      await req(`batch:${JSON.stringify(items)}`);
      expect(await req(`update:real.ct${A} v`)).to.equal("26");
      expect(await page("sync:from:0:limit:25")).to.deep.equal([]);
      expect(await stat("stats:3")).to.equal("26");
      expect(keyIds(await page("sync:from:25:limit:25"))).to.deep.equal([[`real.ct${A}`, 26, "*"]]);
      expect(keyIds(await page("sync:from:20:limit:25"))).to.deep.equal([[`real.ct${A}`, 26, "*"]]);
    });

    it("stats:3 with a regex answers the highest id it selects (always-included keys count)", async () => {
      await req(`update:x.one${A} 1`);
      await req(`update:y.two${A} 2`);
      expect(await stat("stats:3:\\.one")).to.equal("1");
      expect(await stat("stats:3:\\.two")).to.equal("2");
      expect(await stat("stats:3:nomatch-at-all")).to.equal("0");
    });

    it('stats:3 answers "null" for an empty commit log', async function () {
      if (!f.emptyLog) this.skip();
      await f.emptyLog!();
      expect(await stat("stats:3")).to.equal("null");
    });

    it("stats:15 lists the latest commit of each key, with and without a regex", async () => {
      await req(`update:x.one${A} 1`);
      await req(`delete:x.one${A}`);
      await req(`update:y.two${A} 2`);
      expect(JSON.parse(await stat("stats:15"))).to.deep.equal({ [`public:publickey${A}`]: [0, "*"], [`x.one${A}`]: [2, "-"], [`y.two${A}`]: [3, "*"] });
      expect(JSON.parse(await stat("stats:15:\\.two"))).to.deep.equal({ [`public:publickey${A}`]: [0, "*"], [`y.two${A}`]: [3, "*"] });
    });

    it("batch answers each item by its id, errors as error items, leaves out commands no handler takes", async () => {
      const reply = JSON.parse(
        await req(`batch:${JSON.stringify([
          { id: 7, command: `update:a.ct${A} 1` },
          { id: 8, command: "update:broken" },
          { id: 9, command: "bogus:thing" },
          { id: 10, command: `update:meta:missing.ct${A}:ttl:1000` },
          { id: 11, command: `delete:a.ct${A}` },
        ])}`),
      ) as unknown[];
      expect(reply).to.deep.equal([
        { id: 7, response: { data: "1" } },
        { id: 8, response: { error_code: "AT0003", error_message: "Invalid syntax" } },
        { id: 10, response: { error_code: "AT0015", error_message: "key not found" } },
        { id: 11, response: { data: "2" } },
      ]);
    });

    it("stores `~NL~` in a batch command as written: the server does not unescape it (the SDK does on read)", async () => {
      await req(`batch:${JSON.stringify([{ id: 1, command: `update:nl.ct${A} line1~NL~line2` }])}`);
      expect(await req(`llookup:nl.ct${A}`)).to.equal("line1~NL~line2");
      expect((await page("sync:from:0:limit:25"))[0]?.value).to.equal("line1~NL~line2");
    });

    it("update:meta merges into the key's metadata, keeps its value, and logs `#`", async () => {
      await req(`update:ttl:600000:m.ct${A} v`);
      expect(await req(`update:meta:m.ct${A}:ttb:1000:encoding:base64`)).to.equal("2");
      const [e] = await page("sync:from:1:limit:25");
      expect(e).to.deep.include({ atKey: `m.ct${A}`, value: "v", commitId: 2, operation: "#" });
      expect(e?.metadata).to.include({ ttl: "600000", ttb: "1000", encoding: "base64" });
    });

    it('an update keeps the metadata it leaves out, and "null" (or 0 for a duration) resets a field', async () => {
      await req(`update:ttl:600000:encoding:base64:r.ct${A} v1`);
      await req(`update:r.ct${A} v2`);
      expect((await page("sync:from:1:limit:25"))[0]?.metadata).to.include({ ttl: "600000", encoding: "base64" });
      await req(`update:ttl:0:encoding:null:r.ct${A} v3`);
      const meta = (await page("sync:from:2:limit:25"))[0]?.metadata ?? {};
      expect(meta).to.not.have.property("encoding");
      expect(meta["ttl"] ?? "0").to.equal("0");
      expect(meta).to.not.have.property("expiresAt");
    });

    it("commits an expired key's deletion as `-` at a new commit id", async () => {
      expect(await req(`update:ttl:1:e.ct${A} soon`)).to.equal("1");
      await f.untilExpired(`e.ct${A}`);
      expect(keyIds(await page("sync:from:0:limit:25"))).to.deep.equal([[`e.ct${A}`, 2, "-"]]);
      const err = await req(`llookup:e.ct${A}`).then(() => null, (e: unknown) => e);
      expect(err).to.be.instanceOf(AtProtocolError);
      expect((err as AtProtocolError).code).to.equal("AT0015");
    });
  });
}
