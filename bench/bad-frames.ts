// What one hostile frame costs the real daemon (a child process), and what the largest real
// requests need. Part 1 prints the bytes and values of real requests (the frame limits of
// shared/frameLimits.ts are fitted to them). Part 2 sends each kind of bad frame over a raw
// socket and prints the time until the daemon's error reply, the daemon's peak RSS while it
// handles the frame, and its RSS once settled; then 20 nested frames in a row.
// Baselines, in the same run: for the time to the reply, the largest real request (a keys.put of
// a MAX_VALUE_BYTES value, parsed and refused: the daemon has no atSign); for RSS, the daemon's at rest.
// No target is set: what matters is that each costs about what a real frame does and leaves nothing behind.
// Run (after `npm run build`): node --import tsx bench/bad-frames.ts
import { readFileSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { MAX_VALUE_BYTES, PROTOCOL_VERSION } from "../shared/protocol.js";
import { startTestDaemon } from "../test/support/daemon.js";
import { fixturesDir } from "../test/support/fixtures.js";
import { figure } from "./support/figure.js";
import { procCpuMs, uptime } from "./support/stats.js";

const MiB = 1024 * 1024;
const ALICE = "@alice🛠";

/** Bytes of the frame, and its values as the frame scanner counts them (opening brackets and commas). */
function measure(frame: string): { bytes: number; values: number } {
  const v = JSON.parse(frame) as unknown;
  let values = 0;
  const walk = (x: unknown): void => {
    values++;
    if (Array.isArray(x)) x.forEach(walk);
    else if (typeof x === "object" && x !== null) for (const y of Object.values(x)) walk(y);
  };
  walk(v);
  return { bytes: Buffer.byteLength(frame), values };
}

function request(method: string, params: unknown): string {
  return JSON.stringify({ jsonrpc: "2.0", id: 12345, method, params });
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
  for (const [name, frame] of rows) {
    const { bytes, values } = measure(frame);
    const depth = name.startsWith("keys.putMany") ? 5 : 2;
    process.stdout.write(`${name.padEnd(58)} ${bytes.toLocaleString("en").padStart(11)}  ${values.toLocaleString("en").padStart(8)}  ${depth}\n`);
  }
}

function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/mu.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function settledRss(pid: number, ms = 3000): Promise<number> {
  let low = Number.POSITIVE_INFINITY;
  for (let t = 0; t < ms; t += 250) {
    await new Promise((r) => setTimeout(r, 250));
    low = Math.min(low, rssMb(pid));
  }
  return low;
}

function open(path: string): Promise<{ socket: Socket; next: () => Promise<string> }> {
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

async function ready(path: string): Promise<Awaited<ReturnType<typeof open>>> {
  const raw = await open(path);
  raw.socket.on("error", () => undefined);
  await send(raw.socket, Buffer.from(`${request("rpc.hello", { protocolVersion: PROTOCOL_VERSION, client: "bench" })}\n`));
  // A refused hello (a protocol bump) would make every reply below "(connection closed)": say so.
  const hello = await raw.next();
  if (!hello.includes('"result"')) throw new Error(`rpc.hello refused: ${hello.slice(0, 300)}`);
  return raw;
}

async function badFrames(): Promise<void> {
  const d = await startTestDaemon({ devServer: { info: { root: "127.0.0.1:9", ca: "/nonexistent.pem", atSigns: {} } } as never });
  const pid = d.proc.pid!;
  try {
    let raw = await ready(d.socketPath);
    const base = await settledRss(pid);
    process.stdout.write(`\ndaemon RSS at rest: ${base.toFixed(1)} MB (${uptime()})\n`);
    process.stdout.write("frame                                      reply after  daemon CPU  peak RSS  settled RSS  reply\n");
    const kinds: Array<[string, () => Buffer]> = [
      ["16 MiB of nested [", () => Buffer.alloc(16 * MiB - 1, "[")],
      ["17 MiB string (over the size limit)", () => Buffer.from(`{"jsonrpc":"2.0","id":7,"method":"keys.put","params":{"v":"${"a".repeat(17 * MiB)}"}}`)],
      ["16 MiB of [0,0,0,...]", () => Buffer.from(`[${"0,".repeat(8 * MiB - 2)}0]`)],
      ["16 MiB of [{},{},...]", () => Buffer.from(`[${"{},".repeat(Math.floor(16 * MiB / 3) - 2)}{}]`)],
      // The worst that passes the limits, parsed and refused by the schema.
      ["16 MiB string, within the limits", () => Buffer.from(`{"jsonrpc":"2.0","id":8,"method":"keys.put","params":{"v":"${"a".repeat(16 * MiB - 100)}"}}`)],
      ["90,000 objects, within the limits", () => Buffer.from(`{"jsonrpc":"2.0","id":9,"method":"keys.put","params":{"v":[${"{},".repeat(89_999)}{}]}}`)],
      // Distinct keys are what JSON.parse builds slowest: each a new property of one dictionary.
      ["199,000 distinct keys, within the limits", () => Buffer.from(`{"jsonrpc":"2.0","id":10,"method":"keys.put","params":{${Array.from({ length: 199_000 }, (_, i) => `"${"k".repeat(70)}${i}":0`).join(",")}}}`)],
    ];
    const real = `real keys.put, ${(MAX_VALUE_BYTES / MiB).toFixed(1)} MiB value (no atSign)`;
    kinds.unshift([real, () => Buffer.from(request("keys.put", { atSign: ALICE, key: `public:big.wavi${ALICE}`, value: "x".repeat(MAX_VALUE_BYTES) }))]);
    let realMs = Number.NaN;
    let worstPeak = 0;
    const settledAfter: number[] = [];
    for (const [name, make] of kinds) {
      if (raw.socket.destroyed) raw = await ready(d.socketPath);
      const frame = Buffer.concat([make(), Buffer.from("\n")]);
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 10);
      const cpu0 = procCpuMs(pid);
      const t0 = performance.now();
      await send(raw.socket, frame);
      const reply = await raw.next();
      const ms = performance.now() - t0;
      const cpu = procCpuMs(pid) - cpu0;
      clearInterval(sampler);
      peak = Math.max(peak, rssMb(pid));
      const settled = await settledRss(pid);
      process.stdout.write(`${name.padEnd(42)} ${ms.toFixed(0).padStart(7)} ms ${cpu.toFixed(0).padStart(7)} ms ${peak.toFixed(0).padStart(6)} MB ${settled.toFixed(0).padStart(8)} MB  ${reply.slice(0, 80)}\n`);
      if (name === real) {
        realMs = ms;
        continue;
      }
      worstPeak = Math.max(worstPeak, peak);
      settledAfter.push(settled);
      figure({ name: `bad frame: ${name}, time to the error reply`, value: ms, unit: "ms", better: "lower", baseline: { name: real, value: realMs }, target: null, note: `daemon CPU ${cpu.toFixed(0)} ms; peak RSS ${peak.toFixed(0)} MB, settled ${settled.toFixed(0)} MB` });
    }
    figure({ name: "bad frames: the daemon's peak RSS over all of them", value: worstPeak, unit: "MB", better: "lower", baseline: { name: "its RSS at rest", value: base }, target: null });
    if (raw.socket.destroyed) raw = await ready(d.socketPath);
    const nested = Buffer.concat([Buffer.alloc(16 * MiB - 1, "["), Buffer.from("\n")]);
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 10);
    const cpu0 = procCpuMs(pid);
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) {
      await send(raw.socket, nested);
      await raw.next();
    }
    clearInterval(sampler);
    const ms = performance.now() - t0;
    const settled = await settledRss(pid);
    process.stdout.write(`20 nested frames in a row: ${ms.toFixed(0)} ms, daemon CPU ${(procCpuMs(pid) - cpu0).toFixed(0)} ms, peak RSS ${peak.toFixed(0)} MB, settled ${settled.toFixed(0)} MB\n`);
    figure({ name: "bad frames: 20 frames of 16 MiB of nested [ in a row, each", value: ms / 20, unit: "ms", better: "lower", baseline: { name: real, value: realMs }, target: null, note: `peak RSS ${peak.toFixed(0)} MB` });
    // Settled is the lowest RSS over 3 s after a frame: one that falls back between frames is a heap not yet given back, not a leak.
    figure({ name: "bad frames: the daemon's RSS settled after all of them", value: settled, unit: "MB", better: "lower", baseline: { name: "its RSS at rest", value: base }, target: null,
      note: `settled between ${Math.min(...settledAfter).toFixed(0)} and ${Math.max(...settledAfter).toFixed(0)} MB after each frame above, in the order listed` });
    raw.socket.destroy();
  } finally {
    await d.dispose();
  }
}

realRequests();
await badFrames();
