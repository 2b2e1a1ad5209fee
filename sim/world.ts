// One simulated world: the SimServer, 1-3 devices and the history of every write, driven one
// step at a time. Between steps the engine runs until it waits on a request or a timer (a
// bounded number of event-loop turns). heal() ends the faults and lets everything settle.
import type { Disposable } from "../daemon/ports.js";
import { WorkLog } from "./work.js";
import { SimDevice, type DeviceEvent } from "./device.js";
import { History, type Origin } from "./history.js";
import { SimClock } from "./SimClock.js";
import { SimServer, type ServerSideWrite } from "./SimServer.js";
import { ABSENT, serverState, type KeyState } from "./state.js";
import { DeviceViews, type LogNow } from "./views.js";
import { metaToStrings } from "../atserver/store/StoredMeta.js";
import { ATSIGN, formatStep, type Setup, type Step, type WorldView } from "./trace.js";

/** Event-loop turns without progress before the engine counts as waiting. */
const QUIET_TURNS = 2;
const MAX_TURNS = 60;
/** Timers one advance may fire before it counts as a timer storm. */
const MAX_TIMERS_PER_ADVANCE = 5_000;
/** Heal: rounds, requests per settle, and the clock step (past the 5 min cap of retry backoff). */
export const HEAL_ROUNDS = 8;
const HEAL_DELIVERIES = 3_000;
const HEAL_ADVANCE_MS = 6 * 60_000;

export class World implements WorldView {
  readonly clock = new SimClock();
  readonly server: SimServer;
  readonly devices: SimDevice[] = [];
  readonly history = new History();
  /** What each device was told of the log, and the resets its first check could not show. */
  readonly views: DeviceViews;
  readonly work: WorkLog;
  private readonly backupList: Array<{ buf: Buffer; lineage: ReturnType<History["backup"]> }> = [];
  private activity = 0;
  private step = -1;
  private rr = 0;
  /** Each device's horizon: the server's tick at the last reply it received. */
  private readonly heard: number[];
  /** Faults injected, by kind (for the soak's figures). */
  readonly faults: Record<string, number> = {};
  private readonly disposables: Disposable[] = [];
  /** SIM_DEBUG=1: every step and every command the server runs, on stderr. */
  readonly debug = process.env["SIM_DEBUG"] ? (line: string): void => void process.stderr.write(`${line}\n`) : undefined;

  constructor(readonly setup: Setup, dir: string) {
    this.server = new SimServer({
      atSign: ATSIGN,
      clock: this.clock,
      expiryIntervalMs: 30_000,
      onServerWrite: (w) => this.serverWrote(w),
    });
    this.work = new WorkLog(setup.devices);
    this.heard = Array.from({ length: setup.devices }, () => -1);
    this.views = new DeviceViews(setup.devices);
    for (let d = 0; d < setup.devices; d++) {
      this.devices.push(
        new SimDevice({
          index: d,
          dir,
          atSign: ATSIGN,
          clock: this.clock,
          skewMs: setup.skews[d] ?? 0,
          server: this.server,
          policy: setup.policy,
          onEvent: (e) => this.deviceEvent(d, e),
          onActivity: () => void this.activity++,
          hooks: {
            requested: () => {
              this.activity++;
              this.work.request(d, this.server.store.lastCommitId() ?? -1);
            },
            applied: (command, reply, fault) => {
              this.history.applied(d, command, (k) => this.serverStateOf(k), this.heard[d]!, this.clock.now(), (k) => this.commitIdOf(k));
              this.debug?.(`  d${d} ${fault === "ok" ? "" : `[${fault}] `}${command.slice(0, 160)}  ->  ${reply.slice(0, Number(process.env["SIM_DEBUG_REPLY"] ?? 200))}`);
            },
            replied: (command, reply) => {
              this.heard[d] = this.history.tick;
              this.views.replied(d, command, reply, this.logNow());
            },
          },
        }),
      );
    }
  }

  get backups(): number {
    return this.backupList.length;
  }

  deliverable(d: number): boolean {
    const dev = this.devices[d];
    return dev !== undefined && dev.alive && dev.conn.deliverable;
  }

  queuedNotifications(d: number): number {
    return this.devices[d]?.queuedNotifications ?? 0;
  }

  private count(fault: string): void {
    this.faults[fault] = (this.faults[fault] ?? 0) + 1;
  }

  private serverWrote(w: ServerSideWrite): void {
    const origin: Origin = { kind: w.origin };
    this.history.record(this.step, this.clock.now(), w.key, origin, w.stored ? serverState(w.stored.value, w.stored.meta) : ABSENT, w.commitId);
  }

  /** The id of the key's entry in the server's commit log now, or null. */
  private commitIdOf(key: string): number | null {
    return this.server.store.commitLog().findLast((e) => e.key === key)?.id ?? null;
  }

