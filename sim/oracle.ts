// The oracle: what must hold once the faults have healed (sim/README.md states each rule).
import type { DeviceConflict } from "./device.js";
import { originName, type Write } from "./history.js";
import { ABSENT, sameState, showState, type KeyState } from "./state.js";
import { deleteAgainAtPulledId, restoreUnseenReplaced } from "./views.js";
import { HEAL_ROUNDS, type World } from "./world.js";

export type Invariant = "lost-write" | "resurrected" | "lww-order" | "diverged" | "status" | "work";

export const INVARIANT_TITLES: Readonly<Record<Invariant, string>> = {
  "lost-write": "1. an acknowledged write was lost",
  resurrected: "2. a deleted key came back",
  "lww-order": "1. last-writer-wins kept an older write",
  diverged: "3. devices and server disagree",
  status: "4. status does not tell the truth",
  work: "5. bounded work exceeded",
};

export interface Violation {
  invariant: Invariant;
  message: string;
}

function describe(w: Write): string {
  return `${originName(w.origin)} at step ${w.step === Number.MAX_SAFE_INTEGER ? "heal" : `#${w.step}`} wrote ${showState(w.state)}`;
}

/** The server's state of every key it holds. */
function serverContents(world: World): Map<string, KeyState> {
  const out = new Map<string, KeyState>();
  for (const { key } of world.server.store.allKeys()) out.set(key, world.serverStateOf(key));
  return out;
}

/**
 * Rule 1/2 for one key: the final server state is the latest binding write's, or that write lost
 * with a conflict recorded for it, to a state an earlier write produced; under last-writer-wins a
 * write later by more than the clocks' skew may not lose at all.
 */
