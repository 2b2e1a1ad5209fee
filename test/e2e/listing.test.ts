// Listing 50,000 keys through the real daemon: `atsyncd ls` (a child process, and in process to
// watch it print page by page), the client's pages with writes and deletes between them, the
// filters, and the params keys.list refuses. The dev-server runs in its own process, its store
// filled directly (bench/support/serverMain.ts), and the daemon pulls the keys as it would any.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { DevServerInfo } from "../../atserver/DevServer.js";
import { spawnBenchChild, type BenchChild } from "../../bench/support/benchChild.js";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { main } from "../../daemon/cli/dispatch.js";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import { KeysList } from "../../shared/methods.js";
import { runCli } from "../cli/support/cli.js";
import { requireBuild, startTestDaemon, waitFor, type TestDaemon } from "../support/daemon.js";

const A = "@lister🛠";
const N = 50_000;
const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
const benchKeys = Array.from({ length: N }, (_, i) => `key${i}.bench${A}`).sort(byBytes);

/** A stdout that takes each write a turn later, with a small buffer: the CLI must wait for it to drain. */
function slowStdout(): { stream: Writable; writes: string[] } {
  const writes: string[] = [];
  const stream = new Writable({
    highWaterMark: 4096,
    write(chunk: Buffer | string, _enc, cb) {
      writes.push(chunk.toString());
      setImmediate(cb);
    },
  });
  return { stream, writes };
}

describe("listing 50,000 keys through the daemon (e2e)", function () {
  this.timeout(180_000);
  let dir: string;
  let server: BenchChild | undefined;
  let d: TestDaemon;

  before(async function () {
    requireBuild();
    dir = mkdtempSync(join(tmpdir(), "atsyncd-e2e-list-"));
    server = await spawnBenchChild(fileURLToPath(new URL("../../bench/support/serverMain.ts", import.meta.url)), [join(dir, "server"), `${A}=${N}`]);
    d = await startTestDaemon({ devServer: { info: server.info as DevServerInfo }, atSigns: [A], readyTimeoutMs: 60_000 });
    await waitFor("every key pulled", async () => (await d.client.status(A))[0]?.inSync === true, 120_000);
  });
  after(async function () {
    await d?.dispose();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("atsyncd ls prints every key once, in key order, as lines and as a JSON array", async function () {
    const r = await runCli(["ls", A, "--socket", d.socketPath], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.split("\n").slice(0, -1);
    expect(lines).to.deep.equal([...lines].sort(byBytes));
    expect(new Set(lines).size).to.equal(lines.length);
    expect(lines.filter((k) => k.endsWith(`.bench${A}`))).to.deep.equal(benchKeys);
    // Besides the bench keys, only the atSign's own few (public:publickey and such).
    expect(lines.length - N).to.be.within(0, 10);
    const json = await runCli(["ls", A, "--namespace", "bench", "--json", "--socket", d.socketPath], { timeoutMs: 60_000 });
    expect(json.code, json.stderr).to.equal(0);
    expect(JSON.parse(json.stdout)).to.deep.equal(benchKeys);
    expect(json.stdout).to.equal(`${JSON.stringify(benchKeys, null, 2)}\n`);
    const none = await runCli(["ls", A, "^nothing", "--json", "--socket", d.socketPath]);
    expect([none.code, none.stdout]).to.deep.equal([0, "[]\n"]);
  });

  it("ls prints page by page as they arrive, waiting for a slow stdout to drain", async function () {
    const out = slowStdout();
    const err = slowStdout();
    const code = await main(["ls", A, "--namespace", "bench", "--socket", d.socketPath], {
      stdout: out.stream, stderr: err.stream, env: { PATH: process.env.PATH }, clock: new SystemClock(),
    });
    expect(code, err.writes.join("")).to.equal(0);
    // One write a page of 1000: the first was printed before the second page was asked for.
    expect(out.writes).to.have.length(N / 1000);
    expect(out.writes[0]?.split("\n").slice(0, -1)).to.deep.equal(benchKeys.slice(0, 1000));
    expect(out.writes.join("")).to.equal(`${benchKeys.join("\n")}\n`);
  });

  it("a regex and a namespace select the same keys, the regex tested in the worker on bounded pages", async function () {
    const re = await runCli(["ls", A, "^key4999", "--socket", d.socketPath]);
    expect(re.stdout.split("\n").slice(0, -1)).to.deep.equal(benchKeys.filter((k) => k.startsWith("key4999")));
    expect(re.stdout.split("\n")).to.have.length(11 + 1);
    const sparse = await d.client.list(A, { regex: "7777\\." });
    expect(sparse).to.deep.equal(benchKeys.filter((k) => k.includes("7777.")));
    expect(await d.client.list(A, { namespace: "nothing" })).to.deep.equal([]);
  });

  it("client pages with writes and deletes between them: nothing twice, keys ahead listed, keys behind and deleted ones not", async function () {
    const c = await d.connect("pager");
    const listed: string[] = [];
    let pages = 0;
    for await (const page of c.listPages(A, { namespace: "bench", limit: 5_000 })) {
      listed.push(...page);
      if (++pages === 1) {
        await c.put(A, `zzz.bench${A}`, "ahead");
        await c.put(A, `aaa.bench${A}`, "behind");
        await c.delete(A, benchKeys.at(-1) ?? "");
        await c.put(A, benchKeys.at(-2) ?? "", "written again");
        await c.delete(A, benchKeys[0] ?? "");
      }
    }
    expect(new Set(listed).size).to.equal(listed.length);
    expect(listed).to.deep.equal([...benchKeys.slice(0, -1), `zzz.bench${A}`]);
    expect(pages).to.equal(11);
  });

  it("keys.list refuses a bad limit or cursor with InvalidParams, naming the field", async function () {
    const c = d.client;
    for (const [params, path] of [
      [{ atSign: A, limit: 0 }, "limit"], [{ atSign: A, limit: 10_001 }, "limit"],
      [{ atSign: A, cursor: "not-a-cursor" }, "cursor"], [{ atSign: A, cursor: "" }, "cursor"],
    ] as const) {
      const err = await c.call(KeysList, params).catch((e: unknown) => e);
      expect(AtsyncError.is(err, ErrorCode.InvalidParams), JSON.stringify(params)).to.equal(true);
      expect((err as AtsyncError).data, JSON.stringify(params)).to.deep.equal({ path });
    }
    const page = await c.call(KeysList, { atSign: A, namespace: "bench", limit: 3 });
    const other = await c.call(KeysList, { atSign: A, cursor: page.nextCursor ?? "" }).catch((e: unknown) => e);
    expect((other as AtsyncError).message).to.match(/'cursor' belongs to a listing with another regex, namespace or showHidden/u);
  });
});
