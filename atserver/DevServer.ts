// `atsyncd dev-server`: a root directory plus one atServer per atSign, all over TLS with the
// data dir's own CA, data and commit logs in SQLite (one file per atSign).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { normalizeAtSign } from "../protocol/atKey.js";
import type { AtKeys } from "../protocol/atKeysFile.js";
import { createAtSign, loadAtKeys, readRegistry, writeRegistry, type Registry } from "./identity/AtSignRegistry.js";
import { dataDirHolder, DataDirInUseError, lockDataDir } from "./DataDirLock.js";
import { RootServer } from "./root/RootServer.js";
import { SecondaryServer } from "./SecondaryServer.js";
import { buildMeta } from "./store/buildMeta.js";
import { ServerStore } from "./store/ServerStore.js";
import { ensureTlsMaterial } from "./tls/ca.js";
import { CRAM_SECRET_KEY, enrollmentKey, PKAM_PUBLIC_KEY } from "./verbs/auth.js";

export interface DevServerOptions {
  dataDir: string;
  host?: string;
  rootPort?: number;
  atSigns?: string[];
  importAtKeys?: string[];
  statsIntervalMs?: number;
  expiryIntervalMs?: number;
  /** cram secrets of imported atSigns (e.g. the demo atSigns' cramKey), by atSign. */
  cramSecrets?: Record<string, string>;
  /** Inbound connections per atServer before AT0012 (200, as the real server). */
  maxConnections?: number;
  /** Unread reply bytes after which a client is disconnected (64 MiB). */
  maxPendingWriteBytes?: number;
}

export interface DevServerInfo {
  root: string;
  ca: string;
  atSigns: Record<string, { secondary: string; atKeys: string }>;
}

export interface DevServer {
  readonly info: DevServerInfo;
  reset(atSign: string): Promise<void>;
  dropConnections(atSign?: string): void;
  stop(): Promise<void>;
}

/** Where an atSign's SQLite store lives in a data dir (benchmarks fill it directly while stopped). */
export function atSignDbPath(dataDir: string, atSign: string): string {
  return join(dataDir, "db", `${atSign}.sqlite`);
}

/** Puts the identity keys an atServer holds from onboarding into `store` where missing or stale. */
function seedIdentity(store: ServerStore, atSign: string, keys: AtKeys, cramSecret: string | undefined): void {
  const now = Date.now();
  const ensure = (key: string, value: string): void => {
    const existing = store.get(key);
    if (existing?.value === value) return;
    store.put(key, value, buildMeta(atSign, existing?.meta, {}, now), "*");
  };
  ensure(PKAM_PUBLIC_KEY, keys.pkamPublicKey);
  if (keys.enrollmentId !== undefined) ensure(enrollmentKey(keys.enrollmentId), keys.pkamPublicKey);
  if (cramSecret !== undefined) ensure(CRAM_SECRET_KEY, cramSecret);
  ensure(`public:publickey${atSign}`, keys.encryptionPublicKey);
}

function registryEntryKeys(reg: Registry, atSign: string): AtKeys {
  const entry = reg[atSign];
  if (!entry) throw new Error(`dev-server: ${atSign} is not served from this data dir`);
  return loadAtKeys(entry.atKeys, atSign);
}

/**
 * Wipes one atSign's keys and commit log in a stopped data dir, keeping its identity. Throws
 * DataDirInUseError while a dev-server runs on it (use DevServer.reset in that process).
 */
export function resetAtSignStore(dataDir: string, atSign: string): void {
  const holder = dataDirHolder(resolve(dataDir));
  if (holder !== undefined) throw new DataDirInUseError(resolve(dataDir), holder);
  const name = normalizeAtSign(atSign);
  const reg = readRegistry(dataDir);
  const keys = registryEntryKeys(reg, name);
  const store = new ServerStore(atSignDbPath(dataDir, name));
  try {
    store.wipe();
    seedIdentity(store, name, keys, reg[name]?.cramSecret);
  } finally {
    store.close();
  }
}

const ROOT_FILE = "root.json";

