// `npm run screenshots`: the status page in its light and dark themes, as docs/status-light.png
// and docs/status-dark.png (the README shows them), taken in chromium from a real daemon: a
// dev-server with @alice and @bob, another device of @alice's that made a conflict, a change the
// atServer rejected, an app allowed and one waiting, an upload under way, a value open.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startDevServer } from "../atserver/index.js";
import { SystemClock } from "../daemon/adapters/SystemClock.js";
import { SqliteStore } from "../daemon/store/SqliteStore.js";
import { storePath } from "../daemon/worker/storePath.js";
import { AppsAllow, AppsList } from "../shared/methods.js";
import { WsRpc } from "../bench/support/wsRpc.js";
import { CHROMIUM, haveChromium, launchChromium, openStatusPage } from "../test/support/browser.js";
import { startTestDaemon, waitFor, type TestDaemon } from "../test/support/daemon.js";
import { freePort } from "../test/support/freePort.js";
import { makeConflict } from "../test/support/offlineWrite.js";

const ALICE = "@alice";
const BOB = "@bob";
const NOTE = `shared.note${ALICE}`;
const here = dirname(fileURLToPath(import.meta.url));

/** Asks for access as a browser app from `origin`; resolves once the request is pending (the reply waits). */
async function ask(port: number, d: TestDaemon, origin: string, name: string, namespaces: string[]): Promise<{ requestId: string; close(): Promise<void> }> {
  const c = await WsRpc.connect({ url: `ws://127.0.0.1:${port}/consent`, origin, token: "none" });
  void c.call("app.requestAccess", { name, atSigns: [ALICE], namespaces }).catch(() => undefined);
  const p = await waitFor(`${name} waiting`, async () => (await d.client.call(AppsList, {})).pending.find((a) => a.name === name));
  return { requestId: p.requestId, close: () => c.close() };
}

async function main(): Promise<void> {
  if (!haveChromium()) throw new Error(`no chromium at ${CHROMIUM}: apt-get install chromium (or set ATSYNCD_CHROMIUM)`);
  const dir = mkdtempSync(join(tmpdir(), "atsyncd-shots-"));
  const dev = await startDevServer({ dataDir: join(dir, "dev"), atSigns: [ALICE, BOB] });
  const port = await freePort();
  const other = await startTestDaemon({ devServer: dev, atSigns: [ALICE] });
  let d = await startTestDaemon({ devServer: dev, atSigns: [ALICE, BOB], config: { web: port } });
  const browser = await launchChromium();
  const waiting: { close(): Promise<void> }[] = [];
  try {
    for (const [k, v] of [["phone", "+1 555 0100"], ["name", "Alice Liddell"], ["email", "alice@example.com"], ["city", "Oxford"]]) {
      await d.client.put(ALICE, `${k}.wavi${ALICE}`, v ?? "");
    }
    await d.client.put(BOB, `today.diary${BOB}`, "Tea at four");
    // A conflict, and a change the atServer refuses for good (a bare \r, as an older atsyncd could store).
    d = await makeConflict(d, other, dev.info.atSigns[ALICE]?.atKeys ?? "", ALICE, NOTE,
      { base: "Buy oat milk", theirs: "Buy oat milk and bread", mine: "Buy oat milk, eggs" }, () => {
        const store = SqliteStore.open({ path: storePath(d.dataDir, ALICE), clock: new SystemClock() });
        store.putLocal(`public:status.wavi${ALICE}`, "away\rback at 5");
        store.close();
      });
    await waitFor("the conflict and the rejection", async () => {
      const [s] = await d.client.status(ALICE);
      return s !== undefined && s.conflicts === 1 && s.rejectedUploads === 1;
    });
    const wavi = await ask(port, d, "http://localhost:5173", "Wavi", ["wavi"]);
    await d.client.call(AppsAllow, { requestId: wavi.requestId, always: true });
    waiting.push(wavi, await ask(port, d, "https://notes.example", "Notes", ["notes", "wavi"]));

    for (const scheme of ["light", "dark"] as const) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: scheme });
      const page = await openStatusPage(context, d.socketPath);
      await page.selectOption("#key-atsign", ALICE);
      await page.fill("#key-query", "wavi");
      await page.click("#key-form button[type=submit]");
      await page.click(`button.key[data-key="phone.wavi${ALICE}"]`);
      await page.locator("#key-value-text").waitFor();
      // An upload under way, caught while its progress shows.
      await d.client.putMany(BOB, Array.from({ length: 3000 }, (_, i) => ({ op: "put" as const, key: `entry${i}.diary${BOB}`, value: `${scheme} ${i}` })));
      await page.locator(`.atsign[data-atsign="${BOB}"] .phase progress`).waitFor({ timeout: 30_000 });
      await page.screenshot({ path: join(here, `status-${scheme}.png`), fullPage: true });
      await context.close();
      await d.client.syncNow({ atSign: BOB, wait: true, timeoutMs: 300_000 });
    }
  } finally {
    for (const w of waiting) await w.close().catch(() => undefined);
    await browser.close();
    await d.dispose();
    await other.dispose();
    await dev.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`wrote ${join(here, "status-light.png")} and status-dark.png`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
