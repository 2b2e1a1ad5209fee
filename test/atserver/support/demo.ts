// The demo atSigns of ../shared/fixtures, and a temp data dir per suite.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoPlainKeys } from "../../support/fixtures.js";

export const ALICE = "@alice🛠";
export const BOB = "@bob🛠";

export { demoAtKeysPath, readDemoAtKeys as demoKeys } from "../../support/fixtures.js";

export function demoCramKey(atSign: string): string {
  return demoPlainKeys(atSign).cramKey;
}

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `atsyncd-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
