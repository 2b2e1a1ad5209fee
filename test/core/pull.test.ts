import { expect } from "chai";
import { canTransition, IllegalTransitionError, transition } from "../../daemon/core/syncLoopState.js";
import { resolveConflict, sidesDiffer } from "../../daemon/core/conflict.js";
import { filterRegex, isPushable, KeyFilter } from "../../daemon/core/filter.js";
import {
  cursorAfterEmptyPage, parseStats15CommitIds, parseStats3, parseSyncPage, statsCommand, syncFromCommand,
} from "../../daemon/core/pull.js";
import { ackProbes, highestKnownCommitId, isResetByStats, MAX_PROBE_PAGES, nextProbes, PROBE_COUNT, probeCommand, probesHold, readProbes, valueDigest, windowCommand, windowOutcome } from "../../daemon/core/reset.js";
import type { RemoteEntry, ResetProbe } from "../../daemon/core/types.js";
import type { ConflictSide } from "../../daemon/core/types.js";

const A = "@alice🛠";

describe("core: pull", () => {
  it("builds sync:from and stats commands with the filter's regex", () => {
    expect(syncFromCommand(-1)).to.equal("sync:from:-1:limit:25");
    expect(syncFromCommand(41, "\\.(?:wavi)@")).to.equal("sync:from:41:limit:25:\\.(?:wavi)@");
    expect(statsCommand(3)).to.equal("stats:3");
    expect(statsCommand(15, "x")).to.equal("stats:15:x");
  });

  it("parses a sync:from page with string metadata, deletes, and malformed entries that still advance", () => {
    const page = parseSyncPage(JSON.stringify([
      { atKey: `@bob🛠:phone.wavi${A}`, value: "c2lk", metadata: { ttl: "1000", isEncrypted: "true", updatedAt: "2026-11-22 10:47:49.209Z" }, commitId: 4, operation: "*" },
      { atKey: `x.wavi${A}`, value: null, metadata: null, commitId: 5, operation: "-" },
      { atKey: "", value: "?", commitId: 9, operation: "*" },
    ]));
    expect(page.maxCommitId).to.equal(9);
    expect(page.entries).to.have.length(2);
    expect(page.entries[0]!.metadata).to.deep.include({ ttl: 1000, isEncrypted: true, updatedAt: "2026-11-22 10:47:49.209Z" });
    expect(page.entries[1]).to.deep.equal({ atKey: `x.wavi${A}`, value: null, metadata: null, commitId: 5, operation: "-" });
    expect(parseSyncPage("[]").maxCommitId).to.equal(-Infinity);
    expect(() => parseSyncPage("{}")).to.throw();
  });

  it("parses stats:3 (with the space after data:) and stats:15", () => {
    expect(parseStats3(' [{"id":"3","name":"lastCommitID","value":"27"}]')).to.equal(27);
    expect(parseStats3('[{"id":"3","name":"lastCommitID","value":"null"}]')).to.equal(null);
    expect(parseStats15CommitIds('[{"id":"15","name":"x","value":{"a@x":[7,"*"],"b@x":[3,"-"]}}]')).to.deep.equal([3, 7]);
    expect(parseStats15CommitIds('[{"id":"15","name":"x","value":"{\\"a@x\\":[2,\\"+\\"]}"}]')).to.deep.equal([2]);
  });

  it("after an empty page, jumps past the next 25 entries the log holds (the server examined and skipped them), never past the target", () => {
    const ids = Array.from({ length: 100 }, (_, i) => i * 2);
    expect(cursorAfterEmptyPage(-1, ids, 198)).to.equal(48);
    expect(cursorAfterEmptyPage(48, ids, 198)).to.equal(98);
    expect(cursorAfterEmptyPage(190, ids, 198)).to.equal(198);
    expect(cursorAfterEmptyPage(10, [3, 40, 41, 90], 60)).to.equal(60);
    expect(cursorAfterEmptyPage(41, [3, 40, 41], 90)).to.equal(90);
  });

  it("a run of 250 skipped commit ids costs 10 empty pages, not 250 (hot loop)", () => {
    const ids = Array.from({ length: 250 }, (_, i) => i);
    let cursor = -1;
    let pages = 0;
    while (cursor < 249) {
      cursor = cursorAfterEmptyPage(cursor, ids, 249);
      pages++;
    }
    expect(pages).to.equal(10);
  });
});

