// What one hostile frame costs the real daemon (a child process), and what the largest real
// requests need. Part 1 prints the bytes, values and depth of real requests, as the frame scanner
// counts them (shared/FrameScanner.ts: the limits of shared/protocol.ts are fitted to them).
// Part 2 sends each kind of bad frame over a raw socket and prints the time until the daemon's
// reply, the daemon's CPU and peak RSS while it handles the frame, and how long its RSS takes to
// come back near where it was before (nothing forced: no GC is asked for); then 20 nested frames
// and 20 of the costliest legal frame in a row, and 20 connections each sending a nested frame at
// once while another client calls
// `daemon.describe` (its p99 against its own p99 before), and the same with the costliest legal
// frame. Every reply must be the error the frame deserves: otherwise the run fails (exit 1).
// Run (after `npm run build`): node --import tsx bench/bad-frames.ts
import { readFileSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { ErrorCode } from "../shared/errors.js";
import { FrameScanner } from "../shared/FrameScanner.js";
import { MAX_VALUE_BYTES, PROTOCOL_VERSION } from "../shared/protocol.js";
import { startTestDaemon, type TestDaemon } from "../test/support/daemon.js";
import { fixturesDir } from "../test/support/fixtures.js";
import { figure } from "./support/figure.js";
import { rssMb } from "./support/procStats.js";
import { pct, procCpuMs, uptime } from "./support/stats.js";

const MiB = 1024 * 1024;
const ALICE = "@alice🛠";
/** What SECURITY.md states one frame may cost the daemon at most. */
const STATED_CPU_MS = 500;
const STATED_MB = 100;
/** RSS counts as back once within this much of where it was before the frame. */
const BACK_WITHIN_MB = 10;
/** Longest the bench waits for RSS to come back, after each frame. */
const SETTLE_MAX_MS = Number(process.env.ATSYNCD_BENCH_SETTLE_MS ?? 180_000);

const failures: string[] = [];

/** The least depth and value limits the real scanner lets `frame` through with: what it counts. */
function shape(frame: Buffer): { depth: number; values: number } {
  const passes = (maxDepth: number, maxValues: number): boolean => new FrameScanner({ maxDepth, maxValues }).scan(frame, 0, frame.length) === undefined;
  let depth = 1;
  while (!passes(depth, Number.POSITIVE_INFINITY)) depth++;
  let hi = 1;
  while (!passes(Number.POSITIVE_INFINITY, hi)) hi *= 2;
  let lo = hi / 2;
  // The least passing limit is in (lo, hi].
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (passes(Number.POSITIVE_INFINITY, mid)) hi = mid;
    else lo = mid;
  }
  return { depth, values: hi };
}

function request(method: string, params: unknown, id: number | string = 12345): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method, params });
}

