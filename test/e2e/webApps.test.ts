// Browser apps end to end: the real daemon with its web listener on, a real `ws` client playing the
// browser (it sends Origin as a browser would), and `atsyncd apps` as a child process giving consent.
import { expect } from "chai";
import { spawn } from "node:child_process";
import { statSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { WebSocket } from "ws";
import { ErrorCode } from "../../shared/errors.js";
import type { AtsyncEvent } from "../../shared/events.js";
import { AppsList } from "../../shared/methods.js";
import { PROTOCOL_VERSION } from "../../shared/protocol.js";
import type { AppRequestAccessResult } from "../../shared/types.js";
import { atsyncdBin, requireBuild, startTestDaemon, waitFor, type TestDaemon } from "../support/daemon.js";
import { freePort } from "../support/freePort.js";
import { ALICE, BOB, useDevServer } from "./devServer.js";
import { nextEvent } from "./nextEvent.js";

const APP_ORIGIN = "http://wavi.example";

type Frame = { id?: unknown; result?: unknown; error?: { code: number; message: string }; method?: string; params?: unknown };

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [atsyncdBin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A WebSocket as a browser page opens it, collecting every message. */
class Page {
  readonly frames: Frame[] = [];
  closed = false;
  private next = 1;
  private constructor(readonly ws: WebSocket) {
    ws.on("message", (d: Buffer) => this.frames.push(JSON.parse(d.toString("utf8")) as Frame));
    ws.on("close", () => (this.closed = true));
  }

  /** Opens `path`; rejects with the HTTP status when the upgrade is refused. */
  static open(port: number, path: string, o: { origin?: string; host?: string; token?: string } = {}): Promise<Page> {
    const protocols = ["atsyncd", ...(o.token !== undefined ? [`atsyncd-token.${o.token}`] : [])];
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, protocols, {
      ...(o.origin !== undefined ? { origin: o.origin } : {}),
      ...(o.host !== undefined ? { headers: { host: o.host } } : {}),
    });
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(new Page(ws)));
      ws.once("unexpected-response", (_req, res) => {
        reject(new Error(`refused: ${res.statusCode ?? 0}`));
        ws.terminate();
      });
      ws.once("error", (e) => reject(e));
    });
  }

  static async ready(port: number, path: string, o: { origin?: string; token?: string }): Promise<Page> {
    const p = await Page.open(port, path, o);
    const r = await p.request("rpc.hello", { protocolVersion: PROTOCOL_VERSION, client: "page" });
    if (r.error) throw new Error(r.error.message);
    return p;
  }

  send(text: string): void {
    this.ws.send(text);
  }

  /** Sends a request; resolves with its reply. */
  request(method: string, params: unknown): Promise<Frame> {
    const id = this.next++;
    this.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    return this.reply(id);
  }

  async reply(id: unknown): Promise<Frame> {
    return waitFor(`reply ${String(id)}`, () => this.frames.find((f) => f.id === id && (f.result !== undefined || f.error !== undefined))
      ?? (this.closed ? Promise.reject(new Error("closed")) : undefined), 15_000);
  }

  close(): void {
    this.ws.terminate();
  }
}

