// Frames that once stalled the daemon (issue 10): 16 MiB of nested `[` blocked its main thread
// ~2.5 s and left its RSS at 705 MB; 20 of them reached 3 GB. Now each is refused as it arrives
// (shared/FrameSplitter.ts) with its error code, the connection reads on, another client's calls
// keep being answered, and the daemon's RSS stays near its baseline. These are the bounds
// SECURITY.md states ("What the tests hold"), each with the measurement behind it there; they
// leave room for a loaded 2-core CI machine and still fail on the bugs they guard against.
import { expect } from "chai";
import { ErrorCode } from "../../shared/errors.js";
import { MAX_FRAME_BYTES, MAX_FRAME_DEPTH, MAX_FRAME_VALUES } from "../../shared/protocol.js";
import { cpuSeconds, rssMb } from "../../bench/support/procStats.js";
import { startTestDaemon, waitFor, type TestDaemon } from "../support/daemon.js";
import { ALICE, useDevServer } from "./devServer.js";
import { errorCode, RawRpc } from "./rawRpc.js";

const MiB = 1024 * 1024;
/** Longest from the first byte of a refused frame to its error reply (measured 4-240 ms, up to 370 ms in the bench; the old parse took 2-3 s). */
const REPLY_BOUND_MS = 1000;
/**
 * A well-behaved client's p99 while bad frames arrive may be at most this many times its p99 just
 * before, without them, plus the slack: measured 40-161 ms against 3-25 ms before; without the
 * frame limits, 13 s (one nested frame blocked every client ~2.5 s).
 */
const GOOD_P99_FACTOR = 3;
const GOOD_P99_SLACK_MS = 250;
/**
 * How far above its baseline the daemon's RSS may peak while refused frames arrive, in a row or 20
 * at once, and where it must be within 20 s once they stop (nothing forced). Measured on this
 * 2-core machine at load 7-17: peaks +33 to +66 MB under Node 20 and +61 to +137 MB under Node 24,
 * which also gives pages back later (settled +34 to +96 MB within the wait). Buffering whole
 * 16 MiB frames peaked +393 MB for 20 at once; JSON.parse of the nested frame took ~600 MB each.
 */
const PEAK_BOUND_MB = 200;
const SETTLED_BOUND_MB = 150;
/**
 * The costliest frame within the limits: the daemon's CPU for it (measured 310-440 ms here, up to
 * 670 ms in the bench under load: CPU time stretches on a busy machine), its RSS above what it was
 * just before (+23 to +76 MB), and 3 s later above the baseline (+104 to +127 MB: its garbage stays
 * until V8's next major collection, which nothing forces).
 */
const LEGAL_CPU_BOUND_MS = 1500;
const LEGAL_PEAK_BOUND_MB = 150;
const LEGAL_RETAINED_BOUND_MB = 200;

/** The p-th percentile of an ascending array. */
function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
const p99 = (xs: readonly number[]): number => pct([...xs].sort((a, b) => a - b), 99);

/** The highest RSS of `pid` while `fn` runs, sampled every 10 ms. */
async function peakRssDuring(pid: number, fn: () => Promise<void>): Promise<number> {
  let peak = rssMb(pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 10);
  try {
    await fn();
  } finally {
    clearInterval(sampler);
  }
  return Math.max(peak, rssMb(pid));
}

const nested = Buffer.concat([Buffer.alloc(16 * MiB - 1, "["), Buffer.from("\n")]);
const tooManyValues = Buffer.from(`{"jsonrpc":"2.0","id":"wide","method":"keys.put","params":{"v":[${"{},".repeat(4 * MiB)}{}]}}\n`);
const oversized = (id: number): Buffer => Buffer.from(`{"jsonrpc":"2.0","id":${id},"method":"keys.put","params":{"v":"${"a".repeat(MAX_FRAME_BYTES)}"}}\n`);
/** The costliest frame within the limits (bench/bad-frames.ts): 199,000 distinct 70-byte keys, 16 MB, parsed and refused by the schema. */
const costliestLegal = Buffer.from(`{"jsonrpc":"2.0","id":"legal","method":"keys.put","params":{${Array.from({ length: 199_000 }, (_, i) => `"${"k".repeat(70)}${i}":0`).join(",")}}}\n`);

