// The demo atSigns of ../shared/fixtures, and a temp data dir per suite.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeAtKeysFile, type AtKeys } from "../../../protocol/atKeysFile.js";
import { fixturesDir } from "../../support/fixtures.js";

export const ALICE = "@alice🛠";
export const BOB = "@bob🛠";

export function demoAtKeysPath(who: "alice" | "bob"): string {
  return join(fixturesDir, "atkeys", `${who}_demo.atKeys`);
}

export function demoKeys(who: "alice" | "bob"): AtKeys {
  return decodeAtKeysFile(readFileSync(demoAtKeysPath(who), "utf8"));
}

export function demoCramKey(atSign: string): string {
  const all = JSON.parse(readFileSync(join(fixturesDir, "atkeys", "demo_plaintext_keys.json"), "utf8")) as Record<string, { cramKey: string }>;
  const k = all[atSign]?.cramKey;
  if (k === undefined) throw new Error(`no cramKey for ${atSign}`);
  return k;
}

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `atsyncd-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
