// Tells the daemon when the network changed, so workers reconnect and sync at once instead
// of waiting for a TCP timeout. Linux: netlink events through `ip -o monitor`. Elsewhere, or
// when `ip` is missing or dies: polling os.networkInterfaces().
import { spawn, type ChildProcess } from "node:child_process";
import { networkInterfaces, type NetworkInterfaceInfo } from "node:os";
import { createInterface } from "node:readline";
import type { Clock, Disposable, Logger } from "../ports.js";
import { Debouncer } from "./Debouncer.js";
import { parseIpMonitorLine } from "./ipMonitorLine.js";

export type MonitorMode = "ip-monitor" | "polling" | "stopped";

export interface NetworkMonitorOptions {
  clock: Clock;
  logger: Logger;
  /** Called once per debounced burst of changes; must not throw (a throw is logged). */
  onChange(): void;
  platform?: NodeJS.Platform;
  /** Quiet time before firing (default 1 s) and the longest a burst can delay it (default 5 s). */
  debounceMs?: number;
  maxWaitMs?: number;
  /** Polling period of the fallback (default 5 s). */
  pollMs?: number;
  /** The `ip` binary (default "ip", from PATH). */
  ipCommand?: string;
  /** Injectable for tests. */
  interfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
}

/** What reachability depends on: the non-internal, non-link-local addresses per interface. */
export function networkFingerprint(ifaces: NodeJS.Dict<NetworkInterfaceInfo[]>): string {
  const rows: string[] = [];
  for (const [name, infos] of Object.entries(ifaces)) {
    for (const i of infos ?? []) {
      if (i.internal || i.address.toLowerCase().startsWith("fe80:")) continue;
      rows.push(`${name} ${i.family} ${i.address}/${i.cidr ?? i.netmask}`);
    }
  }
  return rows.sort().join("\n");
}

export class NetworkMonitor {
  private child: ChildProcess | undefined;
  private childExited: Promise<void> | undefined;
  private pollTimer: Disposable | undefined;
  private lastFingerprint = "";
  private current: MonitorMode = "stopped";
  private readonly debouncer: Debouncer;
  private readonly log: Logger;
  private readonly getInterfaces: () => NodeJS.Dict<NetworkInterfaceInfo[]>;

  constructor(private readonly o: NetworkMonitorOptions) {
    this.log = o.logger.child({ component: "network" });
    this.getInterfaces = o.interfaces ?? networkInterfaces;
    this.debouncer = new Debouncer(o.clock, o.debounceMs ?? 1000, o.maxWaitMs ?? 5000, (pokes) => {
      this.log.info("network changed", { events: pokes });
      try {
        this.o.onChange();
      } catch (err) {
        this.log.error("network change handler threw", { error: err });
      }
    });
  }

  get mode(): MonitorMode {
    return this.current;
  }

  /** The `ip monitor` child's pid while it runs (for diagnostics and tests). */
  get ipMonitorPid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts watching; idempotent. */
  start(): void {
    if (this.current !== "stopped") return;
    if ((this.o.platform ?? process.platform) === "linux") this.startIpMonitor();
    else this.startPolling("not Linux");
  }

  /** Feeds one line of `ip monitor` output (the child's stdout goes through here). */
  handleLine(line: string): void {
    const change = parseIpMonitorLine(line);
    if (change !== null) {
      this.log.debug("netlink change", { ...change });
      this.debouncer.poke();
    }
  }

  private startIpMonitor(): void {
    this.current = "ip-monitor";
    const child = spawn(this.o.ipCommand ?? "ip", ["-o", "monitor", "address", "route", "link"], { stdio: ["ignore", "pipe", "ignore"] });
    this.child = child;
    this.childExited = new Promise((resolve) => child.once("close", () => resolve()));
    child.once("error", (err) => {
      // ENOENT: no `ip` here. 'close' follows, so childExited still settles.
      if (this.child !== child) return;
      this.child = undefined;
      this.startPolling(`cannot run ip monitor (${(err as NodeJS.ErrnoException).code ?? err.message})`);
    });
    child.once("exit", (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.startPolling(`ip monitor exited (${signal ?? `code ${code}`})`);
    });
    if (child.stdout) {
      const rl = createInterface({ input: child.stdout, crlfDelay: Infinity });
      rl.on("line", (line) => this.handleLine(line));
    }
  }

  private startPolling(why: string): void {
    this.current = "polling";
    this.log.info("watching the network by polling", { why });
    this.lastFingerprint = this.fingerprint();
    const tick = (): void => {
      if (this.current !== "polling") return;
      const fp = this.fingerprint();
      if (fp !== this.lastFingerprint) {
        this.lastFingerprint = fp;
        this.debouncer.poke();
      }
      this.pollTimer = this.o.clock.setTimer(this.o.pollMs ?? 5000, tick);
    };
    this.pollTimer = this.o.clock.setTimer(this.o.pollMs ?? 5000, tick);
  }

  private fingerprint(): string {
    try {
      return networkFingerprint(this.getInterfaces());
    } catch (err) {
      this.log.warn("cannot list network interfaces", { error: err });
      return this.lastFingerprint;
    }
  }

  /** Stops watching: kills `ip monitor` and waits for it to exit. Idempotent. */
  async stop(): Promise<void> {
    this.current = "stopped";
    this.pollTimer?.dispose();
    this.pollTimer = undefined;
    this.debouncer.dispose();
    const child = this.child;
    this.child = undefined;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await this.childExited;
  }
}