describe("core: reset detection", () => {
  it("a server commit id below the last received one (or an empty log) is a reset", () => {
    expect(isResetByStats(5, 10)).to.equal(true);
    expect(isResetByStats(null, 0)).to.equal(true);
    expect(isResetByStats(10, 10)).to.equal(false);
    expect(isResetByStats(null, -1)).to.equal(false);
  });

  it("a head below one an earlier stats:3 of the log read is a reset, though no lower than the last received id (seed 184 of --keys 200)", () => {
    // A full first page ended at 25 while the head read 26; a restore to a backup at 25 reads 25.
    expect(isResetByStats(25, highestKnownCommitId(25, [], 26))).to.equal(true);
    expect(isResetByStats(26, highestKnownCommitId(25, [], 26))).to.equal(false);
    // No head read (a fresh store, or a filter change forgot it): the last received id decides.
    expect(isResetByStats(25, highestKnownCommitId(25, [], null))).to.equal(false);
  });

  it("the probes hold when one is still where we saw it and none is gone", () => {
    const upd = "2026-11-22 10:00:00.000Z";
    const p1 = { atKey: `k1.wavi${A}`, commitId: 7, operation: "*" as const, updatedAt: upd };
    const p2 = { atKey: `k2.wavi${A}`, commitId: 6, operation: "*" as const, updatedAt: upd };
    expect(probeCommand([p1, p2])).to.equal(`sync:from:5:limit:25:^(?:k1\\.wavi${A}|k2\\.wavi${A})$`);
    const at = (p: typeof p1, commitId = p.commitId, updatedAt = upd) => ({ atKey: p.atKey, commitId, operation: "*" as const, value: "v", metadata: { updatedAt } });
    expect(probesHold([p1, p2], [at(p2), at(p1)], 7)).to.equal(true);
    expect(probesHold([p1, p2], [at(p2), at(p1, 12)], 7)).to.equal(true);
    expect(probesHold([p1, p2], [at(p1)], 7)).to.equal(false);
    expect(probesHold([p1, p2], [], 7)).to.equal(false);
    expect(probesHold([p1], [at(p1, 7, "2026-11-22 11:00:00.000Z")], 7)).to.equal(false);
    expect(probesHold([p1], [at(p1, 8)], 9)).to.equal(false);
    const other = { ...at(p1), atKey: "public:publickey@x", commitId: 8 };
    // A full page without the probe cannot tell, and a reading that stops there never says it holds (rev8k).
    expect(probesHold([p1], Array.from({ length: 25 }, () => other), 7)).to.equal(false);
  });

  it("rev8k: a full probe page of always-included keys is followed from its highest id with the same regex until every probe is found or a page proves absence; unknown never reads as holds", () => {
    const upd = "2026-11-22 10:00:00.000Z";
    const p1 = { atKey: `k1.wavi${A}`, commitId: 7, operation: "*" as const, updatedAt: upd };
    const acked = { atKey: `mine.wavi${A}`, commitId: 8, operation: "*" as const, updatedAt: null, valueHash: valueDigest("acked") };
    const at = (atKey: string, commitId: number, value = "v") => ({ atKey, commitId, operation: "*" as const, value, metadata: { updatedAt: upd } });
    const page = (entries: ReturnType<typeof at>[]) => ({ entries, maxCommitId: Math.max(-Infinity, ...entries.map((e) => e.commitId)), size: entries.length });
    const publics = (first: number, n: number) => Array.from({ length: n }, (_, i) => at(`public:p${first + i}${A}`, first + i));
    // k1 intact, then 24 public keys: the page is full without our acknowledged push.
    const full = page([at(p1.atKey, 7), ...publics(10, 24)]);
    expect(readProbes([p1, acked], [full], 8)).to.deep.equal({ next: 33 });
    expect(probeCommand([p1, acked], 33)).to.equal(`sync:from:33:limit:25:^(?:k1\\.wavi${A}|mine\\.wavi${A})$`);
    // The next page is short without it: the log lost our push.
    expect(readProbes([p1, acked], [full, page(publics(34, 3))], 8)).to.deep.equal({ outcome: "gone" });
    // Or it is there, rewritten since: the log holds.
    expect(readProbes([p1, acked], [full, page([at(acked.atKey, 40, "later")])], 8)).to.deep.equal({ outcome: "holds" });
    // Full pages all the way: the reading stops at MAX_PROBE_PAGES and counts the unknown as gone.
    const fulls = Array.from({ length: MAX_PROBE_PAGES }, (_, i) => (i === 0 ? full : page(publics(100 + 25 * i, 25))));
    expect(readProbes([p1, acked], fulls, 8)).to.deep.equal({ outcome: "gone" });
  });

  it("a restored log that gave one of our ids to another key's write is gone, though a probe's key was rewritten after it", () => {
    const p = { atKey: `k3.wavi${A}`, commitId: 1, operation: "*" as const, updatedAt: null };
    const key0 = { atKey: "public:publickey@x", commitId: 0, operation: "*" as const, updatedAt: "2026-11-22 10:00:00.000Z" };
    expect(windowCommand([p, key0])).to.equal("sync:from:-1:limit:25");
    expect(windowCommand([p], "\\.wavi@")).to.equal("sync:from:0:limit:25:\\.wavi@");
    const entry = (atKey: string, commitId: number, updatedAt = "2026-11-22 10:00:00.000Z") => ({ atKey, commitId, operation: "*" as const, value: "v", metadata: { updatedAt } });
    // The new log: another device's k1 at id 1 (our last received id), our k3 pushed again at 2.
    const restored = [entry("public:publickey@x", 0), entry(`k1.wavi${A}`, 1), entry(p.atKey, 2)];
    // k1 holds the very id of probe k3: a log gives an id once, so the probes alone show it too.
    expect(probesHold([p, key0], restored, 1)).to.equal(false);
    expect(windowOutcome([p, key0], restored, 1)).to.equal("gone");
    // The log we pulled, with k3 rewritten and a new key after it: it holds.
    expect(windowOutcome([p, key0], [entry("public:publickey@x", 0), entry(p.atKey, 2), entry(`k1.wavi${A}`, 3)], 1)).to.equal("holds");
  });

  it("a probe's key back created anew (a later createdAt), with every id between held by other keys, is gone: no delete fits there, so the log lost the probe's version (the restore no device could see: o261, soak seed 61544)", () => {
    const t0 = "2026-11-22 12:00:00.000Z";
    const t20 = "2026-11-22 12:00:20.000Z";
    // d1 pulled another client's k105 at id 1 (created and updated at t0); pk at 0.
    const p = { atKey: `k105.wavi${A}`, commitId: 1, operation: "*" as const, updatedAt: t0 };
    const pk = { atKey: "public:publickey@x", commitId: 0, operation: "*" as const, updatedAt: t0 };
    const live = (atKey: string, commitId: number, createdAt: string, updatedAt: string) => ({ atKey, commitId, operation: "*" as const, value: "v", metadata: { createdAt, updatedAt } });
    const del = (atKey: string, commitId: number) => ({ atKey, commitId, operation: "-" as const, value: null, metadata: null });
    // Restored to a backup without it: another client's delete of k33 at 2, d0's older k105 pushed at 3, created then.
    expect(windowOutcome([p, pk], [live(pk.atKey, 0, t0, t0), del(`k33.wavi${A}`, 2), live(p.atKey, 3, t20, t20)], 1)).to.equal("gone");
    // The same log rewritten in place keeps k105's createdAt: it holds.
    expect(windowOutcome([p, pk], [live(pk.atKey, 0, t0, t0), del(`k33.wavi${A}`, 2), live(p.atKey, 3, t0, t20)], 1)).to.equal("holds");
    // Deleted and written again on the same log: the delete's id (2) was left empty, so it proves nothing.
    expect(windowOutcome([p, pk], [live(pk.atKey, 0, t0, t0), del(`k33.wavi${A}`, 3), live(p.atKey, 4, t20, t20)], 1)).to.equal("holds");
    // No createdAt from the server: nothing to tell.
    expect(windowOutcome([p, pk], [live(pk.atKey, 0, t0, t0), del(`k33.wavi${A}`, 2), { ...live(p.atKey, 3, t20, t20), metadata: { updatedAt: t20 } }], 1)).to.equal("holds");
  });

  it("a log that gave a probe's own commit id to another key is gone, though the probe is above the last received id and its key was rewritten since", () => {
    const upd = "2026-11-22 10:00:00.000Z";
    // k0 was pulled at id 1 past the run's target (last received id 0).
    const p = { atKey: `k0.wavi${A}`, commitId: 1, operation: "*" as const, updatedAt: upd };
    const key0 = { atKey: "public:publickey@x", commitId: 0, operation: "*" as const, updatedAt: upd };
    const entry = (atKey: string, commitId: number) => ({ atKey, commitId, operation: "*" as const, value: "v", metadata: { updatedAt: upd } });
    // The new log: another key at id 1, k0 written again at 2 (stamped no earlier than ours).
    expect(windowOutcome([p, key0], [entry("public:publickey@x", 0), entry(`k3.wavi${A}`, 1), entry(p.atKey, 2)], 0)).to.equal("gone");
    // The log we pulled, k0 rewritten at 2 after another key at 3: it holds.
    expect(windowOutcome([p, key0], [entry("public:publickey@x", 0), entry(p.atKey, 2), entry(`k3.wavi${A}`, 3)], 0)).to.equal("holds");
  });

  it("a batch's acknowledgements as probes (consecutive ids above the last received id, keys sent in another case) hold against their echoes, rewritten or not, and the ids they left behind", () => {
    const upd = "2026-11-22 10:00:00.000Z";
    const pulled = { atKey: `k0.wavi${A}`, commitId: 3, operation: "*" as const, updatedAt: upd };
    const acks = [4, 5, 6].map((commitId, i) => ({ atKey: `Mine${i}.wavi${A}`, commitId, operation: "*" as const, value: `m${i}` }));
    const probes = ackProbes([pulled], acks);
    const entry = (atKey: string, commitId: number, value: string) => ({ atKey, commitId, operation: "*" as const, value, metadata: { updatedAt: upd } });
    const echoes = [entry(pulled.atKey, 3, "v"), ...acks.map((a) => entry(a.atKey.toLowerCase(), a.commitId, a.value))];
    expect(windowOutcome(probes, echoes, 3)).to.equal("holds");
    // Another device rewrote two of them since: their ids are empty, the keys sit higher up.
    const later = [echoes[0]!, echoes[1]!, entry(`mine1.wavi${A}`, 7, "x"), entry(`mine2.wavi${A}`, 8, "y")];
    expect(windowOutcome(probes, later, 3)).to.equal("holds");
  });

  describe("a restored log that lost our acknowledged push, with more than a page written since", () => {
    const entry = (atKey: string, commitId: number) => ({ atKey, commitId, operation: "*" as const, value: "v", metadata: { updatedAt: "2026-11-22 10:00:00.000Z" } });
    const key0 = { atKey: "public:publickey@x", commitId: 0, operation: "*" as const, updatedAt: "2026-11-22 10:00:00.000Z" };
    const acked = { atKey: `k152.wavi${A}`, commitId: 3, operation: "*" as const, updatedAt: null, valueHash: "0" };
    /** The window from -1: the identity's key, then 24 entries of other keys from `first` on. */
    const window = (first: number) => [entry(key0.atKey, 0), ...Array.from({ length: 24 }, (_, i) => entry(`o${i}.wavi${A}`, first + i))];

    it("another key's entry at the commit id of our acknowledged push is another log, though the ack is above the last received id", () => {
      expect(windowOutcome([acked, key0], window(3), 0)).to.equal("gone");
      expect(probesHold([acked, key0], window(3), 0)).to.equal(false);
    });

    it("a full window page without a probe's key cannot tell: the probes' own keys are asked (a restore that lost our push hides behind a page of newer writes)", () => {
      // Id 3 itself left the window (its key rewritten later): 25 entries of other keys, none at 3.
      expect(windowOutcome([acked, key0], window(4), 0)).to.equal("unseen");
      // The same page short of full shows the key missing.
      expect(windowOutcome([acked, key0], window(4).slice(0, 20), 0)).to.equal("gone");
    });
  });

  it("a rewrite of a probe's key stamped before the probe's version (or before our acknowledged push went out) is another log", () => {
    const entry = (commitId: number, updatedAt: string) => ({ atKey: `k.wavi${A}`, commitId, operation: "*" as const, value: "o", metadata: { updatedAt } });
    const pulled = { atKey: `k.wavi${A}`, commitId: 5, operation: "*" as const, updatedAt: "2026-11-22 12:00:00.000Z" };
    expect(probesHold([pulled, { ...pulled, atKey: "public:publickey@x", commitId: 1 }], [{ ...entry(1, "2026-11-22 12:00:00.000Z"), atKey: "public:publickey@x" }, entry(7, "2026-11-22 11:59:59.000Z")], 5)).to.equal(false);
    const acked = { atKey: `k.wavi${A}`, commitId: 5, operation: "*" as const, updatedAt: null, notBeforeMs: Date.parse("2026-11-22T12:01:00.000Z") };
    const other = { atKey: "public:publickey@x", commitId: 1, operation: "*" as const, updatedAt: "2026-11-22 12:00:00.000Z" };
    const key0 = { ...entry(1, "2026-11-22 12:00:00.000Z"), atKey: other.atKey };
    // A restored backup's write of the key at a higher id, stamped a minute before our push.
    expect(probesHold([acked, other], [key0, entry(7, "2026-11-22 12:00:00.000Z")], 4)).to.equal(false);
    // Another client's write after our push: it holds.
    expect(probesHold([acked, other], [key0, entry(7, "2026-11-22 12:01:00.500Z")], 4)).to.equal(true);
  });

  it("a reset is not missed when the probe key was written again after it (every probe rewritten proves nothing)", () => {
    const p = { atKey: `k9.wavi${A}`, commitId: 9, operation: "*" as const, updatedAt: "2026-11-22 10:00:00.000Z" };
    const rewritten = { atKey: p.atKey, commitId: 11, operation: "*" as const, value: "v", metadata: { updatedAt: "2026-11-22 12:00:00.000Z" } };
    expect(probesHold([p], [rewritten], 9)).to.equal(false);
  });
});

