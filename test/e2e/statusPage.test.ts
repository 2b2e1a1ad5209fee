// The status page in a real browser (Debian's chromium through playwright-core): the real daemon
// with its web listener, signed in with the link `atsyncd web` prints, against the dev-server.
// Another daemon on the same atSign plays the user's other device, so there is a conflict to resolve.
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { ErrorCode } from "../../shared/errors.js";
import type { AppRequestAccessResult } from "../../shared/types.js";
import { runCli } from "../cli/support/cli.js";
import { chromiumOrSkip, launchChromium, loginLink } from "../support/browser.js";
import { requireBuild, startTestDaemon, waitFor, type TestDaemon } from "../support/daemon.js";
import { freePort } from "../support/freePort.js";
import { makeConflict } from "../support/offlineWrite.js";
import { programOpensPage, rpcTry, startAppOrigin, type AppOrigin } from "./browserRpc.js";
import { ALICE, useDevServer } from "./devServer.js";

const CONFLICTED = `shared.note${ALICE}`;

/** The status and headers of a plain GET, with the Host header given. */
function get(port: number, path: string, host: string): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { host } }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.once("error", reject);
    req.end();
  });
}

describe("e2e: the status page in a real browser", function () {
  this.timeout(120_000);
  const server = useDevServer(this);
  let other: TestDaemon | undefined;
  let d: TestDaemon | undefined;
  let restarted: TestDaemon | undefined;
  let browser: Browser | undefined;
  let signedIn: BrowserContext;
  let page: Page;
  let port = 0;
  let appA: AppOrigin | undefined;
  let appB: AppOrigin | undefined;
  let token = "";
  const base = (): string => `http://127.0.0.1:${port}`;

  before(async function () {
    chromiumOrSkip(this);
    requireBuild();
    port = await freePort();
    const dev = server().dev;
    other = await startTestDaemon({ devServer: dev, atSigns: [ALICE] });
    const first = await startTestDaemon({ devServer: dev, atSigns: [ALICE], config: { web: port } });
    d = await makeConflict(first, other, dev.info.atSigns[ALICE]?.atKeys ?? "", ALICE, CONFLICTED,
      { base: "base", theirs: "from the other device", mine: "from this device, offline" });
    await waitFor("the conflict", async () => (await d!.client.conflicts({ atSign: ALICE })).length === 1);
    browser = await launchChromium();
    signedIn = await browser.newContext();
    appA = await startAppOrigin();
    appB = await startAppOrigin();
  });

  after(async function () {
    await browser?.close();
    await appA?.close();
    await appB?.close();
    await restarted?.dispose();
    await d?.dispose();
    await other?.dispose();
  });

  it("signs a browser in with the link once: used again, or without it, the page and its WebSocket are refused", async function () {
    const link = await loginLink(d!.socketPath);
    expect(link.url).to.match(new RegExp(`^http://127\\.0\\.0\\.1:${port}/login\\?token=[\\w-]{43}$`, "u"));
    page = await signedIn.newPage();
    const served = page.waitForResponse((r) => new URL(r.url()).pathname === "/");
    expect((await page.goto(link.url))?.status()).to.equal(200);
    await page.waitForURL((u) => u.pathname === "/");
    const csp = (await served).headers()["content-security-policy"] ?? "";
    expect(csp).to.include("default-src 'none'").and.include("script-src 'self'").and.include(`connect-src ws://127.0.0.1:${port}`);
    expect(csp).to.not.include("unsafe");
    await page.locator("#conn[data-state=open]").waitFor();
    await page.locator(`.atsign[data-atsign="${ALICE}"] .badge`).waitFor();
    // No cookie: the session is in the origin's own storage, and the spent link left the history.
    expect(await signedIn.cookies()).to.deep.equal([]);
    expect(await page.evaluate("localStorage.getItem('atsyncd-session')")).to.match(/^[\w-]{43}$/u);
    expect(await page.evaluate("history.length")).to.equal(2);
    // The page logged nothing of the token.
    expect(d!.output()).to.not.include(new URL(link.url).searchParams.get("token") ?? "none");

    const stranger = await browser!.newContext();
    try {
      const p = await stranger.newPage();
      expect((await p.goto(link.url))?.status()).to.equal(403);
      expect(await p.locator("body").innerText()).to.include("does not sign a browser in");
      expect((await p.goto(`${base()}/`))?.status()).to.equal(200);
      await p.locator("#signed-out", { hasText: "atsyncd web --open" }).waitFor();
      expect(await p.locator("#atsigns").isVisible()).to.equal(false);
      // The page's own origin, without a session: closed before anything is served.
      const tried = await rpcTry(p, `ws://127.0.0.1:${port}/page`, ["atsyncd"]);
      expect([tried.replies, tried.closeCode]).to.deep.equal([[], 4401]);
      expect((await rpcTry(p, `ws://127.0.0.1:${port}/page`, ["atsyncd", `atsyncd-session.${"x".repeat(43)}`])).closeCode).to.equal(4401);
      await waitFor("the refusal logged", () => d!.output().includes("no live status page session"));
    } finally {
      await stranger.close();
    }
  });

  it("scenario: another web server on 127.0.0.1 that the signed-in browser visits learns nothing that opens the page's socket", async function () {
    // Cookies know no ports: whatever the browser keeps for 127.0.0.1 goes to every server on it
    // (another user's, a dev server's), and a program replaying it can send the listener's Origin.
    const visit = await signedIn.newPage();
    await visit.goto(appB!.origin);
    await visit.close();
    const seen = appB!.seen.at(-1) ?? {};
    const replayed = Object.fromEntries(Object.entries(seen).filter(([k]) => !["host", "connection", "upgrade"].includes(k)).map(([k, v]) => [k, String(v)]));
    expect(await programOpensPage(port, { ...replayed, origin: base() })).to.include({ served: false });
    expect(JSON.stringify(seen)).to.not.include("atsyncd-session");
  });

  it("atsyncd web --open hands the browser a private file, not the link (command lines are public), and the file signs it in", async function () {
    const tmp = mkdtempSync(join(tmpdir(), "atsyncd-open-"));
    try {
      const fake = join(tmp, "browser");
      writeFileSync(fake, `#!/bin/sh\nprintf '%s' "$1" > ${JSON.stringify(join(tmp, "opened"))}\n`, { mode: 0o755 });
      const r = await runCli(["web", "--open", "--socket", d!.socketPath], { env: { BROWSER: fake } });
      expect(r.code, r.stderr).to.equal(0);
      const token = /token=([\w-]+)/u.exec(r.stdout)?.[1] ?? "";
      expect(token).to.have.length(43);
      const opened = readFileSync(join(tmp, "opened"), "utf8");
      expect(opened).to.match(/^file:\/\/\/.+\/atsyncd-web-\w+\/open\.html$/u);
      expect(opened).to.not.include(token);
      const file = fileURLToPath(opened);
      expect(statSync(file).mode & 0o777).to.equal(0o600);
      expect(statSync(dirname(file)).mode & 0o777).to.equal(0o700);
      const context = await browser!.newContext();
      try {
        const p = await context.newPage();
        await p.goto(opened);
        await p.waitForURL((u) => u.host === `127.0.0.1:${port}` && u.pathname === "/");
        await p.locator("#conn[data-state=open]").waitFor();
      } finally {
        await context.close();
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("shows a change made with the CLI within a second, and the key browser its value, decrypted, on click", async function () {
    const key = `mood.cli${ALICE}`;
    const put = await runCli(["put", ALICE, key, "sunny", "--socket", d!.socketPath]);
    expect(put.code, put.stderr).to.equal(0);
    await page.locator("#event-list li[data-kind='key.changed']", { hasText: key }).first().waitFor({ timeout: 1000 });

    await page.selectOption("#key-atsign", ALICE);
    await page.fill("#key-query", "cli");
    await page.click("#key-form button[type=submit]");
    await page.click(`button.key[data-key="${key}"]`);
    await page.locator("#key-value-text", { hasText: "sunny" }).waitFor();
    // The value open follows a change.
    expect((await runCli(["put", ALICE, key, "rainy", "--socket", d!.socketPath])).code).to.equal(0);
    await page.locator("#key-value-text", { hasText: "rainy" }).waitFor({ timeout: 1000 });
    // A regex finds it too.
    await page.selectOption("#key-mode", "regex");
    await page.fill("#key-query", "^mood\\.");
    await page.click("#key-form button[type=submit]");
    expect(await page.locator("button.key").allInnerTexts()).to.deep.equal([key]);
  });

  it("shows a conflict side by side and resolves it with the side the user keeps", async function () {
    const conflict = page.locator(`.conflict[data-key="${CONFLICTED}"]`);
    expect(await conflict.locator("[data-side=local] pre").innerText()).to.equal("from this device, offline");
    expect(await conflict.locator("[data-side=remote] pre").innerText()).to.equal("from the other device");
    expect(await page.locator("#conflict-count").innerText()).to.equal("1");
    await conflict.locator("[data-side=remote] button").click();
    await conflict.waitFor({ state: "detached" });
    expect((await d!.client.get(ALICE, CONFLICTED)).value).to.equal("from the other device");
    expect(await d!.client.conflicts({ atSign: ALICE })).to.deep.equal([]);
    await page.locator("#conflict-list .empty").waitFor();
  });

  it("lets a waiting app in from the page; its token then works only inside its namespaces", async function () {
    const app = await signedIn.newPage();
    await app.goto(appA!.origin);
    const asked = rpcTry(app, `ws://127.0.0.1:${port}/consent`, ["atsyncd"], [
      { method: "app.requestAccess", params: { name: "Notes app", atSigns: [ALICE], namespaces: ["notes"] } },
    ]);
    const pending = page.locator(".app.pending", { hasText: "Notes app" });
    await pending.locator("button", { hasText: "Allow once" }).click();
    const reply = (await asked).replies[1];
    expect(reply?.error).to.equal(undefined);
    token = (reply?.result as AppRequestAccessResult).token;
    await pending.waitFor({ state: "detached" });
    await page.locator(".app.allowed", { hasText: "Notes app" }).waitFor();

    const used = await rpcTry(app, `ws://127.0.0.1:${port}/rpc`, ["atsyncd", `atsyncd-token.${token}`], [
      { method: "keys.put", params: { atSign: ALICE, key: `todo.notes${ALICE}`, value: "milk" } },
      { method: "keys.get", params: { atSign: ALICE, key: `todo.notes${ALICE}` } },
      { method: "keys.get", params: { atSign: ALICE, key: `mood.cli${ALICE}` } },
      { method: "keys.put", params: { atSign: ALICE, key: `mood.cli${ALICE}`, value: "x" } },
      { method: "keys.list", params: { atSign: ALICE, namespace: "cli" } },
      { method: "conflicts.list", params: {} },
    ]);
    expect(used.opened).to.equal(true);
    const [, put, got, ...outside] = used.replies;
    expect(put?.error).to.equal(undefined);
    expect((got?.result as { value: string }).value).to.equal("milk");
    expect(outside.map((r) => r.error?.code)).to.deep.equal([ErrorCode.AppOutOfScope, ErrorCode.AppOutOfScope, ErrorCode.AppOutOfScope, ErrorCode.AppOutOfScope]);
    expect((await d!.client.get(ALICE, `mood.cli${ALICE}`)).value).to.equal("rainy");
  });

  it("refuses a token from another origin, a request without one, the page's socket from any origin but its own, and a foreign Host", async function () {
    const a = await signedIn.newPage();
    await a.goto(appA!.origin);
    const b = await signedIn.newPage();
    await b.goto(appB!.origin);
    const rpc = `ws://127.0.0.1:${port}/rpc`;
    expect((await rpcTry(b, rpc, ["atsyncd", `atsyncd-token.${token}`])).opened, "the token from another origin").to.equal(false);
    expect((await rpcTry(a, rpc, ["atsyncd"])).opened, "no token").to.equal(false);
    expect((await rpcTry(a, rpc, ["atsyncd", `atsyncd-token.${token}`])).opened, "the app itself").to.equal(true);
    // Another origin, even with the page's session (which only the page's origin can read), is refused.
    const session = String(await page.evaluate("localStorage.getItem('atsyncd-session')"));
    expect((await rpcTry(b, `ws://127.0.0.1:${port}/page`, ["atsyncd", `atsyncd-session.${session}`])).opened, "the page's socket from another origin").to.equal(false);
    expect(await b.evaluate("localStorage.getItem('atsyncd-session')"), "the session from another origin").to.equal(null);
    const log = d!.output();
    for (const why of ["the token was granted to another origin", "no valid token", "the status page's connection from another origin"]) expect(log).to.include(why);
    expect((await get(port, "/", `evil.example:${port}`)).status).to.equal(403);
    const plain = await get(port, "/", `127.0.0.1:${port}`);
    expect(plain.status).to.equal(200);
    expect(plain.headers["x-frame-options"]).to.equal("DENY");
  });

  it("scenario: atsyncd restarts while the page is open: it says it cannot reach atsyncd, then that the restart signed it out, and a link opened in another tab brings it back", async function () {
    await d!.stop();
    await page.locator("#conn[data-state=closed]", { hasText: "cannot be reached" }).waitFor();
    restarted = await d!.restart();
    await page.locator("#conn[data-state=signed-out]").waitFor({ timeout: 15_000 });
    await page.locator("#signed-out", { hasText: "it restarted" }).waitFor();
    expect(await page.locator("#atsigns").isVisible()).to.equal(false);
    expect(await page.evaluate("localStorage.getItem('atsyncd-session')")).to.equal(null);
    const other = await signedIn.newPage();
    await other.goto((await loginLink(restarted.socketPath)).url);
    await other.locator("#conn[data-state=open]").waitFor();
    await page.locator("#conn[data-state=open]").waitFor();
    await page.locator(`.atsign[data-atsign="${ALICE}"] .badge`).waitFor();
    expect(await page.locator("#signed-out").isVisible()).to.equal(false);
    await other.close();
  });
});
