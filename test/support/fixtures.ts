// Locates ../shared/fixtures (beside the project root in CI). Tests that need it call
// `fixturesOrSkip(this)` in a `before` hook: without the folder they are skipped, saying why.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

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