  /** The server's log and keys now, for `DeviceViews`. */
  private logNow(): LogNow {
    const store = this.server.store;
    return {
      head: store.lastCommitId(),
      log: store.commitLog(),
      current: (key) => {
        const k = store.get(key);
        const meta = k ? metaToStrings(k.meta) : null;
        return k && meta ? { value: k.value, updatedAt: meta["updatedAt"] ?? null, createdAt: meta["createdAt"] ?? null } : null;
      },
    };
  }

  serverStateOf(key: string): KeyState {
    const k = this.server.store.get(key);
    return k ? serverState(k.value, k.meta) : ABSENT;
  }

  private deviceEvent(d: number, e: DeviceEvent): void {
    if (e.type === "run-started") this.work.runStarted(d, this.devices[d]!.pendingKeys(), this.server.store.lastCommitId() ?? -1);
    else if (e.type === "run-ended") this.work.runEnded(d, this.server.store.lastCommitId() ?? -1);
    else if (e.type === "conflict") this.history.saw(e.key, e.remote);
    else if (e.type === "delete-sent") this.history.deleteInDoubt(d, e.key);
    else {
      const s = this.devices[d]!.stateOf(e.key);
      if (s) this.history.saw(e.key, s);
    }
  }

  /**
   * The server restarted (a restore or a wipe): every session drops, and what each monitor had
   * not yet handed over dies with its connection.
   */
  private serverRestarted(): void {
    for (const x of this.devices) {
      if (!x.alive) continue;
      x.conn.dropWire();
      x.deliverNotifications(false);
    }
  }

  /**
   * A crashed device back: what its store holds it has applied, even where the crash came
   * between the store's commit and the event that would have told the history.
   */
  private restart(dev: SimDevice): void {
    dev.restart();
    for (const [key, state] of dev.contents()) this.history.saw(key, state);
    // A pulled delete too: its tombstone was committed before the crash struck (seed 395 of --keys 120).
    for (const t of dev.pulledTombstones([...this.history.keys()])) this.history.sawTombstone(t.key, t.commitId);
  }

  private deviceWrote(d: number, key: string, state: KeyState | null, metaOnly = false): void {
    if (state === null) return;
    const w = this.history.record(this.step, this.clock.now(), key, { kind: "device", d }, state);
    if (metaOnly) w.metaOnly = true;
    this.work.localWrite(d);
  }

  /** Runs one step, then lets the engine run until it waits. */
  async exec(step: Step, index: number): Promise<void> {
    this.step = index;
    this.debug?.(`#${index} ${formatStep(step)}`);
    for (const dev of this.devices) if (!dev.alive) this.restart(dev);
    const dev = "d" in step ? this.devices[step.d] : undefined;
    switch (step.k) {
      case "put":
        this.deviceWrote(step.d, step.key, dev!.put(step.key, step.value, step.ttl !== undefined ? { ttl: step.ttl } : undefined));
        break;
      case "del":
        this.deviceWrote(step.d, step.key, dev!.delete(step.key));
        break;
      case "meta":
        this.deviceWrote(step.d, step.key, dev!.putMeta(step.key, { ttl: step.ttl }), true);
        break;
      case "many": {
        const states = dev!.putMany(step.items);
        step.items.forEach((it, i) => this.deviceWrote(step.d, it.key, states[i] ?? null));
        break;
      }
      case "other":
        await this.otherClient(step);
        break;
      case "deliver":
        if (this.deliverable(step.d)) {
          if (step.fault !== "ok") this.count(step.fault);
          await dev!.conn.deliver(step.fault);
        }
        break;
      case "notify":
        if (step.lose) this.count("notifications-lost");
        dev!.deliverNotifications(!step.lose);
        break;
      case "advance":
        await this.advance(step.ms);
        break;
      case "crash":
        dev!.armCrash(step.after);
        break;
      case "backup":
        this.backupList.push({ buf: this.server.snapshot(), lineage: this.history.backup() });
        break;
      case "restore": {
        const b = this.backupList[step.i % Math.max(1, this.backupList.length)];
        if (!b) break;
        this.count("restore");
        this.history.restore(b.lineage);
        this.views.reset();
        this.server.restore(b.buf);
        this.serverRestarted();
        break;
      }
      case "wipe":
        this.count("wipe");
        this.history.wipe();
        this.views.reset();
        this.server.wipe();
        // An atServer's data is wiped by an operator with the server down (the real one has no
        // reset verb): every session ends, as on a restore.
        this.serverRestarted();
        break;
      case "sync":
        void dev!.syncNow();
        break;
    }
    await this.flush();
    this.noteTombstones();
  }

  /**
   * A delete pulled from the server leaves a tombstone and no event when the device never held
   * the key live: the history learns of it here, after every step.
   */
  private noteTombstones(): void {
    const keys = [...this.history.keys()];
    for (const dev of this.devices) for (const t of dev.pulledTombstones(keys)) this.history.sawTombstone(t.key, t.commitId);
  }

