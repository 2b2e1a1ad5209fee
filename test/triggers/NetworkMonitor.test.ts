import { expect } from "chai";
import { spawnSync } from "node:child_process";
import type { NetworkInterfaceInfo } from "node:os";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { nullLogger } from "../../daemon/adapters/nullLogger.js";
import { Debouncer } from "../../daemon/triggers/Debouncer.js";
import { NetworkMonitor, networkFingerprint } from "../../daemon/triggers/NetworkMonitor.js";
import { FakeClock } from "../remote/support/FakeClock.js";

const iface = (address: string, over: Partial<NetworkInterfaceInfo> = {}): NetworkInterfaceInfo =>
  ({ address, netmask: "255.255.255.0", family: "IPv4", mac: "02:00:00:00:00:01", internal: false, cidr: `${address}/24`, ...over }) as NetworkInterfaceInfo;

async function until(what: string, pred: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("Debouncer", function () {
  it("fires once after a burst goes quiet, counting the pokes", function () {
    const clock = new FakeClock();
    const fired: number[] = [];
    const d = new Debouncer(clock, 1000, 5000, (n) => fired.push(n));
    d.poke();
    clock.advance(500);
    d.poke();
    d.poke();
    clock.advance(999);
    expect(fired).to.deep.equal([]);
    clock.advance(1);
    expect(fired).to.deep.equal([3]);
    clock.advance(10_000);
    expect(fired).to.deep.equal([3]);
  });

  it("does not let an endless burst delay it past maxWait, and dispose cancels", function () {
    const clock = new FakeClock();
    const fired: number[] = [];
    const d = new Debouncer(clock, 1000, 3000, (n) => fired.push(n));
    for (let i = 0; i < 10; i++) {
      d.poke();
      clock.advance(500);
    }
    // Pokes every 500 ms from 0: the sixth (2500 ms) is the last before the cap fires at 3000 ms.
    expect(fired).to.deep.equal([6]);
    d.poke();
    d.dispose();
    clock.advance(10_000);
    expect(fired).to.deep.equal([6]);
  });
});

describe("NetworkMonitor", function () {
  const monitors: NetworkMonitor[] = [];
  afterEach(async function () {
    await Promise.all(monitors.splice(0).map((m) => m.stop()));
  });

  it("turns a burst of relevant ip-monitor lines into one change, ignoring noise", function () {
    const clock = new FakeClock();
    let changes = 0;
    const m = new NetworkMonitor({ clock, logger: nullLogger, onChange: () => changes++, debounceMs: 1000 });
    m.handleLine("1: lo    inet 127.0.0.1/8 scope host lo");
    m.handleLine("fe80::/64 dev eth0 proto kernel metric 256 pref medium");
    clock.advance(5000);
    expect(changes).to.equal(0);
    m.handleLine("4: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP");
    m.handleLine("4: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0");
    m.handleLine("default via 192.0.2.1 dev eth0 proto dhcp metric 100");
    clock.advance(1000);
    expect(changes).to.equal(1);
  });

  it("polls the interfaces when not on Linux and reports a changed address", async function () {
    const clock = new FakeClock();
    let ifs: NodeJS.Dict<NetworkInterfaceInfo[]> = { en0: [iface("192.0.2.2")], lo0: [iface("127.0.0.1", { internal: true })] };
    let changes = 0;
    const m = new NetworkMonitor({ clock, logger: nullLogger, onChange: () => changes++, platform: "darwin", pollMs: 5000, debounceMs: 100, interfaces: () => ifs });
    monitors.push(m);
    m.start();
    expect(m.mode).to.equal("polling");
    clock.advance(20_000);
    expect(changes).to.equal(0);
    ifs = { en0: [iface("198.51.100.7")], lo0: [iface("127.0.0.1", { internal: true })] };
    clock.advance(5100);
    expect(changes).to.equal(1);
    await m.stop();
    expect(clock.pendingTimers).to.equal(0);
  });

  it("fingerprints only addresses that matter", function () {
    const a = networkFingerprint({ en0: [iface("192.0.2.2"), iface("fe80::1", { family: "IPv6" })], lo: [iface("127.0.0.1", { internal: true })] });
    expect(a).to.equal("en0 IPv4 192.0.2.2/192.0.2.2/24");
    expect(networkFingerprint({ en0: [iface("192.0.2.2")] })).to.equal(a);
  });

  it("falls back to polling when the ip command is missing", async function () {
    const m = new NetworkMonitor({ clock: new SystemClock(), logger: nullLogger, onChange: () => undefined, platform: "linux", ipCommand: "/nonexistent/ip" });
    monitors.push(m);
    m.start();
    await until("polling mode", () => m.mode === "polling");
    expect(m.ipMonitorPid).to.equal(undefined);
  });

  it("runs the real `ip monitor` child and stops it cleanly", async function () {
    if (process.platform !== "linux" || spawnSync("ip", ["-V"]).status !== 0) {
      process.stdout.write("      (skipped: the `ip` command is not available)\n");
      this.skip();
    }
    const m = new NetworkMonitor({ clock: new SystemClock(), logger: nullLogger, onChange: () => undefined });
    monitors.push(m);
    m.start();
    expect(m.mode).to.equal("ip-monitor");
    const pid = m.ipMonitorPid as number;
    expect(pid).to.be.a("number");
    expect(pidAlive(pid)).to.equal(true);
    await m.stop();
    expect(m.mode).to.equal("stopped");
    expect(pidAlive(pid)).to.equal(false);
  });
});
