// Browser apps end to end: the real daemon with its web listener on, a real `ws` client playing the
// browser (it sends Origin as a browser would), and `atsyncd apps` as a child process giving consent.
import { expect } from "chai";
import { spawn } from "node:child_process";
import { connect, type Socket } from "node:net";
import { statSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { WebSocket } from "ws";
import { ErrorCode } from "../../shared/errors.js";
import type { AtsyncEvent } from "../../shared/events.js";
import { AppsList } from "../../shared/methods.js";
import { PROTOCOL_VERSION } from "../../shared/protocol.js";
import type { AppRequestAccessResult } from "../../shared/types.js";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { SqliteStore } from "../../daemon/store/SqliteStore.js";
import { storePath } from "../../daemon/worker/storePath.js";
import type { SyncStatus } from "../../shared/status.js";
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

/** Writes `text` to the listener on a raw TCP socket; resolves with the status line of the answer. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1");
    let got = "";
    s.on("data", (d: Buffer) => (got += d.toString("latin1")));
    s.on("error", reject);
    s.on("close", () => resolve(got.split("\r\n")[0] ?? ""));
    s.end(text);
  });
}

/** A TCP socket that sends half a request and never the rest; `closedAt` is set when the listener cuts it. */
function halfRequest(port: number): { socket: Socket; readonly closedAt: number | undefined } {
  const socket = connect(port, "127.0.0.1");
  const state: { socket: Socket; closedAt: number | undefined } = { socket, closedAt: undefined };
  socket.on("error", () => undefined);
  socket.on("close", () => (state.closedAt = Date.now()));
  // Reads (and drops) what comes, the 408 and the end: a paused socket would never see its close.
  socket.resume();
  socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: `);
  return state;
}

/** A WebSocket as a browser page opens it, collecting every message. */
class Page {
  readonly frames: Frame[] = [];
  closed = false;
  private next = 1;
  private constructor(readonly ws: WebSocket) {
    ws.on("message", (d: Buffer) => this.frames.push(JSON.parse(d.toString("utf8")) as Frame));
    ws.on("close", (code: number) => {
      this.closed = true;
      this.closeCode = code;
    });
  }

  /** Opens `path`; rejects with the HTTP status when the upgrade is refused. */
  /** The close code, once closed. */
  closeCode: number | undefined;

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
  let first: TestDaemon | undefined;
  let port = 0;
  let token = "";
  let appId = "";
  const pages: Page[] = [];
  const open = async (path: string, o: { origin?: string; token?: string } = {}): Promise<Page> => {
    const p = await Page.ready(port, path, o);
    pages.push(p);
    return p;
  };

  /** An app from `origin` asks for `namespaces` of @alice and is allowed once: its grant. */
  const allowApp = async (origin: string, namespaces: string[]): Promise<AppRequestAccessResult> => {
    const asker = await open("/consent", { origin });
    const asked = asker.request("app.requestAccess", { name: origin, atSigns: [ALICE], namespaces });
    const pending = await waitFor("the request", async () => (await d!.client.call(AppsList, {})).pending.find((p) => p.origin === origin));
    const allowed = await runCli(["apps", "allow", pending.requestId, "--socket", d!.socketPath]);
    expect(allowed.code, allowed.stderr).to.equal(0);
    const granted = (await asked).result as AppRequestAccessResult;
    asker.close();
    return granted;
  };

  before(async function () {
    requireBuild();
    port = await freePort();
    d = first = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE], config: { web: port } });
    await d.client.put(ALICE, `phone.wavi${ALICE}`, "+1 555");
    await d.client.put(ALICE, `diary.notes${ALICE}`, "secret");
  });

  after(async function () {
    for (const p of pages) p.close();
    await d?.dispose();
    if (first !== d) await first?.dispose();
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

  it("scenario: a web page on the consent path cannot make the daemon hold 16 MiB a connection: a message over 64 KiB closes it (1009)", async function () {
    const asker = await open("/consent", { origin: "http://big.example" });
    asker.send(`{"jsonrpc":"2.0","id":"big","method":"app.requestAccess","params":{"name":"${"n".repeat(100 * 1024)}"}}`);
    await waitFor("the consent connection closed", () => asker.closed);
    expect(asker.closeCode).to.equal(1009);
  });

  it("scenario: web pages holding consent connections leave the page and the allowed apps theirs (32 asking at once, 4 from one origin)", async function () {
    const granted = await allowApp("http://crowded.example", ["wavi"]);
    const tries = await Promise.all(Array.from({ length: 256 }, (_, i) =>
      Page.open(port, "/consent", { origin: `http://crowd${i % 64}.example` }).then((p) => (pages.push(p), "opened"), (e: Error) => e.message)));
    // At most 32 (fewer when earlier tests' askers are not closed yet); every other one is 503.
    expect(tries.filter((t) => t === "opened").length).to.be.within(28, 32);
    expect(new Set(tries.filter((t) => t !== "opened"))).to.deep.equal(new Set(["refused: 503"]));
    const app = await open("/rpc", { origin: "http://crowded.example", token: granted.token });
    expect((await app.request("status.get", { atSign: ALICE })).error).to.equal(undefined);
    for (const p of pages.splice(0)) p.close();
    // One origin may keep at most 4 open at once (tried until the crowd's are all closed).
    await waitFor("4 of 5 from one origin", async () => {
      const one = await Promise.all(Array.from({ length: 5 }, () => Page.open(port, "/consent", { origin: "http://greedy.example" }).then((p) => (p.close(), "opened"), (e: Error) => e.message)));
      return one.sort().join() === "opened,opened,opened,opened,refused: 503";
    });
  });

  it("scenario: one origin cannot fill the list of apps waiting for the user (4 requests waiting from one origin)", async function () {
    const asker = await waitFor("a consent connection", () => open("/consent", { origin: "http://pushy.example" }).catch(() => undefined));
    const asked = Array.from({ length: 5 }, (_, i) => asker.request("app.requestAccess", { name: `Pushy ${i}`, atSigns: [ALICE], namespaces: ["wavi"] }));
    const fifth = await asked[4];
    expect(fifth?.error?.code).to.equal(ErrorCode.AppRequestInvalid);
    expect(fifth?.error?.message).to.include("http://pushy.example");
    const waiting = (await d!.client.call(AppsList, {})).pending.filter((p) => p.origin === "http://pushy.example");
    expect(waiting).to.have.length(4);
    asker.close();
    await waitFor("the requests withdrawn", async () => (await d!.client.call(AppsList, {})).pending.length === 0);
  });

  it("scenario: an absolute-form request line, a second Host header and a `//host` path are not the listener's own page", async function () {
    const own = `Host: 127.0.0.1:${port}\r\nConnection: close\r\n`;
    expect(await rawRequest(port, `GET / HTTP/1.1\r\n${own}\r\n`)).to.equal("HTTP/1.1 200 OK");
    expect(await rawRequest(port, `GET http://evil.example/ HTTP/1.1\r\n${own}\r\n`)).to.equal("HTTP/1.1 400 Bad Request");
    expect(await rawRequest(port, `GET http://127.0.0.1:${port}/ HTTP/1.1\r\n${own}\r\n`)).to.equal("HTTP/1.1 400 Bad Request");
    expect(await rawRequest(port, `GET / HTTP/1.1\r\n${own}Host: evil.example\r\n\r\n`)).to.equal("HTTP/1.1 400 Bad Request");
    expect(await rawRequest(port, `GET //evil.example/app.js HTTP/1.1\r\n${own}\r\n`)).to.equal("HTTP/1.1 404 Not Found");
  });

  it("scenario: a program holding half-sent requests has them cut within seconds, and holds at most 512 of the daemon's sockets", async function () {
    this.timeout(60_000);
    const started = Date.now();
    const held = Array.from({ length: 600 }, () => halfRequest(port));
    try {
      // Those over the bound are closed at once; the socket and its clients go on.
      await waitFor("the sockets over 512 closed", () => held.filter((h) => h.closedAt !== undefined).length >= 600 - 512);
      expect((await d!.client.status(ALICE))[0]?.atSign).to.equal(ALICE);
      await waitFor("every half-sent request cut", () => held.every((h) => h.closedAt !== undefined) || (console.log(held.filter((h) => h.closedAt === undefined).length), false), 30_000);
      expect(Math.max(...held.map((h) => h.closedAt ?? Infinity)) - started).to.be.below(15_000);
    } finally {
      for (const h of held) h.socket.destroy();
    }
  });

  it("scenario: an app sees no key of another namespace in a status (the latest rejected change), nor the notifications the user sends", async function () {
    // A change the atServer refuses for good, outside the app's namespace (a bare \r, as an older
    // atsyncd could store), planted while the daemon is stopped.
    await d!.stop();
    const refused = `public:refused.bank${ALICE}`;
    const store = SqliteStore.open({ path: storePath(d!.dataDir, ALICE), clock: new SystemClock() });
    try {
      store.putLocal(refused, "a\rb");
    } finally {
      store.close();
    }
    d = await d!.restart();
    await waitFor("the rejection", async () => (await d!.client.status(ALICE))[0]?.lastRejected?.key === refused);
    const granted = await allowApp("http://narrow.example", ["wavi"]);
    const app = await open("/rpc", { origin: "http://narrow.example", token: granted.token });
    const [mine] = (await app.request("status.get", { atSign: ALICE })).result as SyncStatus[];
    expect(mine).to.deep.include({ atSign: ALICE, rejectedUploads: 1, lastRejected: null });
    expect((await app.request("events.subscribe", { kinds: ["notification.statusChanged"] })).error?.code).to.equal(ErrorCode.AppOutOfScope);
    expect((await app.request("events.subscribe", {})).error).to.equal(undefined);
    const users = d!.client.subscribe({ kinds: ["notification.statusChanged"] });
    await d!.client.notify(ALICE, { to: BOB, text: "meet at noon" });
    await nextEvent(users, (e: AtsyncEvent): e is Extract<AtsyncEvent, { kind: "notification.statusChanged" }> => e.kind === "notification.statusChanged");
    // Published after it: the app's stream, in order, has had its chance to carry the notification.
    await d!.client.put(ALICE, `after.wavi${ALICE}`, "x");
    const events = (): AtsyncEvent[] => app.frames.filter((f) => f.method === "events.event").map((f) => (f.params as { event: AtsyncEvent }).event);
    await waitFor("the app's own change", () => events().some((e) => e.kind === "key.changed" && e.key === `after.wavi${ALICE}`));
    const seen = JSON.stringify(events());
    expect(seen).to.not.include(refused);
    expect(seen).to.not.include("notification");
    expect(events().filter((e) => e.kind === "snapshot" || e.kind === "status.changed").length).to.be.above(0);
  });

  it("scenario: an app may not give the daemon a regex to run (a catastrophic one in a subscription hung the daemon's main thread for good)", async function () {
    const granted = await allowApp("http://regex.example", ["wavi"]);
    const app = await open("/rpc", { origin: "http://regex.example", token: granted.token });
    for (const [method, params] of [
      ["events.subscribe", { regex: "^(a|aa)+$" }],
      ["keys.list", { atSign: ALICE, namespace: "wavi", regex: "^(a|aa)+$" }],
      ["keys.list", { atSign: ALICE, regex: "^phone" }],
    ] as const) {
      const r = await app.request(method, params);
      expect(r.error?.code, `${method} ${JSON.stringify(params)}`).to.equal(ErrorCode.AppOutOfScope);
      expect(r.error?.message).to.include("not by regex");
    }
    // The key that would have set it off is the app's to write; the daemon goes on answering.
    expect((await app.request("keys.put", { atSign: ALICE, key: `${"a".repeat(60)}b.wavi${ALICE}`, value: "x" })).error).to.equal(undefined);
    expect((await d!.client.status(ALICE))[0]?.atSign).to.equal(ALICE);
  });

  it("scenario: a page that has its upgrades refused as fast as it can does not flood the log (one line a reason per 10 s, with the count left out)", async function () {
    const before = d!.output().split("\n").filter((l) => l.includes("web upgrade refused")).length;
    const tries = await Promise.all(Array.from({ length: 300 }, () => Page.open(port, "/rpc", { origin: "http://flood.example", token: "x".repeat(43) }).then(() => "opened", (e: Error) => e.message)));
    expect(new Set(tries)).to.deep.equal(new Set(["refused: 403"]));
    await Page.open(port, "/nowhere", { origin: "http://flood.example" }).catch(() => undefined);
    const lines = await waitFor("the other reason logged", () => {
      const l = d!.output().split("\n").filter((x) => x.includes("web upgrade refused")).slice(before);
      return l.some((x) => x.includes("no such path")) ? l : undefined;
    });
    expect(lines.filter((l) => l.includes("no valid token"))).to.have.length(1);
  });

  it("scenario: an app's name cannot carry terminal escapes or bidi controls into `atsyncd apps list` (a page rewrote the line the user answers from)", async function () {
    const asker = await open("/consent", { origin: "http://escape.example" });
    // \r and ESC[2K wipe the line; what follows poses as another app from a trusted origin.
    const spoof = "Notes\r\u001b[2K  req-000000000000  \"Notes\" from https://notes.example asks for @alice [notes]\u001b[8m";
    for (const name of [spoof, "Notes\u202egnp.exe", "two\nlines"]) {
      const r = await asker.request("app.requestAccess", { name, atSigns: [ALICE], namespaces: ["notes"] });
      expect(r.error?.code, JSON.stringify(name)).to.equal(ErrorCode.InvalidParams);
    }
    expect((await d!.client.call(AppsList, {})).pending.filter((p) => p.origin === "http://escape.example")).to.deep.equal([]);
    const listed = await runCli(["apps", "list", "--socket", d!.socketPath]);
    expect(listed.stdout).to.not.match(/[^\P{Cc}\n]/u);
  });
});
