// `atsyncd web [--open]`: a one-time link to the status page on the web listener. The daemon
// makes it only for a caller on its Unix socket (the user); the link signs one browser in, once,
// within two minutes. --open hands the browser ($BROWSER, else xdg-open or open) a file that
// leads to the link, not the link itself: a command line is visible to every user of the machine,
// and another one could spend the token before the browser does. The file (0600, in a fresh
// 0700 directory) is removed when the token has expired, by a detached helper.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { WebLogin } from "../../../shared/methods.js";
import { JSON_OPTION, SOCKET_OPTION, parseCommandArgs } from "../args.js";
import { ExitCode, type CliIO, type Command } from "../Command.js";
import { withClient } from "../withClient.js";

const USAGE = `Usage: atsyncd web [--open] [--json] [--socket PATH]

Prints a link to the status page (the daemon must run with --web, or "web" in the config):
every atSign's sync, conflicts to resolve, apps waiting for your answer, the keys, live events.
The link signs one browser in, once, within 2 minutes; run atsyncd web again for another.
  --open          also open it in the browser ($BROWSER, else xdg-open, or open on macOS)
  --json          print {"url", "expiresAt"}
  --socket PATH   the daemon's socket
`;

/** How long the browser launcher may take to say whether it started. */
const OPEN_WAIT_MS = 10_000;

/** A private file that takes a browser to `url`, removed after `removeAfterMs` by a detached helper. */
function redirectFile(url: string, removeAfterMs: number): string {
  const dir = mkdtempSync(join(tmpdir(), "atsyncd-web-"));
  const file = join(dir, "open.html");
  const href = url.replaceAll("&", "&amp;").replaceAll("\"", "&quot;");
  writeFileSync(file, `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=${href}">`
    + `<title>atsyncd</title><p><a href="${href}">Open the atsyncd status page</a></p>\n`, { mode: 0o600, flag: "wx" });
  const remove = `setTimeout(() => require("node:fs").rmSync(${JSON.stringify(dir)}, { recursive: true, force: true }), ${Math.max(0, removeAfterMs)})`;
  spawn(process.execPath, ["-e", remove], { detached: true, stdio: "ignore" }).unref();
  return file;
}

/** Hands `url` to the desktop's browser; resolves with why it failed, or undefined. */
function openInBrowser(url: string, io: CliIO): Promise<string | undefined> {
  const opener = io.env.BROWSER || (process.platform === "darwin" ? "open" : "xdg-open");
  return new Promise((resolve) => {
    const child = spawn(opener, [url], { stdio: "ignore", detached: true, env: io.env });
    // A launcher that stays (the browser itself, as $BROWSER) has started it: leave it running.
    const timer = io.clock.setTimer(OPEN_WAIT_MS, () => {
      child.unref();
      resolve(undefined);
    });
    const done = (why: string | undefined): void => {
      timer.dispose();
      resolve(why);
    };
    child.once("error", (err: NodeJS.ErrnoException) => done(`${opener}: ${err.code ?? err.message}`));
    child.once("exit", (code, signal) => done(code === 0 ? undefined : `${opener} exited ${code ?? signal}`));
  });
}

const web: Command = {
  name: "web",
  summary: "print (or --open) a one-time link to the status page in a browser",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, { open: { type: "boolean" }, ...JSON_OPTION, ...SOCKET_OPTION }, USAGE, { min: 0, max: 0 });
    const login = await withClient(values.socket, io, {}, (c) => c.call(WebLogin, {}));
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify(login)}\n`);
    } else {
      const minutes = Math.max(1, Math.round((login.expiresAt - io.clock.now()) / 60_000));
      io.stdout.write(`The status page (this link signs a browser in once, within ${minutes} minute${minutes === 1 ? "" : "s"}):\n  ${login.url}\n`);
    }
    if (values.open !== true) return ExitCode.Ok;
    const failed = await openInBrowser(pathToFileURL(redirectFile(login.url, login.expiresAt - io.clock.now())).href, io);
    if (failed !== undefined) io.stderr.write(`atsyncd web: could not open a browser (${failed}); open the link above yourself\n`);
    return ExitCode.Ok;
  },
};

export default web;
