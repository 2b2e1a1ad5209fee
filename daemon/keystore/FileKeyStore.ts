// The fallback key store for machines without a keychain (headless servers): one JSON file,
// 0600 in a 0700 directory, replaced atomically (temp file, fsync, rename, fsync of the
// directory) so a crash leaves either the old or the new file, never half of one. Updates are
// serialized per file within the process (processLock.ts); across processes they are not.
import { randomBytes } from "node:crypto";
import { constants as fsc } from "node:fs";
import { mkdir, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { AtKeys } from "../../protocol/atKeysFile.js";
import { protectAtKeys } from "../../protocol/protectAtKeys.js";
import { ConfigError } from "../config/ConfigError.js";
import { DATA_DIR, ensurePrivateDir } from "../config/ensurePrivateDir.js";
import { KeyStoreError, KeyStoreErrorCode, type KeyStore } from "./KeyStore.js";
import { withProcessLock } from "./processLock.js";
import { checkKeysFor, normalizeKeyStoreAtSign, toStoredAtKeys } from "./storedAtKeys.js";

export const KEY_FILE_NAME = "keys.json";
const FORMAT_VERSION = 1;

interface KeyFile {
  version: number;
  atSigns: Record<string, AtKeys>;
}

export class FileKeyStore implements KeyStore {
  readonly kind = "file" as const;
  readonly path: string;

  /** `dataDir` holds the file (`keys.json`); `path` overrides the full file path. */
  constructor(opts: { dataDir: string; path?: string }) {
    this.path = opts.path ?? join(opts.dataDir, KEY_FILE_NAME);
  }

  get description(): string {
    return `file ${this.path} (0600; no OS keychain)`;
  }

  async get(atSign: string): Promise<AtKeys | undefined> {
    const name = normalizeKeyStoreAtSign(atSign);
    const file = await this.serial(() => this.read());
    const keys = file.atSigns[name];
    return keys === undefined ? undefined : protectAtKeys({ ...keys });
  }

  async set(atSign: string, keys: AtKeys): Promise<void> {
    const checked = checkKeysFor(atSign, keys);
    await this.serial(async () => {
      const file = await this.read();
      file.atSigns[checked.atSign] = checked.keys;
      await this.write(file);
    });
  }

  async delete(atSign: string): Promise<boolean> {
    const name = normalizeKeyStoreAtSign(atSign);
    return this.serial(async () => {
      const file = await this.read();
      if (!(name in file.atSigns)) return false;
      delete file.atSigns[name];
      await this.write(file);
      return true;
    });
  }

  async list(): Promise<string[]> {
    const file = await this.serial(() => this.read());
    return Object.keys(file.atSigns).sort();
  }

  /** True when the file exists and holds at least one atSign (openKeyStore keeps using it then). */
  async hasKeys(): Promise<boolean> {
    return (await this.list()).length > 0;
  }

  /** Read-modify-write must not interleave within this process, across every instance on this file. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    return withProcessLock(`file:${resolve(this.path)}`, fn);
  }

  private async read(): Promise<KeyFile> {
    let handle;
    try {
      handle = await open(this.path, fsc.O_RDONLY | (fsc.O_NOFOLLOW ?? 0));
    } catch (e) {
      if (errnoOf(e) === "ENOENT") return { version: FORMAT_VERSION, atSigns: {} };
      throw ioError(`Cannot open the key file ${this.path}`, e);
    }
    try {
      const st = await handle.stat();
      if (!st.isFile()) {
        throw new KeyStoreError(KeyStoreErrorCode.Corrupt, `The key file ${this.path} is not a regular file.`);
      }
      checkPrivate(this.path, st.mode, st.uid, "chmod 600");
      const text = await handle.readFile("utf8");
      return parseKeyFile(text, this.path);
    } finally {
      await handle.close();
    }
  }

  private async write(file: KeyFile): Promise<void> {
    const dir = dirname(this.path);
    await ensureKeyDir(dir);
    const tmp = join(dir, `.${basename(this.path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
    const body = JSON.stringify({ version: FORMAT_VERSION, atSigns: file.atSigns }, null, 2) + "\n";
    try {
      const handle = await open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
      try {
        await handle.writeFile(body, "utf8");
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.path);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw ioError(`Cannot write the key file ${this.path}`, e);
    }
    await syncDir(dir);
  }
}

function parseKeyFile(text: string, path: string): KeyFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text, which is key material: leave it out.
    throw new KeyStoreError(
      KeyStoreErrorCode.Corrupt,
      `The key file ${path} is not valid JSON; restore it from a backup or delete it and onboard again.`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new KeyStoreError(KeyStoreErrorCode.Corrupt, `The key file ${path} is not a key-store object.`);
  }
  const obj = value as Record<string, unknown>;
  if (obj.version !== FORMAT_VERSION) {
    throw new KeyStoreError(
      KeyStoreErrorCode.Corrupt,
      `The key file ${path} has format version ${String(obj.version)}; this atsyncd reads version ${FORMAT_VERSION}.`,
    );
  }
  const raw = obj.atSigns;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new KeyStoreError(KeyStoreErrorCode.Corrupt, `The key file ${path} has no atSigns object.`);
  }
  const atSigns: Record<string, AtKeys> = {};
  for (const [name, keys] of Object.entries(raw as Record<string, unknown>)) {
    atSigns[name] = toStoredAtKeys(keys, `The entry for ${name} in ${path}`);
  }
  return { version: FORMAT_VERSION, atSigns };
}

function checkPrivate(path: string, mode: number, uid: number, fix: string): void {
  const perms = mode & 0o777;
  if ((perms & 0o077) !== 0) {
    throw new KeyStoreError(
      KeyStoreErrorCode.InsecurePermissions,
      `The key file ${path} has permissions ${perms.toString(8).padStart(4, "0")}, so others may read it; ` +
        `atsyncd refuses to use it: run \`${fix} ${path}\` if you trust its contents, or delete it and onboard again.`,
    );
  }
  const me = process.getuid?.();
  if (me !== undefined && uid !== me) {
    throw new KeyStoreError(
      KeyStoreErrorCode.InsecurePermissions,
      `The key file ${path} belongs to uid ${uid}, not to this user (uid ${me}); atsyncd refuses to use it.`,
    );
  }
}

/** The data dir, checked as the daemon checks it (ensurePrivateDir): ours alone, its read bits for others dropped. */
async function ensureKeyDir(dir: string): Promise<void> {
  const uid = process.getuid?.();
  try {
    if (uid === undefined) await mkdir(dir, { recursive: true, mode: 0o700 });
    else ensurePrivateDir(dir, uid, DATA_DIR);
  } catch (e) {
    if (e instanceof ConfigError) throw new KeyStoreError(KeyStoreErrorCode.InsecurePermissions, `${e.message}.`);
    throw ioError(`Cannot prepare the directory ${dir} for the key file`, e);
  }
}

async function syncDir(dir: string): Promise<void> {
  // Persist the rename itself; some platforms cannot open a directory for fsync, which is fine.
  let handle;
  try {
    handle = await open(dir, fsc.O_RDONLY);
    await handle.sync();
  } catch {
    /* best effort */
  } finally {
    await handle?.close();
  }
}

function errnoOf(e: unknown): string | undefined {
  return typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" ? e.code : undefined;
}

function ioError(what: string, e: unknown): KeyStoreError {
  if (KeyStoreError.isKeyStoreError(e)) return e;
  const code = errnoOf(e);
  return new KeyStoreError(KeyStoreErrorCode.Io, `${what}${code ? ` (${code})` : ""}.`, { cause: e });
}
