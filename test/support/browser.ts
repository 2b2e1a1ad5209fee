// A real browser for the status page: Debian's chromium (/usr/bin/chromium, or
// $ATSYNCD_CHROMIUM), driven by playwright-core, which downloads no browser of its own. Tests call
// chromiumOrSkip() first: without it they are skipped, saying so (.ci/run installs it).
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import type { WebLoginResult } from "../../shared/types.js";
import { runCli } from "../cli/support/cli.js";

export const CHROMIUM = process.env.ATSYNCD_CHROMIUM ?? "/usr/bin/chromium";
export const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];

export function haveChromium(): boolean {
  return existsSync(CHROMIUM);
}

export function chromiumOrSkip(ctx: Mocha.Context): void {
  if (haveChromium()) return;
  process.stdout.write(`      (skipped: no chromium at ${CHROMIUM}; \`apt-get install chromium\`, as .ci/run does, or set ATSYNCD_CHROMIUM)\n`);
  ctx.skip();
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
}

/** A fresh one-time link from `atsyncd web --json`, the real CLI on the daemon's socket. */
export async function loginLink(socketPath: string): Promise<WebLoginResult> {
  const r = await runCli(["web", "--json", "--socket", socketPath]);
  if (r.code !== 0) throw new Error(`atsyncd web exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as WebLoginResult;
}

/** Signs `context` in with a fresh link and waits for the page to be live. */
export async function openStatusPage(context: BrowserContext, socketPath: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto((await loginLink(socketPath)).url);
  await page.waitForURL((u) => u.pathname === "/");
  await page.locator("#conn[data-state=open]").waitFor();
  return page;
}