describe("e2e: hostile frames", function () {
  this.timeout(180_000);
  const server = useDevServer(this);
  let d: TestDaemon | undefined;
  let raw: RawRpc | undefined;
  let pid: number;
  let baseline: number;
  let stop = false;
  /** The good client's latencies before any bad frame, and those of calls that overlapped one. */
  const calm: number[] = [];
  const loud: number[] = [];
  /** Still before the first bad frame: the good client's calls count as its baseline. */
  let calmPhase = true;
  /** Bad frames in flight (set around each test's sending). */
  let hostile = false;
  const goodFailures: unknown[] = [];
  let good: Promise<void> | undefined;

  before(async function () {
    if (process.platform !== "linux") {
      process.stdout.write("      (skipped: reads the daemon's RSS and CPU from /proc)\n");
      this.skip();
    }
    d = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE] });
    pid = d.proc.pid!;
    await d.client.put(ALICE, `probe${ALICE}`, "still fine");
    raw = await RawRpc.connect(d.socketPath);
    await raw.hello();
    const other = await d.connect("well-behaved");
    good = (async () => {
      while (!stop) {
        const during = hostile;
        const t0 = performance.now();
        try {
          const r = await other.get(ALICE, `probe${ALICE}`);
          if (r.value !== "still fine") throw new Error(`wrong value ${r.value}`);
          const ms = performance.now() - t0;
          if (during || hostile) loud.push(ms);
          else if (calmPhase) calm.push(ms);
        } catch (err) {
          goodFailures.push(err);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    // The good client's p99 without bad frames, and the lowest of a few RSS readings once the
    // start-up work is done, both in this run.
    baseline = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 15; i++) {
      await new Promise((r) => setTimeout(r, 200));
      baseline = Math.min(baseline, rssMb(pid));
    }
    calmPhase = false;
  });

  after(async function () {
    stop = true;
    await good;
    raw?.close();
    await d?.dispose();
  });

  /** Runs `fn` with the good client's calls counted as overlapping bad frames. */
  async function underFire<T>(fn: () => Promise<T>): Promise<T> {
    hostile = true;
    try {
      return await fn();
    } finally {
      hostile = false;
    }
  }

  /** Sends `frame` on `conn`, and returns the reply with how long it took from the first byte sent. */
  async function refuse(frame: Buffer, conn = raw!): Promise<{ reply: Record<string, unknown>; ms: number }> {
    const t0 = performance.now();
    const written = conn.writeAll(frame);
    const reply = await conn.next(30_000);
    const ms = performance.now() - t0;
    await written;
    return { reply, ms };
  }

  async function settledRss(): Promise<number> {
    const settled = await waitFor("the daemon's RSS to settle", () => {
      const now = rssMb(pid);
      return now - baseline < SETTLED_BOUND_MB ? now : undefined;
    }, 20_000);
    process.stdout.write(`      (settled at ${settled.toFixed(0)} MB)\n`);
    return settled;
  }

  it("16 MiB of nested [: FrameTooDeep within the bound, the connection reads on", async function () {
    const { reply, ms } = await underFire(() => refuse(nested));
    expect(reply).to.deep.equal({ jsonrpc: "2.0", id: null, error: { code: ErrorCode.FrameTooDeep, message: `frame nests deeper than ${MAX_FRAME_DEPTH} levels; it was dropped unread` } });
    expect(ms).to.be.below(REPLY_BOUND_MS);
    expect((await raw!.call(1, "keys.get", { atSign: ALICE, key: `probe${ALICE}` })).result).to.deep.include({ value: "still fine" });
  });

  it("a frame over MAX_FRAME_BYTES: FrameTooLarge to the id it leads with, within the bound; the connection reads on", async function () {
    const frame = oversized(2);
    const { reply, ms } = await underFire(() => refuse(frame));
    expect([reply.id, errorCode(reply)]).to.deep.equal([2, ErrorCode.FrameTooLarge]);
    expect(ms).to.be.below(REPLY_BOUND_MS);
    expect((await raw!.call(3, "keys.get", { atSign: ALICE, key: `probe${ALICE}` })).result).to.deep.include({ value: "still fine" });
  });

  it("a flat frame of more than MAX_FRAME_VALUES values (12 MiB of {},): FrameTooLarge within the bound", async function () {
    const { reply, ms } = await underFire(() => refuse(tooManyValues));
    expect(reply).to.deep.equal({ jsonrpc: "2.0", id: "wide", error: { code: ErrorCode.FrameTooLarge, message: `frame holds more than ${MAX_FRAME_VALUES} values; it was dropped unread` } });
    expect(ms).to.be.below(REPLY_BOUND_MS);
  });

  it("20 nested and 20 flat frames in a row: each refused within the bound, the daemon's RSS peaks and settles near its baseline", async function () {
    let slowest = 0;
    const peak = await underFire(() => peakRssDuring(pid, async () => {
      for (let i = 0; i < 20; i++) {
        for (const [frame, code] of [[nested, ErrorCode.FrameTooDeep], [tooManyValues, ErrorCode.FrameTooLarge]] as const) {
          const { reply, ms } = await refuse(frame);
          expect(errorCode(reply)).to.equal(code);
          slowest = Math.max(slowest, ms);
        }
      }
    }));
    process.stdout.write(`      (daemon RSS: baseline ${baseline.toFixed(0)} MB, peak ${peak.toFixed(0)} MB; slowest reply ${slowest.toFixed(0)} ms)\n`);
    expect(slowest).to.be.below(REPLY_BOUND_MS);
    expect(peak - baseline, `peak ${peak.toFixed(0)} MB over a baseline of ${baseline.toFixed(0)} MB`).to.be.below(PEAK_BOUND_MB);
    await settledRss();
    expect((await raw!.call(4, "keys.get", { atSign: ALICE, key: `probe${ALICE}` })).result).to.deep.include({ value: "still fine" });
  });

  it("20 connections each send 16 MiB of nested [ at once: each gets FrameTooDeep, the daemon stays up, its RSS peaks and settles near its baseline", async function () {
    const conns = await Promise.all(Array.from({ length: 20 }, async () => {
      const c = await RawRpc.connect(d!.socketPath);
      await c.hello();
      return c;
    }));
    try {
      const replies: Array<{ reply: Record<string, unknown>; ms: number }> = [];
      const peak = await underFire(() => peakRssDuring(pid, async () => {
        replies.push(...await Promise.all(conns.map((c) => refuse(nested, c))));
      }));
      const slowest = Math.max(...replies.map((r) => r.ms));
      process.stdout.write(`      (daemon RSS: baseline ${baseline.toFixed(0)} MB, peak ${peak.toFixed(0)} MB; slowest reply ${slowest.toFixed(0)} ms)\n`);
      expect(replies.map((r) => errorCode(r.reply))).to.deep.equal(conns.map(() => ErrorCode.FrameTooDeep));
      expect(d!.proc.exitCode, "the daemon exited").to.equal(null);
      expect(peak - baseline, `peak ${peak.toFixed(0)} MB over a baseline of ${baseline.toFixed(0)} MB`).to.be.below(PEAK_BOUND_MB);
      // Twenty frames written at once by this one process: each is refused after its 17th byte, but the
      // reply waits for the writes of all twenty to share the machine.
      expect(slowest).to.be.below(2 * REPLY_BOUND_MS);
      await settledRss();
      // Every connection reads on.
      const gets = await Promise.all(conns.map((c, i) => c.call(10 + i, "keys.get", { atSign: ALICE, key: `probe${ALICE}` })));
      expect(gets.map((g) => (g.result as { value?: unknown } | undefined)?.value)).to.deep.equal(conns.map(() => "still fine"));
    } finally {
      for (const c of conns) c.close();
    }
  });

  it("the other client's calls never failed, and their p99 while bad frames arrived stayed near their p99 before", function () {
    process.stdout.write(`      (before: ${calm.length} calls, p99 ${p99(calm).toFixed(1)} ms; during bad frames: ${loud.length} calls, p99 ${p99(loud).toFixed(1)} ms)\n`);
    expect(goodFailures).to.deep.equal([]);
    expect(calm.length).to.be.greaterThan(20);
    expect(loud.length).to.be.greaterThan(20);
    const bound = GOOD_P99_FACTOR * p99(calm) + GOOD_P99_SLACK_MS;
    expect(p99(loud), `p99 ${p99(loud).toFixed(1)} ms during bad frames, ${p99(calm).toFixed(1)} ms before`).to.be.below(bound);
  });

  it("the costliest frame within the limits (199,000 distinct keys): InvalidParams, within the stated CPU and memory, and what stays of it is bounded", async function () {
    const before = rssMb(pid);
    const cpu0 = cpuSeconds(pid);
    let reply: Record<string, unknown> = {};
    const peak = await peakRssDuring(pid, async () => {
      reply = (await refuse(costliestLegal)).reply;
    });
    const cpuMs = (cpuSeconds(pid) - cpu0) * 1000;
    // The lowest over 3 s: nothing forces a collection, so the garbage may stay until V8's next one.
    let after = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 12; i++) {
      await new Promise((r) => setTimeout(r, 250));
      after = Math.min(after, rssMb(pid));
    }
    process.stdout.write(`      (daemon CPU ${cpuMs.toFixed(0)} ms; RSS ${before.toFixed(0)} MB before, peak ${peak.toFixed(0)} MB, ${after.toFixed(0)} MB 3 s later; baseline ${baseline.toFixed(0)} MB)\n`);
    expect([reply.id, errorCode(reply)]).to.deep.equal(["legal", ErrorCode.InvalidParams]);
    expect(cpuMs).to.be.below(LEGAL_CPU_BOUND_MS);
    expect(peak - before).to.be.below(LEGAL_PEAK_BOUND_MB);
    expect(after - baseline).to.be.below(LEGAL_RETAINED_BOUND_MB);
    expect((await raw!.call(5, "keys.get", { atSign: ALICE, key: `probe${ALICE}` })).result).to.deep.include({ value: "still fine" });
  });
});
