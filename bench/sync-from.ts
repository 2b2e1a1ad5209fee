// sync:from throughput of the dev-server: 100,000 keys read page by page over one TLS
// connection, one page per round trip and 16 pages per `batch` (as the engine asks for them).
// The daemon's own benchmarks pull through it, so it must not be their bottleneck: its target is
// the engine's own, 150,000 entries/s. Measured with the server in this process (client and server
// share one event loop) and in its own process, as bench/support/benchServer runs it for the
// daemon's benchmarks; the baseline of each is measured in the same run.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { atSignDbPath, startDevServer } from "../atserver/DevServer.js";
import { buildMeta } from "../atserver/store/buildMeta.js";
import { NotificationHub } from "../atserver/monitor/NotificationHub.js";
import { ServerStore } from "../atserver/store/ServerStore.js";
import { dispatch } from "../atserver/verbs/dispatch.js";
import type { AtSignServer, Conn } from "../atserver/verbs/types.js";
import { decodeAtKeysFile } from "../protocol/atKeysFile.js";
import { rsaSign } from "../protocol/crypto.js";
import { parseSyncBatch, parseSyncPage, syncFromBatchCommand } from "../daemon/core/pull.js";
import { startBenchServer, targetOf } from "./support/benchServer.js";
import { figure } from "./support/figure.js";
import { uptime } from "./support/stats.js";

const KEYS = Number(process.env["BENCH_KEYS"] ?? 100_000);
const ATSIGN = "@bench";
/** The engine's loopback target: the server must serve at least that. */
const TARGET_ENTRIES_PER_S = 150_000;
/** Pages per batch, as the engine sends them at most (daemon/core/pullFrontier.ts). */
const BATCH_PAGES = 16;

function fill(dataDir: string): void {
  const store = new ServerStore(atSignDbPath(dataDir, ATSIGN));
  const now = Date.now();
  const meta = buildMeta(ATSIGN, undefined, { isEncrypted: "true", ivNonce: "AAAAAAAAAAAAAAAAAAAAAA==", encoding: "base64" }, now);
  const value = "x".repeat(88);
  function* rows(): Generator<{ key: string; value: string; meta: typeof meta }> {
    for (let i = 0; i < KEYS; i++) yield { key: `key${i}.bench${ATSIGN}`, value, meta };
  }
  store.bulkPut(rows());
  store.close();
}

/** One request/reply at a time; a reply is complete when the data ends with the prompt. */
class Client {
  private parts: Buffer[] = [];
  private waiting: ((reply: string) => void) | undefined;
  private prompt: Buffer;
  constructor(private readonly socket: tls.TLSSocket, prompt: string) {
    this.prompt = Buffer.from(`\n${prompt}`);
    socket.on("data", (d: Buffer) => {
      this.parts.push(d);
      // A chunk shorter than the prompt may hold only its end: look at the joined tail then.
      const tail = d.length >= this.prompt.length ? d : Buffer.concat(this.parts);
      if (!this.waiting || !tail.subarray(tail.length - this.prompt.length).equals(this.prompt)) return;
      const all = Buffer.concat(this.parts).toString("utf8");
      this.parts = [];
      const w = this.waiting;
      this.waiting = undefined;
      w(all.slice(0, all.lastIndexOf("\n")));
    });
  }
  setPrompt(p: string): void {
    this.prompt = Buffer.from(`\n${p}`);
  }
  send(cmd: string): Promise<string> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.write(`${cmd}\n`);
    });
  }
}

interface Endpoint {
  secondary: string;
  ca: string;
  pkamPrivateKey: string;
}

/** Logs in, then reads the whole log, `perRequest` pages a round trip; resolves with entries/s. */
async function readAll(label: string, ep: Endpoint, perRequest: number): Promise<number> {
  const [host, port] = [ep.secondary.slice(0, ep.secondary.lastIndexOf(":")), Number(ep.secondary.slice(ep.secondary.lastIndexOf(":") + 1))];
  const socket = tls.connect({ host, port, ca: ep.ca, servername: "localhost" });
  socket.setNoDelay(true);
  try {
    await new Promise<void>((resolve) => socket.once("data", () => resolve()));
    const client = new Client(socket, "@");
    const challenge = (await client.send(`from:${ATSIGN}`)).slice("data:".length);
    client.setPrompt(`${ATSIGN}@`);
    const auth = await client.send(`pkam:signingAlgo:rsa2048:hashingAlgo:sha256:${rsaSign(ep.pkamPrivateKey, challenge, "sha256")}`);
    if (auth !== "data:success") throw new Error(`login failed: ${auth}`);

    // The floor any page pays: a bare request/reply round trip on this machine.
    const t1 = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) await client.send("noop:0");
    process.stdout.write(`${label}: noop round trip: ${(Number(process.hrtime.bigint() - t1) / 1e6 / 1000).toFixed(3)} ms\n`);
    let from = -1;
    let entries = 0;
    let pages = 0;
    const start = process.hrtime.bigint();
    for (;;) {
      // The bench log is dense (ids 0..N), so pages 25 ids apart tile it.
      const froms = Array.from({ length: perRequest }, (_, i) => from + 25 * i);
      const reply = (await client.send(perRequest === 1 ? `sync:from:${from}:limit:25` : syncFromBatchCommand(froms))).slice("data:".length);
      // The client reads both as the engine does (parseSyncPage), so only the server's side differs.
      const got = perRequest === 1 ? [parseSyncPage(reply).entries] : parseSyncBatch(reply, perRequest).map((p) => p.page.entries);
      const n = got.reduce((a, p) => a + p.length, 0);
      if (n === 0) break;
      entries += n;
      pages += got.length;
      from = Math.max(from, ...got.flat().map((e) => e.commitId));
    }
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const rate = Math.round((entries / ms) * 1000);
    process.stdout.write(`${label}: sync:from, ${perRequest} page(s) a request: ${entries} entries in ${Math.round(ms)} ms = ${rate} entries/s (${pages} pages); ${uptime()}\n`);
    if (entries < KEYS) throw new Error(`read ${entries} entries, expected at least ${KEYS}`);
    return rate;
  } finally {
    socket.destroy();
  }
}

