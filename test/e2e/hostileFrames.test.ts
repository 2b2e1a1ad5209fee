// Frames that once stalled the daemon (issue 10): 16 MiB of nested `[` blocked its main thread
// ~2.5 s and left its RSS at 705 MB; 20 of them reached 3 GB. Now each is refused as it arrives
// (shared/FrameSplitter.ts) with its error code, the connection reads on, another client's calls
// keep being answered, and the daemon's RSS stays near its baseline. The bounds are generous
// correctness bounds for a loaded 2-core machine, not speed claims (bench/bad-frames.ts measures).
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { ErrorCode } from "../../shared/errors.js";
import { MAX_FRAME_BYTES, MAX_FRAME_DEPTH, MAX_FRAME_VALUES } from "../../shared/protocol.js";
import { startTestDaemon, waitFor, type TestDaemon } from "../support/daemon.js";
import { ALICE, useDevServer } from "./devServer.js";
import { errorCode, RawRpc } from "./rawRpc.js";

const MiB = 1024 * 1024;
/** Longest from the first byte of a bad frame to its error reply. */
const REPLY_BOUND_MS = 2000;
/** A well-behaved client's p99 while bad frames arrive (one nested frame used to block ~2.5 s). */
const GOOD_P99_BOUND_MS = 1000;
/**
 * How far above its baseline the daemon's RSS may peak, and where it must come back to. Node 24's
 * heap gives its pages back later than Node 20's and 22's: under Node 24 in CI the daemon peaked
 * 77 MB above its baseline and had not gone below baseline + 64 MB within the wait, so the settled
 * bound is 100 MB (the bug this guards against kept ~600 MB per frame, and 3 GB for 20).
 */
const PEAK_BOUND_MB = 200;
const SETTLED_BOUND_MB = 100;

/** The p-th percentile of an ascending array. */
function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/mu.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

const nested = Buffer.concat([Buffer.alloc(16 * MiB - 1, "["), Buffer.from("\n")]);
const tooManyValues = Buffer.from(`{"jsonrpc":"2.0","id":"wide","method":"keys.put","params":{"v":[${"{},".repeat(4 * MiB)}{}]}}\n`);
const oversized = (id: number): Buffer => Buffer.from(`{"jsonrpc":"2.0","id":${id},"method":"keys.put","params":{"v":"${"a".repeat(MAX_FRAME_BYTES)}"}}\n`);

describe("e2e: hostile frames", function () {
  this.timeout(120_000);
  const server = useDevServer(this);
  let d: TestDaemon | undefined;
  let raw: RawRpc | undefined;
  let pid: number;
  let baseline: number;
  let stop = false;
  const latencies: number[] = [];
  const goodFailures: unknown[] = [];
  let good: Promise<void> | undefined;

  before(async function () {
    if (process.platform !== "linux") {
      process.stdout.write("      (skipped: reads the daemon's RSS from /proc)\n");
      this.skip();
    }
    d = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE] });
    pid = d.proc.pid!;
    await d.client.put(ALICE, `probe${ALICE}`, "still fine");
    raw = await RawRpc.connect(d.socketPath);
    await raw.hello();
    // The lowest of a few readings once the start-up work is done.
    baseline = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 200));
      baseline = Math.min(baseline, rssMb(pid));
    }
    const other = await d.connect("well-behaved");
    good = (async () => {
      while (!stop) {
        const t0 = performance.now();
        try {
          const r = await other.get(ALICE, `probe${ALICE}`);
          if (r.value !== "still fine") throw new Error(`wrong value ${r.value}`);
          latencies.push(performance.now() - t0);
        } catch (err) {
          goodFailures.push(err);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
  });

  after(async function () {
    stop = true;
    await good;
    raw?.close();
    await d?.dispose();
  });

  /** Sends `frame`, and returns the reply with how long it took from the first byte sent. */
  async function refuse(frame: Buffer): Promise<{ reply: Record<string, unknown>; ms: number }> {
    const t0 = performance.now();
    const written = raw!.writeAll(frame);
    const reply = await raw!.next(30_000);
    const ms = performance.now() - t0;
    await written;
    return { reply, ms };
  }

  it("16 MiB of nested [: FrameTooDeep within the bound, the connection reads on", async function () {
    const { reply, ms } = await refuse(nested);
    expect(reply).to.deep.equal({ jsonrpc: "2.0", id: null, error: { code: ErrorCode.FrameTooDeep, message: `frame nests deeper than ${MAX_FRAME_DEPTH} levels; it was dropped unread` } });
    expect(ms).to.be.below(REPLY_BOUND_MS);
    expect((await raw!.call(1, "keys.get", { atSign: ALICE, key: `probe${ALICE}` })).result).to.deep.include({ value: "still fine" });
  });

  it("a frame over MAX_FRAME_BYTES: FrameTooLarge to the id it leads with, within the bound; the connection reads on", async function () {
    const { reply, ms } = await refuse(oversized(2));
    expect([reply.id, errorCode(reply)]).to.deep.equal([2, ErrorCode.FrameTooLarge]);
    expect(ms).to.be.below(REPLY_BOUND_MS);
    expect((await raw!.call(3, "keys.get", { atSign: ALICE, key: `probe${ALICE}` })).result).to.deep.include({ value: "still fine" });
  });

  it("a flat frame of more than MAX_FRAME_VALUES values (12 MiB of {},): FrameTooLarge within the bound", async function () {
    const { reply, ms } = await refuse(tooManyValues);
    expect(reply).to.deep.equal({ jsonrpc: "2.0", id: "wide", error: { code: ErrorCode.FrameTooLarge, message: `frame holds more than ${MAX_FRAME_VALUES} values; it was dropped unread` } });
    expect(ms).to.be.below(REPLY_BOUND_MS);
  });

  it("20 nested and 20 flat frames in a row: each refused, the daemon's RSS peaks and settles near its baseline", async function () {
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 10);
    try {
      for (let i = 0; i < 20; i++) {
        expect(errorCode((await refuse(nested)).reply)).to.equal(ErrorCode.FrameTooDeep);
        expect(errorCode((await refuse(tooManyValues)).reply)).to.equal(ErrorCode.FrameTooLarge);
      }
    } finally {
      clearInterval(sampler);
    }
    process.stdout.write(`      (daemon RSS: baseline ${baseline.toFixed(0)} MB, peak ${peak.toFixed(0)} MB)\n`);
    expect(peak - baseline, `peak ${peak.toFixed(0)} MB over a baseline of ${baseline.toFixed(0)} MB`).to.be.below(PEAK_BOUND_MB);
    const settled = await waitFor("the daemon's RSS to settle", () => {
      const now = rssMb(pid);
      return now - baseline < SETTLED_BOUND_MB ? now : undefined;
    }, 15_000);
    process.stdout.write(`      (settled at ${settled.toFixed(0)} MB)\n`);
    expect((await raw!.call(4, "keys.get", { atSign: ALICE, key: `probe${ALICE}` })).result).to.deep.include({ value: "still fine" });
  });

  it("the other client's calls never failed, and their p99 stayed within the bound", function () {
    const sorted = [...latencies].sort((a, b) => a - b);
    process.stdout.write(`      (${sorted.length} calls, p50 ${pct(sorted, 50).toFixed(1)} ms, p99 ${pct(sorted, 99).toFixed(1)} ms)\n`);
    expect(goodFailures).to.deep.equal([]);
    expect(sorted.length).to.be.greaterThan(20);
    expect(pct(sorted, 99)).to.be.below(GOOD_P99_BOUND_MS);
  });
});
