// A simulation run is a setup (drawn from the seed) and a list of steps. Steps are recorded as
// they are generated, so a run can be replayed without its PRNG, and shrunk by dropping steps:
// every step means something in any state (a delivery with nothing on the wire does nothing).
import type { ConflictPolicy } from "../daemon/core/types.js";
import { Prng } from "./prng.js";
import type { Fault } from "./SimConnection.js";

export const ATSIGN = "@alice";

export type Profile = "calm" | "faulty" | "stormy";

export interface Setup {
  seed: number;
  devices: number;
  steps: number;
  policy: ConflictPolicy;
  keys: readonly string[];
  /** Each device's clock minus sim time, in ms. */
  skews: readonly number[];
  profile: Profile;
}

export type Step =
  | { k: "put"; d: number; key: string; value: string; ttl?: number }
  | { k: "del"; d: number; key: string }
  | { k: "meta"; d: number; key: string; ttl: number }
  | { k: "many"; d: number; items: ReadonlyArray<{ key: string; value: string | null }> }
  | { k: "other"; op: "put" | "del" | "meta"; key: string; value?: string; ttl?: number }
  | { k: "deliver"; d: number; fault: Fault }
  | { k: "notify"; d: number; lose: boolean }
  | { k: "advance"; ms: number }
  | { k: "crash"; d: number; after: number }
  | { k: "backup" }
  | { k: "restore"; i: number }
  | { k: "wipe" }
  | { k: "sync"; d: number };

const POLICIES: readonly ConflictPolicy[] = ["local-wins", "remote-wins", "last-writer-wins"];

/**
 * The setup a seed gives. `devices`, `steps` and `keys` override the drawn values without changing
 * the draws (`keys` past 25 makes the log outgrow one sync:from page, so pulls run several).
 */
export function makeSetup(seed: number, opts: { devices?: number; steps?: number; keys?: number } = {}): Setup {
  const rng = new Prng(seed);
  const devices = opts.devices ?? rng.int(1, 3);
  if (opts.devices !== undefined) rng.int(1, 3);
  const policy = rng.pick(POLICIES);
  const drawnKeys = rng.int(2, 6);
  const keyCount = opts.keys ?? drawnKeys;
  const keys = Array.from({ length: keyCount }, (_, i) => `k${i}.sim${ATSIGN}`);
  const skewed = rng.chance(0.5);
  const skews = Array.from({ length: 3 }, () => (skewed ? rng.int(-2000, 2000) : 0)).slice(0, devices);
  const profile = rng.weighted<Profile>({ calm: 15, faulty: 50, stormy: 35 });
  return { seed, devices, steps: opts.steps ?? 80, policy, keys, skews, profile };
}

/** What the generator may look at: the world as a scheduler sees it. */
export interface WorldView {
  deliverable(d: number): boolean;
  queuedNotifications(d: number): number;
  backups: number;
}

const FAULTS: Readonly<Record<Profile, Readonly<Record<Fault, number>>>> = {
  calm: { ok: 1, drop: 0, lost: 0, hang: 0 },
  faulty: { ok: 83, drop: 8, lost: 6, hang: 3 },
  stormy: { ok: 70, drop: 15, lost: 10, hang: 5 },
};

const DISASTERS: Readonly<Record<Profile, number>> = { calm: 0, faulty: 1, stormy: 2 };