/** The server's own work per page (dispatch to reply text), without sockets or a client. */
async function serverWorkOnly(dataDir: string): Promise<number> {
  const store = new ServerStore(atSignDbPath(dataDir, ATSIGN));
  try {
    const server: AtSignServer = {
      atSign: ATSIGN,
      store,
      hub: new NotificationHub(ATSIGN),
      startedAt: Date.now(),
      peer: () => undefined,
      afterWrite: () => undefined,
      connectionCount: () => 1,
      now: () => Date.now(),
    };
    const conn: Conn = { session: { sessionId: "_bench", authenticated: true, jsonErrors: false }, id: 0, writeRaw: () => undefined, closed: false, close: () => undefined };
    let from = -1;
    let pages = 0;
    const start = process.hrtime.bigint();
    for (;;) {
      const reply = (await dispatch(`sync:from:${from}:limit:25`, conn, server)) ?? "";
      const at = reply.lastIndexOf('"commitId":');
      if (at < 0) break;
      from = Number.parseInt(reply.slice(at + '"commitId":'.length), 10);
      pages++;
    }
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    process.stdout.write(`server work alone: ${pages} pages in ${Math.round(ms)} ms = ${((ms / pages) * 1000).toFixed(0)} µs/page\n`);
    return Math.round(((pages * 25) / ms) * 1000);
  } finally {
    store.close();
  }
}

/** The server in this process: client and server share one event loop (a pessimistic floor). */
async function inProcess(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "atsyncd-bench-"));
  try {
    const first = await startDevServer({ dataDir, atSigns: [ATSIGN] });
    await first.stop();
    const t0 = Date.now();
    fill(dataDir);
    process.stdout.write(`filled ${KEYS} keys in ${Date.now() - t0} ms\n`);
    const alone = await serverWorkOnly(dataDir);
    const dev = await startDevServer({ dataDir, statsIntervalMs: 3_600_000 });
    try {
      const info = dev.info.atSigns[ATSIGN];
      if (!info) throw new Error("bench atSign not served");
      const keys = decodeAtKeysFile(readFileSync(info.atKeys, "utf8"));
      const ep = { secondary: info.secondary, ca: readFileSync(dev.info.ca, "utf8"), pkamPrivateKey: keys.pkamPrivateKey ?? "" };
      const one = await readAll("same process", ep, 1);
      figure({
        name: `dev-server sync:from, ${KEYS.toLocaleString("en-US")} entries, one page per round trip, server in the client's process`,
        value: one, unit: "entries/s", better: "higher",
        baseline: { name: "the server's own work per page, without sockets", value: alone }, target: null, note: uptime(),
      });
    } finally {
      await dev.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The server in its own process, as the daemon's benchmarks run it: the figure that matters. */
async function ownProcess(): Promise<void> {
  const server = await startBenchServer({ [ATSIGN]: KEYS });
  try {
    const t = targetOf(server.targets, ATSIGN);
    const ep = { secondary: t.secondary, ca: t.ca, pkamPrivateKey: t.keys.pkamPrivateKey ?? "" };
    const one = await readAll("server process", ep, 1);
    const batched = await readAll("server process", ep, BATCH_PAGES);
    figure({
      name: `dev-server sync:from, ${KEYS.toLocaleString("en-US")} entries, ${BATCH_PAGES} pages per batch, server in its own process`,
      value: batched, unit: "entries/s", better: "higher",
      baseline: { name: "one page per round trip, same connection", value: one }, target: TARGET_ENTRIES_PER_S,
      note: `what the engine's benchmarks pull through; ${uptime()}`,
    });
  } finally {
    await server.stop();
  }
}

await inProcess();
await ownProcess();