function checkKey(world: World, key: string, server: KeyState, conflicts: readonly DeviceConflict[], margin: number): Violation[] {
  const binding = world.history.binding(key);
  // An update:meta writes metadata, not the value its device happened to hold: when that value is
  // stale (the write before it in the history is of another value) and the server holds another,
  // the value is judged by the writes before it.
  const metaAfter: Write[] = [];
  while (binding.length > 1) {
    const last = binding[binding.length - 1]!;
    if (last.metaOnly !== true || sameValue(last.state, server) || sameValue(last.state, binding[binding.length - 2]!.state)) break;
    metaAfter.push(binding.pop()!);
  }
  const latest = binding[binding.length - 1];
  if (!latest) {
    return server.present ? [{ invariant: "lost-write", message: `${key}: the server holds ${showState(server)} though no write made it` }] : [];
  }
  if (sameState(server, latest.state)) return [];
  // A write with a ttl ends by itself: once the ttl has passed since it was written, absence is its state.
  if (!server.present && expiredBy(latest.state, latest.atMs, world.clock.now())) return [];
  const all = world.history.writes.filter((w) => w.key === key && w.id < latest.id);
  // An expiry ends the version it expired; it is no write of its own: a state written after that
  // version (which replaced it, so it never expired) may stand over it.
  if (latest.origin.kind === "expiry") {
    const expired = [...all].reverse().find((w) => ttlOf(w.state) > 0);
    const winner = [...all].reverse().find((w) => sameState(w.state, server));
    if (expired && winner && winner.id > expired.id) return [];
  }
  // A later update:meta of a stale value, merged by the server onto this write's value: the value
  // stands, its metadata is the later write's.
  if (world.history.laterMetaMergedOnto(latest, metaAfter, server)) return [];
  // An update:meta that landed on a value it had not seen: what the server made of it stands.
  if (world.history.mergedBlind(latest, server) || world.history.metaMergedBlindOnto(latest, server)) return [];
  // The server's state is a write's, or a write's value with the metadata of an update:meta that
  // a device sent onto it (the server merges one onto whatever value it holds): then that value's write.
  const source = [...all].reverse().find((w) => sameState(w.state, server)) ?? world.history.metaMergedSource(all, server);
  const out: Violation[] = [];
  if (!source && server.present) {
    out.push({ invariant: "lost-write", message: `${key}: the server holds ${showState(server)}, which no write of it produced; the last write: ${describe(latest)}` });
    return out;
  }
  // Overwritten by a device that could not have heard of it: no engine can see that race.
  if (world.history.overwroteBlind(latest, server) || world.history.replayedOwnDelete(latest)) return [];
  // A restore of a pulled version that no device told of it could see, then another device's older change.
  if (restoreUnseenReplaced(world.history, world.views, latest, source)) return [];
  // Another client's delete after a restore, at the very id of the delete a device had pulled, then that device's older change.
  if (deleteAgainAtPulledId(world.history, world.views, latest, source)) return [];
  // The loser may be met with an update:meta merged onto it since (same value, other metadata).
  // A conflict met after those update:meta writes records their state (the value with their metadata).
  const recorded = conflicts.some((c) => c.key === key && (sameState(c.loser, latest.state) || world.history.mergedLoser(latest, c.loser) || metaAfter.some((m) => sameState(c.loser, m.state))));
  const what = source ? describe(source) : "the key's absence before any write";
  if (!recorded) {
    out.push({
      invariant: latest.state.present ? "lost-write" : "resurrected",
      message: `${key}: the last write (${describe(latest)}) lost to an earlier state (${what}) and no device recorded a conflict for it; the server holds ${showState(server)}`,
    });
  }
  // Another device's version is known by when it reached the server (the wire carries that time,
  // not when it was written: README "Conflicts and restores"), but not by an arrival that
  // overwrote the last write where the server held it: the engine that pushed it could see both.
  const sourceAt = source ? world.history.arrivalMs(source, latest) : Number.NEGATIVE_INFINITY;
  // A delete carries no time on the wire: the engine dates it by the entries and notifications
  // around it, and where they do not bound it the delete wins (never undone by a guess). So a
  // delete may beat a later write; a later delete may not lose.
  // So too when the last write lost, with a conflict recorded, to a delete and the state that won
  // is a write that followed that delete on the server: the delete's win is that same limit, and
  // what replaced it on the log is an ordinary later version to every engine (seed 722 of --keys 60).
  const lostToDelete = source !== undefined && conflicts.some((c) => c.key === key && !c.kept.present && sameState(c.loser, latest.state))
    && world.history.writes.some((x) => x.key === key && !x.state.present && x.id < source.id && x.origin.kind !== "device");
  const undatable = source !== undefined && (!source.state.present || lostToDelete);
  // A delete that the winning device may have sent itself (its reply lost) is not known to be
  // later than its change, unless the log dates it: recorded as a conflict, it may lose.
  const ownDeleteInDoubt = recorded && !latest.state.present && source !== undefined && world.history.deleteInDoubtBefore(source);
  if (world.setup.policy === "last-writer-wins" && !undatable && !ownDeleteInDoubt && latest.atMs - sourceAt > margin) {
    out.push({
      invariant: "lww-order",
      message: `${key}: under last-writer-wins the last write (${describe(latest)}, ${latest.atMs - sourceAt} ms later, clocks within ${margin} ms) lost to ${what}`,
    });
  }
  return out;
}

/** Both absent, or both present with the same value (metadata aside). */
function sameValue(a: KeyState, b: KeyState): boolean {
  return a.present && b.present ? a.value === b.value : a.present === b.present;
}

/** A present state's ttl in ms (0 for none or an absent state). */
function ttlOf(state: KeyState): number {
  if (!state.present) return 0;
  const ttl = /(?:^|,)ttl:(\d+)/u.exec(state.meta);
  return ttl === null ? 0 : Number(ttl[1]);
}

function expiredBy(state: KeyState, writtenAtMs: number, nowMs: number): boolean {
  const ttl = ttlOf(state);
  return ttl > 0 && nowMs >= writtenAtMs + ttl;
}

function skewMargin(world: World): number {
  const skews = [0, ...world.setup.skews];
  return Math.max(...skews) - Math.min(...skews);
}