function realRequests(): void {
  const meta = { ttl: 86_400_000, ttb: 0, ttr: -1, ccd: true, isBinary: false };
  const items = (value: (i: number) => string, metadata?: object): unknown[] =>
    Array.from({ length: 10_000 }, (_, i) => ({ op: "put", key: `item${String(i).padStart(5, "0")}.notes.wavi${ALICE}`, value: value(i), ...(metadata ? { metadata } : {}) }));
  let atKeys: string;
  try {
    atKeys = readFileSync(`${fixturesDir}/atkeys/alice_demo.atKeys`, "utf8");
  } catch {
    atKeys = "(fixtures absent)";
  }
  const rows: Array<[string, string]> = [
    ["keys.putMany, 10,000 items, 100-byte values, full metadata", request("keys.putMany", { atSign: ALICE, items: items(() => "v".repeat(100), meta) })],
    ["keys.putMany, 10,000 items, 1 KiB values", request("keys.putMany", { atSign: ALICE, items: items(() => "v".repeat(1024)) })],
    ["keys.putMany, 10,000 deletes", request("keys.putMany", { atSign: ALICE, items: Array.from({ length: 10_000 }, (_, i) => ({ op: "delete", key: `item${i}.notes.wavi${ALICE}` })) })],
    ["identities.onboard, the demo @alice🛠 .atKeys", request("identities.onboard", { atSign: ALICE, atKeys })],
    ["keys.put, a MAX_VALUE_BYTES value (ASCII)", request("keys.put", { atSign: ALICE, key: `public:big.wavi${ALICE}`, value: "x".repeat(MAX_VALUE_BYTES) })],
    ["keys.put, a MAX_VALUE_BYTES JSON document as value", request("keys.put", { atSign: ALICE, key: `public:big.wavi${ALICE}`, value: JSON.stringify(Array.from({ length: MAX_VALUE_BYTES / 20 }, () => ({ a: "0123456789" }))).slice(0, MAX_VALUE_BYTES) })],
  ];
  process.stdout.write("real requests                                              bytes        values  depth\n");
  for (const [name, text] of rows) {
    const frame = Buffer.from(text);
    const { depth, values } = shape(frame);
    process.stdout.write(`${name.padEnd(58)} ${frame.length.toLocaleString("en").padStart(11)}  ${values.toLocaleString("en").padStart(8)}  ${depth}\n`);
  }
}

/**
 * Samples the RSS until it is back within BACK_WITHIN_MB of `before`, or SETTLE_MAX_MS pass.
 * `backMs` is how long that took (null: not back in time); `low` the lowest reading.
 */
async function settle(pid: number, before: number): Promise<{ backMs: number | null; low: number }> {
  const t0 = performance.now();
  let low = Number.POSITIVE_INFINITY;
  while (performance.now() - t0 < SETTLE_MAX_MS) {
    await new Promise((r) => setTimeout(r, 250));
    low = Math.min(low, rssMb(pid));
    if (low <= before + BACK_WITHIN_MB) return { backMs: performance.now() - t0, low };
  }
  return { backMs: null, low };
}

function fmtSettle(s: { backMs: number | null; low: number }): string {
  return s.backMs === null ? `not back in ${SETTLE_MAX_MS / 1000} s (low ${s.low.toFixed(0)} MB)` : `back in ${(s.backMs / 1000).toFixed(1)} s`;
}

interface Conn {
  socket: Socket;
  next: () => Promise<string>;
}

function open(path: string): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path }, () => {
      let buf = "";
      const lines: string[] = [];
      let wake: (() => void) | undefined;
      socket.setEncoding("utf8");
      socket.on("data", (d: string) => {
        buf += d;
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          lines.push(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
        wake?.();
      });
      socket.on("close", () => wake?.());
      const next = async (): Promise<string> => {
        while (lines.length === 0) {
          if (socket.destroyed) return "(connection closed)";
          await new Promise<void>((r) => (wake = r));
        }
        return lines.shift() ?? "";
      };
      resolve({ socket, next });
    });
    socket.once("error", reject);
  });
}

/** Writes `b`; a daemon that closes the connection meanwhile (EPIPE) is not an error here. */
function send(socket: Socket, b: Buffer): Promise<void> {
  return new Promise((resolve) => socket.write(b, () => resolve()));
}

async function ready(path: string): Promise<Conn> {
  const raw = await open(path);
  raw.socket.on("error", () => undefined);
  await send(raw.socket, Buffer.from(`${request("rpc.hello", { protocolVersion: PROTOCOL_VERSION, client: "bench" }, 0)}\n`));
  const hello = await raw.next();
  if (!hello.includes('"result"')) throw new Error(`the daemon refused the hello: ${hello}`);
  return raw;
}

/** The reply's error code, or why it is not an error reply. */
function codeOf(reply: string): number | string {
  try {
    const code = (JSON.parse(reply) as { error?: { code?: unknown } }).error?.code;
    return typeof code === "number" ? code : `not an error reply: ${reply.slice(0, 80)}`;
  } catch {
    return reply.slice(0, 80);
  }
}