  private async otherClient(step: Extract<Step, { k: "other" }>): Promise<void> {
    const cmd =
      step.op === "del" ? `delete:${step.key}`
      : step.op === "meta" ? `update:meta:${step.key}:ttl:${step.ttl ?? 0}`
      : `update${step.ttl !== undefined ? `:ttl:${step.ttl}` : ""}:${step.key} ${step.value ?? ""}`;
    const reply = await this.server.other(cmd);
    if (!reply.startsWith("data:")) return;
    const commitId = Number(reply.slice("data:".length));
    this.history.record(this.step, this.clock.now(), step.key, { kind: "other" }, step.op === "del" ? ABSENT : this.serverStateOf(step.key), Number.isInteger(commitId) ? commitId : null);
  }

  /** Lets the engine run: event-loop turns until a few in a row show no store call and no request. */
  async flush(): Promise<void> {
    let quiet = 0;
    for (let i = 0; i < MAX_TURNS && quiet < QUIET_TURNS; i++) {
      const before = this.activity;
      await new Promise<void>((r) => setImmediate(r));
      quiet = this.activity === before ? quiet + 1 : 0;
    }
  }

  /** Moves the clock, firing each due timer and letting the engine run after each. */
  async advance(ms: number, settle = false): Promise<void> {
    const end = this.clock.now() + ms;
    for (let fired = 0; this.clock.fireNext(end); fired++) {
      if (fired >= MAX_TIMERS_PER_ADVANCE) {
        this.work.storm(`more than ${MAX_TIMERS_PER_ADVANCE} timers fired within ${ms} ms of sim time`);
        break;
      }
      await this.flush();
      if (settle) await this.settle();
    }
    this.clock.moveTo(end);
    await this.flush();
  }

  /**
   * Without faults: answers every request and hands over every notification until nothing is on
   * the wire; a request that hangs waits for its timeout. False when it had to give up.
   */
  async settle(max = HEAL_DELIVERIES): Promise<boolean> {
    for (let n = 0; n < max; n++) {
      for (const dev of this.devices) if (!dev.alive) this.restart(dev);
      const count = this.devices.length;
      const next = Array.from({ length: count }, (_, i) => this.devices[(this.rr + i) % count]!).find((x) => x.conn.deliverable);
      if (next) {
        this.rr = (this.devices.indexOf(next) + 1) % count;
        await next.conn.deliver("ok");
        await this.flush();
        continue;
      }
      const heard = this.devices.find((x) => x.queuedNotifications > 0);
      if (heard) {
        heard.deliverNotifications();
        await this.flush();
        continue;
      }
      if (!this.devices.some((x) => x.conn.waiting > 0)) return true;
      // Only a hanging request is left: its timeout is a timer.
      const at = this.clock.nextAt();
      if (at === null) return true;
      this.clock.fireNext(at);
      await this.flush();
    }
    return false;
  }

  /** What must stay unchanged through a round for the world to count as settled. */
  private signature(): string {
    const s = this.server.store;
    return JSON.stringify([s.lastCommitId(), s.commitLog().length, this.devices.map((d) => [d.pendingCount(), d.contents().size])]);
  }

  /**
   * The faults end: no crash is armed, crashed devices restart, and rounds of syncNow() on
   * every device, answered without faults, alternate with the clock moving past every retry
   * backoff, until a round changes nothing. Returns the rounds it took, or null when it did not settle.
   */
  async heal(): Promise<number | null> {
    this.step = Number.MAX_SAFE_INTEGER;
    this.debug?.("-- heal");
    for (const dev of this.devices) {
      dev.armCrash(null);
      if (!dev.alive) this.restart(dev);
    }
    for (let round = 1; round <= HEAL_ROUNDS; round++) {
      const before = this.signature();
      let ok = await this.syncAll();
      await this.advance(HEAL_ADVANCE_MS, true);
      ok = (await this.settle()) && ok;
      ok = (await this.syncAll()) && ok;
      if (ok && round > 1 && this.signature() === before && this.devices.every((d) => d.pendingCount() === 0)) return round;
    }
    return null;
  }

  /** syncNow() on every device, answered; true when every run succeeded. */
  async syncAll(): Promise<boolean> {
    // A run still unsettled once nothing is on the wire counts as failed (never awaited: it may never end).
    const results: Array<boolean | null> = this.devices.map(() => null);
    this.devices.forEach((d, i) => void d.syncNow().then((ok) => (results[i] = ok)));
    const settled = await this.settle();
    await this.flush();
    return settled && results.every((r) => r === true);
  }

  /** Faults injected, crashes that happened included. */
  faultCounts(): Record<string, number> {
    const crashed = this.devices.reduce((n, d) => n + d.crashes, 0);
    return crashed > 0 ? { ...this.faults, crash: crashed } : { ...this.faults };
  }

  async close(): Promise<void> {
    for (const d of this.disposables) d.dispose();
    for (const dev of this.devices) await dev.close().catch(() => undefined);
    this.server.close();
  }
}