/** Draws the next step from the PRNG, given what is happening. */
export function nextStep(rng: Prng, setup: Setup, view: WorldView, index: number): Step {
  const devices = Array.from({ length: setup.devices }, (_, d) => d);
  const busy = devices.filter((d) => view.deliverable(d));
  const heard = devices.filter((d) => view.queuedNotifications(d) > 0);
  const x = DISASTERS[setup.profile];
  const kind = rng.weighted({
    deliver: busy.length > 0 ? 40 : 0,
    write: 18,
    other: 6,
    advance: 8,
    notify: heard.length > 0 ? 8 : 0,
    sync: 4,
    crash: 2 * x,
    backup: 1.5 * x,
    restore: view.backups > 0 ? 1 * x : 0,
    wipe: 0.4 * x,
  });
  const d = rng.pick(devices);
  const key = rng.pick(setup.keys);
  switch (kind) {
    case "deliver":
      return { k: "deliver", d: rng.pick(busy), fault: rng.weighted(FAULTS[setup.profile]) };
    case "write":
      return writeStep(rng, setup, d, key, index);
    case "other": {
      const op = rng.weighted({ put: 75, del: 20, meta: 5 });
      if (op === "del") return { k: "other", op, key };
      if (op === "meta") return { k: "other", op, key, ttl: rng.pick([0, 30_000]) };
      return { k: "other", op, key, value: `o${index}`, ...(rng.chance(0.2) ? { ttl: rng.pick([5_000, 20_000, 60_000]) } : {}) };
    }
    case "advance":
      return { k: "advance", ms: rng.pick([10, 200, 1_000, 5_000, 20_000, 60_000]) };
    case "notify":
      return { k: "notify", d: rng.pick(heard), lose: setup.profile !== "calm" && rng.chance(0.1) };
    case "sync":
      return { k: "sync", d };
    case "crash":
      return { k: "crash", d, after: rng.int(1, 12) };
    case "backup":
      return { k: "backup" };
    case "restore":
      return { k: "restore", i: rng.int(0, view.backups - 1) };
    case "wipe":
      return { k: "wipe" };
  }
}

function writeStep(rng: Prng, setup: Setup, d: number, key: string, index: number): Step {
  const op = rng.weighted({ put: 60, del: 22, meta: 8, many: 10 });
  if (op === "del") return { k: "del", d, key };
  if (op === "meta") return { k: "meta", d, key, ttl: rng.pick([0, 30_000]) };
  if (op === "many") {
    const items = [rng.pick(setup.keys), rng.pick(setup.keys)].map((k, j) => ({ key: k, value: rng.chance(0.3) ? null : `v${index}.${j}` }));
    return { k: "many", d, items };
  }
  // A few values the wire cannot carry in one line: the engine must not acknowledge a write it cannot push.
  const value = setup.profile !== "calm" && rng.chance(0.01) ? `v${index}\rx` : `v${index}`;
  return { k: "put", d, key, value, ...(rng.chance(0.2) ? { ttl: rng.pick([5_000, 20_000, 60_000]) } : {}) };
}

function short(key: string): string {
  return key.replace(`.sim${ATSIGN}`, "");
}

/** One step, as a line of a trace. */
export function formatStep(s: Step): string {
  const ttl = (t: number | undefined): string => (t === undefined ? "" : ` ttl=${t}`);
  switch (s.k) {
    case "put":
      return `d${s.d} put ${short(s.key)}=${JSON.stringify(s.value)}${ttl(s.ttl)}`;
    case "del":
      return `d${s.d} delete ${short(s.key)}`;
    case "meta":
      return `d${s.d} putMeta ${short(s.key)} ttl=${s.ttl}`;
    case "many":
      return `d${s.d} putMany ${s.items.map((i) => `${short(i.key)}=${i.value === null ? "(delete)" : JSON.stringify(i.value)}`).join(" ")}`;
    case "other":
      return `other client ${s.op === "put" ? `update ${short(s.key)}=${JSON.stringify(s.value)}${ttl(s.ttl)}` : s.op === "del" ? `delete ${short(s.key)}` : `update:meta ${short(s.key)}${ttl(s.ttl)}`}`;
    case "deliver":
      return `d${s.d} request ${s.fault === "ok" ? "answered" : s.fault === "drop" ? "dropped before the server" : s.fault === "lost" ? "applied, reply lost" : "applied, reply never comes"}`;
    case "notify":
      return `d${s.d} notifications ${s.lose ? "lost (monitor reconnect)" : "delivered"}`;
    case "advance":
      return `clock +${s.ms} ms`;
    case "crash":
      return `d${s.d} crashes after ${s.after} more store transaction(s)`;
    case "backup":
      return "server backup taken";
    case "restore":
      return `server restored from backup #${s.i} (modulo the backups taken)`;
    case "wipe":
      return "server wiped (identity kept)";
    case "sync":
      return `d${s.d} syncNow()`;
  }
}
