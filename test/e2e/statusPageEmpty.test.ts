// The status page of a daemon that has no atSign yet (a fresh install): it says how to onboard
// one, and its key browser says there is nothing to browse instead of failing on an empty atSign.
import { expect } from "chai";
import type { Browser } from "playwright-core";
import { chromiumOrSkip, launchChromium, openStatusPage } from "../support/browser.js";
import { requireBuild, startTestDaemon, type TestDaemon } from "../support/daemon.js";
import { freePort } from "../support/freePort.js";
import { useDevServer } from "./devServer.js";

describe("e2e: the status page with no atSign", function () {
  this.timeout(60_000);
  const server = useDevServer(this, []);
  let d: TestDaemon | undefined;
  let browser: Browser | undefined;

  before(async function () {
    chromiumOrSkip(this);
    requireBuild();
    d = await startTestDaemon({ devServer: server().dev, config: { web: await freePort() } });
    browser = await launchChromium();
  });

  after(async function () {
    await browser?.close();
    await d?.dispose();
  });

  it("scenario: no atSign onboarded: the page gives the onboard command whole, and the key browser says there is nothing to browse", async function () {
    const page = await openStatusPage(await browser!.newContext(), d!.socketPath);
    const empty = page.locator("#atsign-cards .empty");
    expect(await empty.innerText()).to.equal("No atSign is onboarded yet: atsyncd onboard @atSign --atkeys FILE");
    expect(await empty.locator("code").innerText()).to.equal("atsyncd onboard @atSign --atkeys FILE");
    expect(await page.locator("#key-form button[type=submit]").isDisabled()).to.equal(true);
    expect(await page.locator("#key-list").innerText()).to.equal("No atSign to browse: onboard one first.");
  });
});
