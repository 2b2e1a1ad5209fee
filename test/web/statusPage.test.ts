// The status page's HTTP side on a real HTTP server: the sign-in (a session handed to the page,
// never a cookie), what is served, the headers on every answer, and the files it is made of.
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { join } from "node:path";
import { PROTOCOL_VERSION } from "../../shared/protocol.js";
import { LOGIN_TTL_MS, PageSessions } from "../../daemon/web/PageSessions.js";
import { StatusPage, webDir } from "../../daemon/web/StatusPage.js";
import { FakeClock } from "../remote/support/FakeClock.js";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe("web: StatusPage over HTTP", function () {
  const clock = new FakeClock();
  const sessions = new PageSessions(clock);
  const page = StatusPage.load(sessions);
  let server: Server;
  let port = 0;

  const send = (path: string, o: { method?: string } = {}): Promise<Answer> => new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: o.method ?? "GET" }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once("error", reject);
    req.end();
  });
  const sessionIn = (body: string): string => /<meta name="atsyncd-session" content="([^"]*)">/u.exec(body)?.[1] ?? "";

  before(async function () {
    server = createServer((req, res) => page.handle(req, res, `127.0.0.1:${port}`));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });
  after(function () {
    server.close();
  });

  it("scenario: a live login token gives the page a session in its answer, never a cookie (cookies go to every port of 127.0.0.1)", async function () {
    const r = await send(`/login?token=${sessions.issueLogin().token}`);
    expect(r.status).to.equal(200);
    expect(r.headers["set-cookie"]).to.equal(undefined);
    const session = sessionIn(r.body);
    expect(session).to.match(/^[\w-]{43}$/u);
    expect(sessions.isSession(session)).to.equal(true);
    // Its script keeps the session in the origin's storage and replaces the address with /.
    expect(r.body).to.include("<script type=\"module\" src=\"/login.js\"></script>");
    expect(readFileSync(join(webDir(), "login.js"), "utf8")).to.include("location.replace(\"/\")");
    const home = await send("/");
    expect(home.status).to.equal(200);
    expect(home.body).to.include(`<meta name="atsyncd-protocol" content="${PROTOCOL_VERSION}">`);
  });

  it("a spent, expired or made-up token is refused (403) with the note that says what to do; the page itself holds no data", async function () {
    // The page's files go to anyone: it shows its own note until its socket is let in.
    expect((await send("/")).status).to.equal(200);
    expect((await send("/index.html")).body).to.include("atsyncd web --open");
    const token = sessions.issueLogin().token;
    expect((await send(`/login?token=${token}`)).status).to.equal(200);
    const spent = await send(`/login?token=${token}`);
    expect(spent.status).to.equal(403);
    expect(sessionIn(spent.body)).to.equal("");
    expect(spent.body).to.include("atsyncd web");
    const late = sessions.issueLogin().token;
    clock.advance(LOGIN_TTL_MS);
    expect((await send(`/login?token=${late}`)).status).to.equal(403);
    expect((await send("/login")).status).to.equal(403);
  });

  it("serves its files to anyone, nothing else, GET and HEAD only, every answer with the strict headers", async function () {
    const js = await send("/app.js");
    expect([js.status, js.headers["content-type"]]).to.deep.equal([200, "text/javascript; charset=utf-8"]);
    expect((await send("/style.css")).headers["content-type"]).to.equal("text/css; charset=utf-8");
    for (const path of ["/signin.html", "/login.html", "/nope.js", "/../package.json", "/%2e%2e/package.json", "/web/app.js"]) {
      expect((await send(path)).status, path).to.equal(404);
    }
    const post = await send("/", { method: "POST" });
    expect([post.status, post.headers.allow]).to.deep.equal([405, "GET, HEAD"]);
    const head = await send("/app.js", { method: "HEAD" });
    expect([head.status, head.body]).to.deep.equal([200, ""]);
    for (const r of [js, post, head, await send("/"), await send("/login?token=x")]) {
      expect(r.headers["content-security-policy"]).to.equal(
        `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src ws://127.0.0.1:${port}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
      expect(r.headers).to.include({ "x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "no-referrer", "cache-control": "no-store" });
    }
  });

  it("is small and keeps to its CSP: no inline script or style in its HTML, no HTML built from strings in its scripts", function () {
    expect(page.sizeBytes).to.be.below(64 * 1024);
    const dir = webDir();
    for (const f of readdirSync(dir)) {
      const text = readFileSync(join(dir, f), "utf8");
      if (f.endsWith(".html")) {
        expect(text, f).to.not.match(/<script(?![^>]*\bsrc=)/u);
        expect(text, f).to.not.match(/\sstyle=|\son\w+=/u);
      }
      if (f.endsWith(".js")) expect(text, f).to.not.match(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/u);
    }
  });
});
