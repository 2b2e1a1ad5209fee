// Listing a large store through the real daemon: one atSign holding N keys (default 1,000,000,
// pulled from a dev-server in another process whose store is filled directly), then
//   - `atsyncd ls` (the CLI, a child process): time to its first key on stdout, total time, lines;
//   - the same with a regex no literal start narrows (tested in SQLite, a bounded scan a page);
//   - the client's listPages: time to the first page, total;
// and the daemon's RSS (one worker) before, after those, and after 20 more regex listings, each
// the lowest reading over a second once it has settled.
// Run (after `npm run build`): node --import tsx bench/list.ts [keys]
// Targets: ls of 1M keys works and starts printing at once; RSS back near where it was.
// Before paging (issue 14): ls of 1M failed (a frame over the limit, after 3.3 s; RSS 278 → 454 MB),
// a regex ls took 2.5 s, and after ~20 of them the worker held 540 MB.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DevServerInfo } from "../atserver/DevServer.js";
import { atsyncdBin, startTestDaemon, waitFor, type TestDaemon } from "../test/support/daemon.js";
import { spawnBenchChild, type BenchChild } from "./support/benchChild.js";
import { machineLoad, rssMb } from "./support/procStats.js";

const KEYS = Number(process.argv[2] ?? 1_000_000);
const A = "@list🛠";

async function settledRss(pid: number): Promise<number> {
  await new Promise((r) => setTimeout(r, 1000));
  let low = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 200));
    low = Math.min(low, rssMb(pid));
  }
  return low;
}

/** Runs `atsyncd ls` and times its first byte on stdout and its exit; counts the lines. */
function timedLs(socket: string, args: string[]): Promise<{ firstMs: number; totalMs: number; lines: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let firstMs = Number.NaN;
    let lines = 0;
    const p = spawn(process.execPath, [atsyncdBin, "ls", A, ...args, "--socket", socket], { stdio: ["ignore", "pipe", "inherit"] });
    p.stdout.on("data", (chunk: Buffer) => {
      if (Number.isNaN(firstMs)) firstMs = performance.now() - t0;
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
    });
    p.once("error", reject);
    p.once("exit", (code) => resolve({ firstMs, totalMs: performance.now() - t0, lines, code }));
  });
}

function row(what: string, r: { firstMs: number; totalMs: number; lines: number; code: number | null }): string {
  return `${what}: first key after ${r.firstMs.toFixed(0)} ms, all ${r.lines.toLocaleString("en")} after ${(r.totalMs / 1000).toFixed(2)} s${r.code === 0 ? "" : ` (exit ${r.code})`}`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "atsyncd-bench-list-"));
  let server: BenchChild | undefined;
  let d: TestDaemon | undefined;
  try {
    server = await spawnBenchChild(fileURLToPath(new URL("./support/serverMain.ts", import.meta.url)), [join(dir, "server"), `${A}=${KEYS}`]);
    const t0 = performance.now();
    d = await startTestDaemon({ devServer: { info: server.info as DevServerInfo }, atSigns: [A], readyTimeoutMs: 600_000 });
    const c = d.client;
    await waitFor("every key pulled", async () => (await c.status(A))[0]?.inSync === true, 900_000);
    process.stdout.write(`${machineLoad()}\npulled ${KEYS.toLocaleString("en")} keys in ${((performance.now() - t0) / 1000).toFixed(1)} s (not measured here)\n`);
    const pid = d.proc.pid ?? 0;
    const before = await settledRss(pid);

    const plain = await timedLs(d.socketPath, []);
    process.stdout.write(`${row("atsyncd ls", plain)}\n`);
    const regex = await timedLs(d.socketPath, ["9999\\."]);
    process.stdout.write(`${row("atsyncd ls REGEX (no literal start)", regex)}\n`);
    const prefixed = await timedLs(d.socketPath, ["^key12345"]);
    process.stdout.write(`${row("atsyncd ls ^LITERAL", prefixed)}\n`);

    const tp = performance.now();
    let firstPageMs = Number.NaN;
    let n = 0;
    for await (const page of c.listPages(A, { namespace: "bench" })) {
      if (Number.isNaN(firstPageMs)) firstPageMs = performance.now() - tp;
      n += page.length;
    }
    process.stdout.write(`client listPages --namespace bench: first page after ${firstPageMs.toFixed(0)} ms, ${n.toLocaleString("en")} keys after ${((performance.now() - tp) / 1000).toFixed(2)} s\n`);
    const after = await settledRss(pid);

    const tr = performance.now();
    for (let i = 0; i < 20; i++) await c.list(A, { regex: `${i}77\\.` });
    const twentyS = (performance.now() - tr) / 1000;
    const afterTwenty = await settledRss(pid);
    process.stdout.write(`20 regex listings (client list): ${twentyS.toFixed(1)} s, ${(twentyS / 20).toFixed(2)} s each\n`);
    process.stdout.write(`daemon RSS (1 worker): ${before.toFixed(0)} MB before, ${after.toFixed(0)} MB after the listings above, ${afterTwenty.toFixed(0)} MB after 20 regex listings\n`);
  } finally {
    await d?.dispose();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
