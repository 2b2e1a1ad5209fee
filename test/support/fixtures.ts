// Locates ../shared/fixtures (beside the project root in CI). Tests that need it call
// `fixturesOrSkip(this)` in a `before` hook: without the folder they are skipped, saying why.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeAtKeysFile, type AtKeys } from "../../protocol/atKeysFile.js";

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const fixturesDir = process.env.ATSYNCD_FIXTURES ?? resolve(projectRoot, "..", "shared", "fixtures");

export function haveFixtures(): boolean {
  return existsSync(join(fixturesDir, "atkeys"));
}

export function fixturesOrSkip(ctx: Mocha.Context): string {
  if (!haveFixtures()) {
    process.stdout.write(`      (skipped: shared fixtures not found at ${fixturesDir}; set ATSYNCD_FIXTURES or put shared/ beside the project)\n`);
    ctx.skip();
  }
  return fixturesDir;
}

export function readFixture(rel: string): string {
  return readFileSync(join(fixturesDir, rel), "utf8");
}

/** One demo atSign's keys in plain text, as atkeys/demo_plaintext_keys.json holds them. */
export interface DemoPlainKeys {
  cramKey: string;
  pkamPrivateKey: string;
  pkamPublicKey: string;
  apkamPrivateKey: string;
  apkamPublicKey: string;
  encryptionPrivateKey: string;
  encryptionPublicKey: string;
  /** The self encryption key. */
  aesKey: string;
  apkamSymmetricKey: string;
}

/** The plaintext keys of every demo atSign, by atSign. */
export function readDemoPlainKeys(): Record<string, DemoPlainKeys> {
  return JSON.parse(readFixture("atkeys/demo_plaintext_keys.json")) as Record<string, DemoPlainKeys>;
}

/** One demo atSign's plaintext keys; throws when the fixture has none for it. */
export function demoPlainKeys(atSign: string): DemoPlainKeys {
  const k = readDemoPlainKeys()[atSign];
  if (!k) throw new Error(`no demo keys for ${atSign}`);
  return k;
}

/** The .atKeys file of a demo atSign (`@alice🛠`, `@bob🛠`). */
export function demoAtKeysPath(who: "alice" | "bob"): string {
  return join(fixturesDir, "atkeys", `${who}_demo.atKeys`);
}

/** A demo atSign's keys, decoded from its .atKeys file. */
export function readDemoAtKeys(who: "alice" | "bob"): AtKeys {
  return decodeAtKeysFile(readFileSync(demoAtKeysPath(who), "utf8"));
}