describe("e2e: browser apps on the web listener", function () {
  this.timeout(90_000);
  const server = useDevServer(this);
  let d: TestDaemon | undefined;
  let port = 0;
  let token = "";
  let appId = "";
  const pages: Page[] = [];
  const open = async (path: string, o: { origin?: string; token?: string } = {}): Promise<Page> => {
    const p = await Page.ready(port, path, o);
    pages.push(p);
    return p;
  };

  before(async function () {
    requireBuild();
    port = await freePort();
    d = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE], config: { web: port } });
    await d.client.put(ALICE, `phone.wavi${ALICE}`, "+1 555");
    await d.client.put(ALICE, `diary.notes${ALICE}`, "secret");
  });

  after(async function () {
    for (const p of pages) p.close();
    await d?.dispose();
  });

  it("an app asks, waits, is let in by `atsyncd apps allow`, reads its namespace and is refused another", async function () {
    const requests = d!.client.subscribe({ kinds: ["app.access.requested"] });
    const asker = await open("/consent", { origin: APP_ORIGIN });
    // Without a token, the consent path serves nothing but the request for one.
    expect((await asker.request("status.get", { atSign: ALICE })).error?.code).to.equal(ErrorCode.AppOutOfScope);
    const asked = asker.request("app.requestAccess", { name: "Wavi", atSigns: [ALICE], namespaces: ["wavi"] });
    const event = await nextEvent(requests, (e: AtsyncEvent): e is Extract<AtsyncEvent, { kind: "app.access.requested" }> => e.kind === "app.access.requested");
    expect(event).to.include({ name: "Wavi", origin: APP_ORIGIN });
    expect(event.atSigns).to.deep.equal([ALICE]);
    const listed = await d!.client.call(AppsList, {});
    expect(listed.pending.map((p) => p.requestId)).to.deep.equal([event.requestId]);

    const allowed = await runCli(["apps", "allow", event.requestId, "--always", "--socket", d!.socketPath]);
    expect(allowed.code, allowed.stderr).to.equal(0);
    expect(allowed.stdout).to.include("Allowed \"Wavi\"");
    const granted = (await asked).result as AppRequestAccessResult;
    expect(granted.always).to.equal(true);
    token = granted.token;
    appId = granted.appId;

    // Kept hashed, never as itself, in a 0600 file.
    const file = join(d!.dataDir, "apps.json");
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    const stored = readFileSync(file, "utf8");
    expect(stored).to.not.include(token);
    expect(stored).to.match(/"tokenSha256": "[0-9a-f]{64}"/u);

    const app = await open("/rpc", { origin: APP_ORIGIN, token });
    const got = await app.request("keys.get", { atSign: ALICE, key: `phone.wavi${ALICE}` });
    expect((got.result as { value: string }).value).to.equal("+1 555");
    const listedKeys = await app.request("keys.list", { atSign: ALICE });
    expect(listedKeys.result).to.deep.equal({ keys: [`phone.wavi${ALICE}`], nextCursor: null });
    for (const [method, params] of [
      ["keys.get", { atSign: ALICE, key: `diary.notes${ALICE}` }],
      ["keys.put", { atSign: ALICE, key: `diary.notes${ALICE}`, value: "x" }],
      ["keys.list", { atSign: ALICE, namespace: "notes" }],
      ["status.get", { atSign: BOB }],
      ["events.subscribe", { namespaces: ["notes"] }],
      ["events.subscribe", { kinds: ["app.access.requested"] }],
      ["identities.offboard", { atSign: ALICE }],
      ["apps.list", {}],
    ] as const) {
      expect((await app.request(method, params)).error?.code, `${method} ${JSON.stringify(params)}`).to.equal(ErrorCode.AppOutOfScope);
    }
    // Its subscription sees its own namespace, not the other.
    const sub = await app.request("events.subscribe", { kinds: ["key.changed"] });
    expect(sub.error).to.equal(undefined);
    await d!.client.put(ALICE, `diary.notes${ALICE}`, "more secret");
    await d!.client.put(ALICE, `phone.wavi${ALICE}`, "+1 556");
    const keysSeen = (): string[] => app.frames.filter((f) => f.method === "events.event")
      .map((f) => (f.params as { event: { kind: string; key?: string } }).event)
      .filter((e) => e.kind === "key.changed").map((e) => e.key ?? "");
    await waitFor("the wavi change", () => keysSeen().length > 0);
    expect(keysSeen()).to.deep.equal([`phone.wavi${ALICE}`]);
  });

  it("refuses at the upgrade (403) a wrong Host, a missing or unknown Origin, and a missing or wrong token", async function () {
    const refused = (p: Promise<unknown>): Promise<string> => p.then(() => "opened", (e: Error) => e.message);
    expect(await refused(Page.open(port, "/rpc", { origin: APP_ORIGIN, token, host: `evil.example:${port}` }))).to.equal("refused: 403");
    expect(await refused(Page.open(port, "/consent", { origin: APP_ORIGIN, host: `attacker.example:${port}` }))).to.equal("refused: 403");
    expect(await refused(Page.open(port, "/rpc", { token }))).to.equal("refused: 403");
    expect(await refused(Page.open(port, "/consent", { origin: "null" }))).to.equal("refused: 403");
    expect(await refused(Page.open(port, "/rpc", { origin: "http://evil.example", token }))).to.equal("refused: 403");
    expect(await refused(Page.open(port, "/rpc", { origin: APP_ORIGIN }))).to.equal("refused: 403");
    expect(await refused(Page.open(port, "/rpc", { origin: APP_ORIGIN, token: "x".repeat(43) }))).to.equal("refused: 403");
    // localhost:PORT is the listener's own name too.
    const viaLocalhost = await refused(Page.open(port, "/rpc", { origin: APP_ORIGIN, token, host: `localhost:${port}` }).then((p) => p.close()));
    expect(viaLocalhost).to.equal("opened");
  });

  it("answers frames over the limits with the socket's codes, and the connection goes on", async function () {
    const app = await open("/rpc", { origin: APP_ORIGIN, token });
    app.send(`{"jsonrpc":"2.0","id":"deep","method":"status.get","params":${"[".repeat(20)}${"]".repeat(20)}}`);
    expect((await app.reply("deep")).error?.code).to.equal(ErrorCode.FrameTooDeep);
    app.send(`{"jsonrpc":"2.0","id":"wide","method":"status.get","params":[${"0,".repeat(200_001)}0]}`);
    expect((await app.reply("wide")).error?.code).to.equal(ErrorCode.FrameTooLarge);
    app.send(`{"jsonrpc":"2.0","id":"big","method":"status.get","params":{"x":"${"y".repeat(16 * 1024 * 1024)}"}}`);
    expect((await app.reply("big")).error?.code).to.equal(ErrorCode.FrameTooLarge);
    expect((await app.request("status.get", { atSign: ALICE })).error).to.equal(undefined);
  });

  it("a denied app gets AppAccessDenied; a revoked token stops working, open connections first", async function () {
    const asker = await open("/consent", { origin: "http://other.example" });
    const asked = asker.request("app.requestAccess", { name: "Other", atSigns: [ALICE], namespaces: ["notes"] });
    const pending = await waitFor("the request", async () => (await d!.client.call(AppsList, {})).pending[0]);
    const denied = await runCli(["apps", "deny", pending.requestId, "--socket", d!.socketPath]);
    expect(denied.code, denied.stderr).to.equal(0);
    expect((await asked).error?.code).to.equal(ErrorCode.AppAccessDenied);

    const app = await open("/rpc", { origin: APP_ORIGIN, token });
    expect((await app.request("status.get", { atSign: ALICE })).error).to.equal(undefined);
    const revoked = await runCli(["apps", "revoke", appId, "--socket", d!.socketPath]);
    expect(revoked.code, revoked.stderr).to.equal(0);
    await waitFor("the app's connection closed", () => app.closed);
    const again = await Page.open(port, "/rpc", { origin: APP_ORIGIN, token }).then(() => "opened", (e: Error) => e.message);
    expect(again).to.equal("refused: 403");
    expect(readFileSync(join(d!.dataDir, "apps.json"), "utf8")).to.not.include(appId);
  });
});