function check(what: string, reply: string, expected: number): void {
  const code = codeOf(reply);
  if (code !== expected) failures.push(`${what}: expected error ${expected}, got ${code}`);
}

/** A small good request's cost on a connection: its reply ms (the lowest of 20) and the RSS it added (the most). */
async function goodRequestCost(raw: Conn, pid: number, before: number): Promise<{ ms: number; mb: number }> {
  let ms = Number.POSITIVE_INFINITY;
  let peak = 0;
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await send(raw.socket, Buffer.from(`${request("daemon.describe", {}, 100 + i)}\n`));
    const reply = await raw.next();
    ms = Math.min(ms, performance.now() - t0);
    peak = Math.max(peak, rssMb(pid));
    if (!reply.includes('"result"')) failures.push(`daemon.describe: ${reply.slice(0, 80)}`);
  }
  return { ms, mb: Math.max(0, peak - before) };
}

/** Calls `daemon.describe` every 5 ms on its own connection until stopped; the latencies so far. */
function goodClient(raw: Conn): { latencies: number[]; stop: () => Promise<void> } {
  const latencies: number[] = [];
  let stopped = false;
  let id = 1000;
  const loop = (async () => {
    while (!stopped) {
      const t0 = performance.now();
      await send(raw.socket, Buffer.from(`${request("daemon.describe", {}, id++)}\n`));
      const reply = await raw.next();
      if (!reply.includes('"result"')) failures.push(`the good client's daemon.describe: ${reply.slice(0, 80)}`);
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return { latencies, stop: async () => { stopped = true; await loop; } };
}

const p99 = (xs: number[]): number => pct([...xs].sort((a, b) => a - b), 99);

/** A fresh daemon for one row (so the row starts from the daemon's rest), its RSS at rest, and a connection. */
async function withDaemon<T>(fn: (ctx: { d: TestDaemon; pid: number; rest: number; raw: Conn }) => Promise<T>): Promise<T> {
  const d = await startTestDaemon({ devServer: { info: { root: "127.0.0.1:9", ca: "/nonexistent.pem", atSigns: {} } } as never });
  const pid = d.proc.pid!;
  const raw = await ready(d.socketPath);
  try {
    let rest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 12; i++) {
      await new Promise((r) => setTimeout(r, 250));
      rest = Math.min(rest, rssMb(pid));
    }
    return await fn({ d, pid, rest, raw });
  } finally {
    raw.socket.destroy();
    if (d.proc.exitCode !== null) failures.push(`the daemon exited (${d.proc.exitCode})`);
    await d.dispose();
  }
}

/** What `run` costs the daemon: wall ms, daemon CPU ms, peak RSS (sampled every 10 ms). */
async function cost<T>(pid: number, run: () => Promise<T>): Promise<{ out: T; ms: number; cpu: number; peak: number }> {
  let peak = rssMb(pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 10);
  const cpu0 = procCpuMs(pid);
  const t0 = performance.now();
  try {
    const out = await run();
    return { out, ms: performance.now() - t0, cpu: procCpuMs(pid) - cpu0, peak: Math.max(peak, rssMb(pid)) };
  } finally {
    clearInterval(sampler);
  }
}

const invalidParams = -32602;
const kinds: Array<[string, number, () => Buffer]> = [
  ["16 MiB of nested [", ErrorCode.FrameTooDeep, () => Buffer.alloc(16 * MiB - 1, "[")],
  ["17 MiB string (over the size limit)", ErrorCode.FrameTooLarge, () => Buffer.from(`{"jsonrpc":"2.0","id":7,"method":"keys.put","params":{"v":"${"a".repeat(17 * MiB)}"}}`)],
  ["16 MiB of [0,0,0,...]", ErrorCode.FrameTooLarge, () => Buffer.from(`[${"0,".repeat(8 * MiB - 2)}0]`)],
  ["16 MiB of [{},{},...]", ErrorCode.FrameTooLarge, () => Buffer.from(`[${"{},".repeat(Math.floor(16 * MiB / 3) - 2)}{}]`)],
  // The worst that passes the limits, parsed and refused by the schema.
  ["16 MiB string, within the limits", invalidParams, () => Buffer.from(`{"jsonrpc":"2.0","id":8,"method":"keys.put","params":{"v":"${"a".repeat(16 * MiB - 100)}"}}`)],
  ["90,000 objects, within the limits", invalidParams, () => Buffer.from(`{"jsonrpc":"2.0","id":9,"method":"keys.put","params":{"v":[${"{},".repeat(89_999)}{}]}}`)],
  // Distinct keys are what JSON.parse builds slowest: each a new property of one dictionary.
  ["199,000 distinct keys, within the limits", invalidParams, () => Buffer.from(`{"jsonrpc":"2.0","id":10,"method":"keys.put","params":{${Array.from({ length: 199_000 }, (_, i) => `"${"k".repeat(70)}${i}":0`).join(",")}}}`)],
];
const withNewline = (b: Buffer): Buffer => Buffer.concat([b, Buffer.from("\n")]);

async function badFrames(): Promise<void> {
  process.stdout.write(`\n(each row on a fresh daemon; ${uptime()})\n`);
  process.stdout.write("frame                                      reply after  daemon CPU  rest RSS  peak RSS  RSS afterwards\n");
  let good = { ms: Number.POSITIVE_INFINITY, mb: 0 };
  let worst = { ms: 0, cpu: 0, mb: 0 };
  for (const [name, expected, make] of kinds) {
    const frame = withNewline(make());
    await withDaemon(async ({ pid, rest, raw }) => {
      const g = await goodRequestCost(raw, pid, rest);
      good = { ms: Math.min(good.ms, g.ms), mb: Math.max(good.mb, g.mb) };
      const c = await cost(pid, async () => {
        await send(raw.socket, frame);
        return raw.next();
      });
      check(name, c.out, expected);
      worst = { ms: Math.max(worst.ms, c.ms), cpu: Math.max(worst.cpu, c.cpu), mb: Math.max(worst.mb, c.peak - rest) };
      const s = await settle(pid, rest);
      process.stdout.write(`${name.padEnd(42)} ${c.ms.toFixed(0).padStart(7)} ms ${c.cpu.toFixed(0).padStart(7)} ms ${rest.toFixed(0).padStart(6)} MB ${c.peak.toFixed(0).padStart(6)} MB  ${fmtSettle(s)}  ${String(codeOf(c.out))}\n`);
    });
  }
  process.stdout.write(`a small good request (daemon.describe) on the same connection: ${good.ms.toFixed(1)} ms, +${good.mb.toFixed(0)} MB\n`);
  figure({ name: "bad-frames: worst reply time of one frame (from its first byte sent)", value: Math.round(worst.ms), unit: "ms", better: "lower",
    baseline: { name: "a daemon.describe on the same connection", value: Number(good.ms.toFixed(1)) }, target: null,
    note: `includes the bench's own writing of 16 MiB; the daemon's CPU is what SECURITY.md bounds (${uptime()})` });
  figure({ name: "bad-frames: worst daemon CPU of one frame", value: Math.round(worst.cpu), unit: "ms", better: "lower",
    baseline: { name: "a daemon.describe on the same connection (its reply time)", value: Number(good.ms.toFixed(1)) }, target: STATED_CPU_MS, note: uptime() });
  figure({ name: "bad-frames: worst RSS added by one frame (peak over the daemon's rest)", value: Math.round(worst.mb), unit: "MB", better: "lower",
    baseline: { name: "a daemon.describe on the same connection", value: Math.round(good.mb) }, target: STATED_MB, note: uptime() });

  const nested = withNewline(Buffer.alloc(16 * MiB - 1, "["));
  const legal = withNewline(kinds[kinds.length - 1]![2]());
  for (const [name, frame, expected] of [["16 MiB of nested [", nested, ErrorCode.FrameTooDeep], ["199,000 distinct keys", legal, invalidParams]] as const) {
    await withDaemon(async ({ pid, rest, raw }) => {
      const c = await cost(pid, async () => {
        for (let i = 0; i < 20; i++) {
          await send(raw.socket, frame);
          check(`${name}, ${i + 1} of 20 in a row`, await raw.next(), expected);
        }
      });
      process.stdout.write(`20 × ${name} in a row: ${c.ms.toFixed(0)} ms, daemon CPU ${c.cpu.toFixed(0)} ms, RSS ${rest.toFixed(0)} MB at rest, peak ${c.peak.toFixed(0)} MB, ${fmtSettle(await settle(pid, rest))}\n`);
    });
  }

  // 20 connections, each sending the same frame at the same moment, while a good client calls.
  const atOnce: Array<[string, string, Buffer, number, number | null]> = [
    ["16 MiB of nested [", "nested 16 MiB frame", nested, ErrorCode.FrameTooDeep, STATED_MB],
    // Legal frames are held whole until their newline: the limits are per frame, not per daemon.
    ["199,000 distinct keys", "costliest legal frame", legal, invalidParams, null],
  ];
  for (const [name, short, frame, expected, target] of atOnce) {
    await withDaemon(async ({ d, pid, rest }) => {
      const conns = await Promise.all(Array.from({ length: 20 }, () => ready(d.socketPath)));
      const goodConn = await ready(d.socketPath);
      const calm = goodClient(goodConn);
      await new Promise((r) => setTimeout(r, 3000));
      await calm.stop();
      const loud = goodClient(goodConn);
      const t0 = performance.now();
      const c = await cost(pid, () => Promise.all(conns.map(async (conn, i) => {
        await send(conn.socket, frame);
        check(`${name} on connection ${i + 1} of 20 at once`, await conn.next(), expected);
        return performance.now() - t0;
      })));
      await loud.stop();
      if (d.proc.exitCode !== null) failures.push(`the daemon exited (${d.proc.exitCode}) under 20 × ${name} at once`);
      process.stdout.write(`20 × ${name} at once, one per connection: all written and replied in ${c.ms.toFixed(0)} ms (slowest reply ${Math.max(...c.out).toFixed(0)} ms), ` +
        `daemon CPU ${c.cpu.toFixed(0)} ms, RSS ${rest.toFixed(0)} MB at rest, peak ${c.peak.toFixed(0)} MB, ${fmtSettle(await settle(pid, rest))}; ` +
        `the good client's p99 ${p99(loud.latencies).toFixed(1)} ms (${loud.latencies.length} calls), ${p99(calm.latencies).toFixed(1)} ms just before (${calm.latencies.length} calls)\n`);
      figure({ name: `bad-frames: the good client's p99 while 20 connections send a ${short} at once`, value: Number(p99(loud.latencies).toFixed(1)), unit: "ms", better: "lower",
        baseline: { name: "its p99 just before, without them", value: Number(p99(calm.latencies).toFixed(1)) }, target: null, note: uptime() });
      figure({ name: `bad-frames: RSS added by 20 × ${short} at once (peak over the daemon's rest)`, value: Math.round(c.peak - rest), unit: "MB", better: "lower",
        baseline: { name: "a daemon.describe on the same connection", value: Math.round(good.mb) }, target,
        ...(target === null ? { note: `no daemon-wide cap yet: each legal frame is held whole until its newline (${uptime()})` } : { note: uptime() }) });
      for (const conn of [...conns, goodConn]) conn.socket.destroy();
    });
  }
}

realRequests();
await badFrames();
if (failures.length > 0) {
  process.stdout.write(`\nFAILED: ${failures.length} replies were not what the frame deserves:\n${failures.map((f) => `  ${f}\n`).join("")}`);
  process.exitCode = 1;
}
