import { expect } from "chai";
import { EventEmitter } from "node:events";
import { nullLogger } from "../../daemon/adapters/nullLogger.js";
import { onShutdownSignal, type ShutdownSignal, type SignalSource } from "../../daemon/supervisor/onShutdownSignal.js";

class FakeProcess extends EventEmitter implements SignalSource {
  exits: number[] = [];
  exit(code: number): void {
    this.exits.push(code);
  }
}

async function until(pred: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setImmediate(r));
  }
}

describe("onShutdownSignal", function () {
  it("runs the shutdown once on SIGTERM, then exits 0", async function () {
    const proc = new FakeProcess();
    const seen: ShutdownSignal[] = [];
    let finish = (): void => undefined;
    const d = onShutdownSignal((s) => {
      seen.push(s);
      return new Promise<void>((r) => (finish = r));
    }, nullLogger, proc);
    proc.emit("SIGTERM");
    expect(seen).to.deep.equal(["SIGTERM"]);
    expect(proc.exits).to.deep.equal([]);
    finish();
    await until(() => proc.exits.length === 1);
    expect(proc.exits).to.deep.equal([0]);
    d.dispose();
    expect(proc.listenerCount("SIGTERM") + proc.listenerCount("SIGINT")).to.equal(0);
  });

  it("exits at once with 128+signo on a second signal, and 1 when shutdown fails", async function () {
    const proc = new FakeProcess();
    onShutdownSignal(() => new Promise<void>(() => undefined), nullLogger, proc);
    proc.emit("SIGINT");
    proc.emit("SIGINT");
    expect(proc.exits).to.deep.equal([130]);
    const p2 = new FakeProcess();
    onShutdownSignal(() => Promise.reject(new Error("store did not close")), nullLogger, p2);
    p2.emit("SIGTERM");
    await until(() => p2.exits.length === 1);
    expect(p2.exits).to.deep.equal([1]);
  });
});