/** The root port this data dir used last time (`root.json`), so a restart keeps it as the atServers keep theirs. */
function storedRootPort(dataDir: string): number | undefined {
  try {
    const port = (JSON.parse(readFileSync(join(dataDir, ROOT_FILE), "utf8")) as { port?: unknown }).port;
    return typeof port === "number" && Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Listens on `--root-port` when given (taken: an error), else on the port stored in the data
 * dir (taken by another program: a new one, as an atServer does), else on any free port; the
 * port it got is stored for the next start.
 */
async function listenRoot(dataDir: string, o: Omit<ConstructorParameters<typeof RootServer>[0], "port"> & { port: number | undefined }): Promise<RootServer> {
  const stored = o.port === undefined ? storedRootPort(dataDir) : undefined;
  let root = new RootServer({ ...o, port: o.port ?? stored ?? 0 });
  try {
    await root.listen();
  } catch (err) {
    if (stored === undefined || (err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    root = new RootServer({ ...o, port: 0 });
    await root.listen();
  }
  writeFileSync(join(dataDir, ROOT_FILE), `${JSON.stringify({ port: Number(root.address.split(":").pop()) })}\n`, { mode: 0o600 });
  return root;
}

async function prepareRegistry(dataDir: string, opts: DevServerOptions): Promise<Registry> {
  const reg = readRegistry(dataDir);
  for (const raw of opts.atSigns ?? []) {
    const atSign = normalizeAtSign(raw);
    if (!reg[atSign]) reg[atSign] = await createAtSign(dataDir, atSign);
  }
  for (const path of opts.importAtKeys ?? []) {
    const keys = loadAtKeys(path);
    const prev = reg[keys.atSign];
    reg[keys.atSign] = { ...prev, atKeys: resolve(path) };
  }
  for (const [raw, secret] of Object.entries(opts.cramSecrets ?? {})) {
    const entry = reg[normalizeAtSign(raw)];
    if (entry) entry.cramSecret = secret;
  }
  writeRegistry(dataDir, reg);
  return reg;
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const dataDir = resolve(opts.dataDir);
  const host = opts.host ?? "127.0.0.1";
  mkdirSync(join(dataDir, "db"), { recursive: true, mode: 0o700 });
  const lock = lockDataDir(dataDir);
  const servers = new Map<string, SecondaryServer>();
  const started: SecondaryServer[] = [];
  let root: RootServer | undefined;
  let tlsMaterial: Awaited<ReturnType<typeof ensureTlsMaterial>>;
  let reg: Registry;
  try {
    tlsMaterial = await ensureTlsMaterial(dataDir);
    reg = await prepareRegistry(dataDir, opts);
    for (const [atSign, entry] of Object.entries(reg)) {
      const keys = loadAtKeys(entry.atKeys, atSign);
      const server = new SecondaryServer({
        atSign,
        dbPath: atSignDbPath(dataDir, atSign),
        host,
        port: entry.port ?? 0,
        tls: tlsMaterial,
        statsIntervalMs: opts.statsIntervalMs ?? 15_000,
        expiryIntervalMs: opts.expiryIntervalMs ?? 180_000,
        seed: (store) => seedIdentity(store, atSign, keys, reg[atSign]?.cramSecret),
        peers: (other) => servers.get(normalizeAtSign(other)),
        ...(opts.maxConnections !== undefined ? { maxConnections: opts.maxConnections } : {}),
        ...(opts.maxPendingWriteBytes !== undefined ? { maxPendingWriteBytes: opts.maxPendingWriteBytes } : {}),
      });
      servers.set(atSign, server);
      await server.listen();
      started.push(server);
      entry.port = server.port;
    }
    writeRegistry(dataDir, reg);
    const lookup = (a: string): string | undefined => servers.get(a)?.address;
    root = await listenRoot(dataDir, { host, port: opts.rootPort, tls: tlsMaterial, lookup });
  } catch (err) {
    await Promise.all(started.map((s) => s.stop()));
    for (const s of servers.values()) if (!started.includes(s)) s.store.close();
    lock.release();
    throw err;
  }
  const rootServer = root;
  const info: DevServerInfo = {
    root: rootServer.address,
    ca: tlsMaterial.caPath,
    atSigns: Object.fromEntries([...servers].map(([a, s]) => [a, { secondary: s.address, atKeys: reg[a]?.atKeys ?? "" }])),
  };
  let stopping: Promise<void> | undefined;
  return {
    info,
    reset(atSign) {
      const server = servers.get(normalizeAtSign(atSign));
      if (!server) return Promise.reject(new Error(`dev-server: ${atSign} is not served here`));
      server.reset();
      return Promise.resolve();
    },
    dropConnections(atSign) {
      if (atSign === undefined) rootServer.dropConnections();
      for (const [a, s] of servers) if (atSign === undefined || a === normalizeAtSign(atSign)) s.dropConnections();
    },
    stop() {
      stopping ??= (async () => {
        await rootServer.stop();
        await Promise.all([...servers.values()].map((s) => s.stop()));
        lock.release();
      })();
      return stopping;
    },
  };
}
