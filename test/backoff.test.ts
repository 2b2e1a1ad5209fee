import { expect } from "chai";
import { Backoff } from "../daemon/backoff.js";

describe("Backoff", function () {
  it("doubles from baseMs up to maxMs without jitter", function () {
    const b = new Backoff({ baseMs: 100, maxMs: 1000, jitter: 0 });
    expect(b.attempt).to.equal(0);
    const delays = Array.from({ length: 7 }, () => b.next());
    expect(delays).to.deep.equal([100, 200, 400, 800, 1000, 1000, 1000]);
    expect(b.attempt).to.equal(7);
  });

  it("spreads each delay within ±jitter and never above maxMs", function () {
    const low = new Backoff({ baseMs: 1000, maxMs: 8000, jitter: 0.2, random: () => 0 });
    const high = new Backoff({ baseMs: 1000, maxMs: 8000, jitter: 0.2, random: () => 0.999999 });
    expect([low.next(), low.next(), low.next(), low.next(), low.next()]).to.deep.equal([800, 1600, 3200, 6400, 6400]);
    expect([high.next(), high.next(), high.next(), high.next(), high.next()]).to.deep.equal([1200, 2400, 4800, 8000, 8000]);
  });

  it("uses Math.random by default and stays in bounds", function () {
    const b = new Backoff({ baseMs: 1000, maxMs: 60_000 });
    for (let i = 0; i < 200; i++) {
      const nominal = Math.min(60_000, 1000 * 2 ** Math.min(i, 52));
      const d = b.next();
      expect(d).to.be.at.least(Math.floor(nominal * 0.8)).and.at.most(Math.min(60_000, Math.ceil(nominal * 1.2)));
    }
  });

  it("reset starts over", function () {
    const b = new Backoff({ baseMs: 50, maxMs: 5000, jitter: 0 });
    b.next();
    b.next();
    b.reset();
    expect(b.attempt).to.equal(0);
    expect(b.next()).to.equal(50);
  });

  it("refuses nonsense bounds", function () {
    expect(() => new Backoff({ baseMs: 0 })).to.throw(RangeError);
    expect(() => new Backoff({ baseMs: 100, maxMs: 50 })).to.throw(RangeError);
  });
});