describe("core: filter, conflicts and connection state", () => {
  it("turns namespaces into the server regex, keeps always-included keys, and keeps local keys out of the outbox", () => {
    expect(filterRegex({ namespaces: ["wavi", "a.b"] })).to.equal("\\.(?:wavi|a\\.b)@");
    expect(filterRegex({})).to.equal(undefined);
    const f = new KeyFilter({ namespaces: ["wavi"] });
    expect(f.matches(`@bob🛠:phone.wavi${A}`)).to.equal(true);
    expect(f.matches(`phone.buzz${A}`)).to.equal(false);
    expect(f.matches(`public:publickey${A}`)).to.equal(true);
    expect(f.matches(`@bob🛠:shared_key${A}`)).to.equal(true);
    expect(isPushable(`local:x.wavi${A}`, "*")).to.equal(false);
    expect(isPushable(`privatekey:at_secret${A}`, "*")).to.equal(false);
    expect(isPushable(`cached:public:publickey@bob`, "*")).to.equal(false);
    expect(isPushable(`cached:public:publickey@bob`, "-")).to.equal(true);
    expect(isPushable(`phone.wavi${A}`, "*")).to.equal(true);
  });

  it("resolves conflicts by policy; last-writer-wins by time, ties and unknown remote times to local", () => {
    const local: ConflictSide = { op: "*", value: "l", metadata: {}, timeMs: 100 };
    const remote: ConflictSide = { op: "*", value: "r", metadata: {}, timeMs: 200 };
    expect(resolveConflict("local-wins", local, remote)).to.equal("local");
    expect(resolveConflict("remote-wins", local, remote)).to.equal("remote");
    expect(resolveConflict("last-writer-wins", local, remote)).to.equal("remote");
    expect(resolveConflict("last-writer-wins", { ...local, timeMs: 300 }, remote)).to.equal("local");
    expect(resolveConflict("last-writer-wins", { ...local, timeMs: 200 }, remote)).to.equal("local");
    expect(resolveConflict("last-writer-wins", local, { ...remote, timeMs: null })).to.equal("local");
    expect(sidesDiffer(local, { ...local, metadata: { updatedAt: "x" } })).to.equal(false);
    expect(sidesDiffer(local, { ...local, metadata: { ttl: 5 } })).to.equal(true);
    expect(sidesDiffer(local, { ...local, metadata: { isBinary: false, isEncrypted: false, ttl: 0, version: 3 } })).to.equal(false);
    expect(sidesDiffer({ ...local, metadata: { isEncrypted: true } }, { ...local, metadata: { isEncrypted: false } })).to.equal(true);
    expect(sidesDiffer({ ...local, op: "-" }, { ...remote, op: "-" })).to.equal(false);
  });

  it("transition() refuses illegal moves and reports how long the previous state lasted", () => {
    const start = { state: { kind: "stopped" as const }, enteredAtMs: 1000 };
    const { next, change } = transition(start, { kind: "starting", attempt: 1 }, 1500);
    expect(change).to.deep.include({ from: "stopped", to: "starting", durationMs: 500 });
    expect(() => transition(next, { kind: "starting", attempt: 2 }, 1600)).to.throw(IllegalTransitionError);
    expect(() => transition(start, { kind: "ready", sinceMs: 0 }, 0)).to.throw(IllegalTransitionError);
    expect(canTransition("backoff", "starting")).to.equal(true);
    expect(canTransition("needs-attention", "ready")).to.equal(false);
  });
});

describe("core: reset probes after a batch of entries", () => {
  it("are what the entries give one by one, however many the batch holds and in whatever order (only the top keys get a digest)", () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let round = 0; round < 40; round++) {
      const n = 1 + rand(120);
      const entries: RemoteEntry[] = Array.from({ length: n }, (_, i) => {
        const op = rand(5) === 0 ? ("-" as const) : ("*" as const);
        return {
          atKey: `K${rand(30)}.wavi${A}`, commitId: 100 + i * (1 + rand(3)), operation: op,
          value: op === "-" ? null : `v${rand(1000)}`, metadata: op === "-" ? null : { updatedAt: "2026-11-22 10:47:49.209Z" },
        };
      });
      if (round % 2 === 1) entries.reverse();
      const current: ResetProbe[] = round % 3 === 0 ? [] : nextProbes([], [{ atKey: `K${rand(30)}.wavi${A}`, commitId: 150, operation: "*", value: "old", metadata: null }]);
      let oneByOne = current;
      for (const e of entries) oneByOne = nextProbes(oneByOne, [e]);
      const all = nextProbes(current, entries);
      expect(all, `round ${round}`).to.deep.equal(oneByOne);
      expect(all.length).to.be.at.most(PROBE_COUNT);
    }
  });
});
