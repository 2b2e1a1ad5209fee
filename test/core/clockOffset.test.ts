import { expect } from "chai";
import { ClockOffset, OFFSET_WINDOW_MS } from "../../daemon/core/clockOffset.js";

describe("core: the atServer's clock offset, from bounds", () => {
  it("scenario: a statsNotification delivered a minute late does not make local writes look a minute older", () => {
    const o = new ClockOffset();
    // Stamped at server time 10, received at our 60,010 (same clocks): a lower bound of -60 s.
    o.atMost(10, 60_010);
    expect(o.ms).to.equal(0);
  });

  it("a timely notification from a server ahead of us moves the estimate up to it", () => {
    const o = new ClockOffset();
    o.atMost(101_500, 100_000);
    o.atMost(103_495, 102_000);
    expect(o.ms).to.equal(1_500);
  });

  it("a server behind us is learnt from our own push's echo (stamped after we sent it)", () => {
    const o = new ClockOffset();
    o.atMost(97_990, 100_000);
    o.atLeast(98_050, 100_020);
    expect(o.ms).to.equal(-1_970);
  });

  it("bounds age out, so a clock step is followed", () => {
    const o = new ClockOffset();
    o.atMost(102_000, 100_000);
    expect(o.ms).to.equal(2_000);
    o.atMost(100_000 + OFFSET_WINDOW_MS + 10, 100_000 + OFFSET_WINDOW_MS + 10);
    expect(o.ms).to.equal(0);
  });

  it("crossed bounds within the window: the newest one wins", () => {
    const o = new ClockOffset();
    o.atMost(105_000, 100_000);
    o.atLeast(101_000, 101_000);
    expect(o.ms).to.equal(0);
    o.atMost(106_000, 102_000);
    expect(o.ms).to.equal(4_000);
  });
});