export function checkWorld(world: World, healRounds: number | null): Violation[] {
  const out: Violation[] = [];
  const server = serverContents(world);
  const devices = world.devices.map((d) => ({ name: d.name, dev: d, contents: d.contents() }));
  const conflicts = world.devices.flatMap((d) => d.conflicts());
  const keys = new Set([...world.history.keys(), ...server.keys(), ...devices.flatMap((d) => [...d.contents.keys()])]);
  const margin = skewMargin(world);
  for (const key of [...keys].sort()) out.push(...checkKey(world, key, server.get(key) ?? ABSENT, conflicts, margin));
  for (const { name, dev, contents } of devices) {
    const diffs: string[] = [];
    for (const key of [...keys].sort()) {
      const mine = contents.get(key) ?? ABSENT;
      const theirs = server.get(key) ?? ABSENT;
      if (!sameState(mine, theirs)) diffs.push(`${key}: device ${showState(mine)}, server ${showState(theirs)}`);
    }
    if (diffs.length > 0) out.push({ invariant: "diverged", message: `${name} differs from the server: ${diffs.join("; ")}` });
    const pending = dev.pendingCount();
    const rejected = dev.rejectedCount();
    const truth = diffs.length === 0 && pending === 0 && rejected === 0;
    const claim = dev.claim();
    if (claim.inSync !== truth) {
      out.push({
        invariant: "status",
        message: `${name}: status ${claim.inSync ? "says in sync" : "says not in sync"} (state ${claim.state}, pendingUploads ${claim.pendingUploads}, rejectedUploads ${claim.rejectedUploads}, lastReceivedCommitId ${claim.lastReceivedCommitId}, serverCommitId ${claim.serverCommitId}) but it ${truth ? "is" : `is not (${diffs.length} keys differ, ${pending} pending, ${rejected} rejected changes)`}`,
      });
    }
    if (claim.rejectedUploads !== rejected) {
      out.push({ invariant: "status", message: `${name}: status counts ${claim.rejectedUploads} rejected uploads, the store holds ${rejected}` });
    }
  }
  if (healRounds === null) out.push({ invariant: "work", message: `the world did not settle within ${HEAL_ROUNDS} heal rounds` });
  for (const p of world.work.problems) out.push({ invariant: "work", message: p });
  return out;
}

/** The probe key of the bounded-work checks (outside the workload's keys). */
const PROBE_KEY = "probe.sim@alice";
/** Round trips one local change may cost: the writer, and each other device that pulls it. */
export const WRITER_ROUND_TRIPS = 8;
export const READER_ROUND_TRIPS = 6;
const IDLE_NOTIFICATIONS = 5;

/**
 * Rule 5 on a settled world: statsNotifications that carry no news start no sync run, and one
 * local change costs at most WRITER_ROUND_TRIPS round trips on its device and READER_ROUND_TRIPS
 * on each other device.
 */
export async function probeWork(world: World): Promise<Violation[]> {
  const out: Violation[] = [];
  const runs = [...world.work.runs];
  for (let i = 0; i < IDLE_NOTIFICATIONS; i++) world.server.announce();
  await world.settle();
  world.devices.forEach((d, i) => {
    const started = world.work.runs[i]! - runs[i]!;
    if (started > 0) out.push({ invariant: "work", message: `${d.name}: ${IDLE_NOTIFICATIONS} statsNotifications with no news started ${started} sync run(s); the bound is 0` });
  });
  const requests = [...world.work.requests];
  const writer = world.devices[0];
  if (!writer || writer.put(PROBE_KEY, "probe") === null) return out;
  await world.settle();
  world.devices.forEach((d, i) => {
    const used = world.work.requests[i]! - requests[i]!;
    const bound = i === 0 ? WRITER_ROUND_TRIPS : READER_ROUND_TRIPS;
    if (used > bound) out.push({ invariant: "work", message: `${d.name}: one local change on d0 cost ${used} round trips here; the bound is ${bound}` });
  });
  return out;
}
