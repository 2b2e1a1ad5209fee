// The status page's one-time login tokens and sessions: spent once, dead when expired, bounded.
import { expect } from "chai";
import { LOGIN_TTL_MS, PageSessions, SESSION_TTL_MS } from "../../daemon/web/PageSessions.js";
import { FakeClock } from "../remote/support/FakeClock.js";

describe("web: PageSessions", function () {
  it("a login token opens one session, once", function () {
    const s = new PageSessions(new FakeClock());
    const login = s.issueLogin();
    expect(login.token).to.match(/^[\w-]{43}$/u);
    const session = s.exchange(login.token);
    expect(session).to.not.equal(undefined);
    expect(s.isSession(session?.token)).to.equal(true);
    expect(s.exchange(login.token)).to.equal(undefined);
    // A login token is not a session, nor a session a login token.
    expect(s.isSession(login.token)).to.equal(false);
    expect(s.exchange(session?.token ?? "")).to.equal(undefined);
    expect(s.isSession(undefined)).to.equal(false);
    expect(s.isSession("")).to.equal(false);
  });

  it("a login token expires after LOGIN_TTL_MS, and is spent by a late try too", function () {
    const clock = new FakeClock();
    const s = new PageSessions(clock);
    const late = s.issueLogin();
    const onTime = s.issueLogin();
    clock.advance(LOGIN_TTL_MS - 1);
    expect(s.exchange(onTime.token)).to.not.equal(undefined);
    clock.advance(1);
    expect(s.exchange(late.token)).to.equal(undefined);
  });

  it("a session ends after SESSION_TTL_MS", function () {
    const clock = new FakeClock();
    const s = new PageSessions(clock);
    const session = s.exchange(s.issueLogin().token)?.token;
    clock.advance(SESSION_TTL_MS - 1);
    expect(s.isSession(session)).to.equal(true);
    clock.advance(1);
    expect(s.isSession(session)).to.equal(false);
  });

  it("keeps at most 16 login tokens and 32 sessions, dropping the oldest", function () {
    const s = new PageSessions(new FakeClock());
    const logins = Array.from({ length: 17 }, () => s.issueLogin());
    expect(s.exchange(logins[0]!.token)).to.equal(undefined);
    const sessions = logins.slice(1).map((l) => s.exchange(l.token)?.token);
    expect(sessions.every((x) => x !== undefined)).to.equal(true);
    for (let i = 0; i < 17; i++) s.exchange(s.issueLogin().token);
    expect(s.isSession(sessions[0])).to.equal(false);
    expect(s.isSession(sessions[15])).to.equal(true);
  });
});
