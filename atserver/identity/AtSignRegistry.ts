// Which atSigns a data dir serves, with their .atKeys file, cram secret and last port, in
// `atsigns.json`. New atSigns get fresh keys written as a real-format .atKeys file (§2.4).
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { normalizeAtSign } from "../../protocol/atKey.js";
import { generateAesKeyB64, generateRsaKeyPair } from "../../protocol/crypto.js";
import { decodeAtKeysFile, encodeAtKeysFile, type AtKeys } from "../../protocol/atKeysFile.js";

export interface AtSignEntry {
  /** Absolute path of the .atKeys file. */
  atKeys: string;
  /** The secret `cram` checks against (§2.3); absent for imported atSigns unless given. */
  cramSecret?: string;
  /** The port used last time, tried again on restart. */
  port?: number;
}

export type Registry = Record<string, AtSignEntry>;

const FILE = "atsigns.json";

export function readRegistry(dataDir: string): Registry {
  const path = join(dataDir, FILE);
  if (!existsSync(path)) return {};
  const parsed = JSON.parse(readFileSync(path, "utf8")) as unknown;
  if (typeof parsed !== "object" || parsed === null) return {};
  const out: Registry = {};
  for (const [atSign, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof v !== "object" || v === null) continue;
    const e = v as Record<string, unknown>;
    if (typeof e["atKeys"] !== "string") continue;
    const entry: AtSignEntry = { atKeys: e["atKeys"] };
    if (typeof e["cramSecret"] === "string") entry.cramSecret = e["cramSecret"];
    if (typeof e["port"] === "number") entry.port = e["port"];
    out[atSign] = entry;
  }
  return out;
}

export function writeRegistry(dataDir: string, reg: Registry): void {
  writeFileSync(join(dataDir, FILE), JSON.stringify(reg, null, 2) + "\n", { mode: 0o600 });
}

/** Creates keys and the .atKeys file for a new atSign. */
export async function createAtSign(dataDir: string, atSign: string): Promise<AtSignEntry> {
  const dir = join(dataDir, "keys");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const [pkam, enc] = await Promise.all([generateRsaKeyPair(), generateRsaKeyPair()]);
  const keys: AtKeys = {
    atSign,
    pkamPublicKey: pkam.publicKey,
    pkamPrivateKey: pkam.privateKey,
    encryptionPublicKey: enc.publicKey,
    encryptionPrivateKey: enc.privateKey,
    selfEncryptionKey: generateAesKeyB64(),
  };
  const path = resolve(dir, `${atSign}_key.atKeys`);
  writeFileSync(path, encodeAtKeysFile(keys), { mode: 0o600 });
  return { atKeys: path, cramSecret: randomBytes(32).toString("hex") };
}

/** Reads an .atKeys file and the atSign it belongs to. */
export function loadAtKeys(path: string, atSign?: string): AtKeys {
  const keys = decodeAtKeysFile(readFileSync(path, "utf8"), atSign);
  return { ...keys, atSign: normalizeAtSign(keys.atSign) };
}
