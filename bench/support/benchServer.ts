// The parent side of the bench children: a filled dev-server, and optionally the slow link in
// front of it, as `Target`s a client can connect to.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DevServerInfo } from "../../atserver/DevServer.js";
import { decodeAtKeysFile, type AtKeys } from "../../protocol/atKeysFile.js";
import { normalizeAtSign } from "../../protocol/atKey.js";
import { field, spawnBenchChild, type BenchChild } from "./benchChild.js";

/** Everything a client needs to reach one atSign: its root (which names the server), the CA, its keys. */
export interface Target {
  atSign: string;
  root: string;
  ca: string;
  keys: AtKeys;
  /** The atServer address the root gives (the proxy's, over the link). */
  secondary: string;
}

export interface BenchServer {
  readonly dataDir: string;
  /** The server process (its CPU time is part of what a pull costs on this machine). */
  readonly pid: number;
  /** Its ready line: the dev-server's info (root, CA file, each atSign's .atKeys file). */
  readonly info: DevServerInfo;
  /** Loopback targets, by atSign. */
  readonly targets: Readonly<Record<string, Target>>;
  /** Starts the link: a one-way delay on every byte, root lookup included. */
  link(oneWayDelayMs: number): Promise<{ targets: Readonly<Record<string, Target>>; stop: () => Promise<void> }>;
  /** Stops the link (if any) and the server and removes the data dir. */
  stop(): Promise<void>;
}

const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));

/**
 * Starts the dev-server with each atSign filled with its count of keys. With `cpuProfDir`, the
 * server process writes a CPU profile there when it stops.
 */
export async function startBenchServer(fills: Record<string, number>, opts: { cpuProfDir?: string } = {}): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "atsyncd-bench-"));
  const children: BenchChild[] = [];
  const stopAll = async (): Promise<void> => {
    for (const c of children.splice(0).reverse()) await c.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const specs = Object.entries(fills).map(([a, n]) => `${normalizeAtSign(a)}=${n}`);
    const server = await spawnBenchChild(here("serverMain.ts"), [dataDir, ...specs], opts);
    children.push(server);
    const ca = readFileSync(field(server.info, "ca"), "utf8");
    const root = field(server.info, "root");
    const targets: Record<string, Target> = {};
    for (const a of Object.keys(fills).map(normalizeAtSign)) {
      const keys = decodeAtKeysFile(readFileSync(field(server.info, "atSigns", a, "atKeys"), "utf8"), a);
      targets[a] = { atSign: a, root, ca, keys, secondary: field(server.info, "atSigns", a, "secondary") };
    }
    return {
      dataDir,
      pid: server.pid,
      info: server.info as DevServerInfo,
      targets,
      async link(oneWayDelayMs) {
        const args = Object.values(targets).map((t) => `${t.atSign}=${t.secondary}`);
        const link = await spawnBenchChild(here("linkMain.ts"), [dataDir, String(oneWayDelayMs), ...args]);
        children.push(link);
        const linkRoot = field(link.info, "root");
        const over: Record<string, Target> = {};
        for (const t of Object.values(targets)) over[t.atSign] = { ...t, root: linkRoot, secondary: field(link.info, "secondaries", t.atSign) };
        return {
          targets: over,
          stop: async () => {
            const i = children.indexOf(link);
            if (i >= 0) children.splice(i, 1);
            await link.stop();
          },
        };
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** The target for `atSign`, or a clear failure. */
export function targetOf(targets: Readonly<Record<string, Target>>, atSign: string): Target {
  const t = targets[normalizeAtSign(atSign)];
  if (!t) throw new Error(`no bench target for ${atSign}`);
  return t;
}
