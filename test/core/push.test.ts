import { expect } from "chai";
import { batchErrorOutcomes, interpretBatchReply, retryDelayMs, RETRY_MAX_MS } from "../../daemon/core/batchReply.js";
import { KeyFilter } from "../../daemon/core/filter.js";
import { batchCommand, coalesceKey, markSentOps, planPush, toBatches, type PushCommand } from "../../daemon/core/pushPlan.js";
import type { ChangeRecord, KeyRecord, OutboxId, PendingChange } from "../../daemon/core/types.js";

const A = "@alice🛠";
/** What every update states for the fields the key does not have (the server would keep old ones). */
const UNSET = ":ttl:0:ttb:0:ttr:0:dataSignature:null:sharedKeyStatus:null:sharedKeyEnc:null:pubKeyCS:null:encoding:null"
  + ":encKeyName:null:encAlgo:null:ivNonce:null:skeEncKeyName:null:skeEncAlgo:null";
let nextId = 1;

function change(atKey: string, op: ChangeRecord["op"], extra: Partial<ChangeRecord> = {}): ChangeRecord {
  return {
    id: nextId++ as OutboxId, atKey, op, createdAtMs: 0, state: "pending", commitId: null,
    attempts: 0, nextRetryAtMs: 0, lastError: null, ...extra,
  };
}

function rec(atKey: string, value: string, metadata: KeyRecord["metadata"] = {}): KeyRecord {
  return { atKey, value, metadata, commitId: null, updatedAtMs: 0 };
}

describe("core: push planning", () => {
  it("coalesces repeated updates of one key into one update with the latest state", () => {
    const k = `phone.wavi${A}`;
    const rows = [change(k, "*"), change(k, "*"), change(k, "#")];
    const cmds = coalesceKey(rows, rec(k, "v3", { ttl: 1000, isEncrypted: true }));
    const unset = UNSET.replace(":ttl:0", ":ttl:1000").replace(":sharedKeyStatus:null", ":sharedKeyStatus:null:isEncrypted:true");
    expect(cmds.map((c) => c.command)).to.deep.equal([`update${unset}:${k} v3`]);
    expect(cmds[0]!.changeIds).to.deep.equal(rows.map((r) => r.id));
  });

  it("update then delete sends one delete; delete then re-create sends delete then update", () => {
    const k = `@bob🛠:x.wavi${A}`;
    const gone = coalesceKey([change(k, "*"), change(k, "-")], undefined);
    expect(gone.map((c) => c.command)).to.deep.equal([`delete:${k}`]);
    const rows = [change(k, "*"), change(k, "-"), change(k, "*")];
    const again = coalesceKey(rows, rec(k, "new"));
    expect(again.map((c) => c.command)).to.deep.equal([`delete:${k}`, `update${UNSET}:${k} new`]);
    expect(again.map((c) => c.changeIds)).to.deep.equal([[rows[0]!.id, rows[1]!.id], [rows[2]!.id]]);
  });

  it("meta-only changes become one update:meta", () => {
    const k = `public:phone.wavi${A}`;
    const cmds = coalesceKey([change(k, "#"), change(k, "#")], rec(k, "v", { ttr: 5, dataSignature: "c2ln" }));
    expect(cmds.map((c) => c.command)).to.deep.equal([`update:meta:${k}:ttr:5:dataSignature:c2ln`]);
  });

  it("plans every pending change whatever its position, skipping keys backing off, filtered out, or not pending", () => {
    const now = 10_000;
    const rows = [
      change(`old.wavi${A}`, "*"),
      change(`x.buzz${A}`, "*"),
      change(`wait.wavi${A}`, "*", { attempts: 1, nextRetryAtMs: now + 1 }),
      change(`done.wavi${A}`, "*", { state: "committed" }),
      change(`due.wavi${A}`, "*", { attempts: 2, nextRetryAtMs: now }),
    ];
    const plan = planPush(rows, (k) => rec(k, "v"), { filter: new KeyFilter({ namespaces: ["wavi"] }), nowMs: now });
    expect(plan.commands.map((c) => c.atKey)).to.deep.equal([`old.wavi${A}`, `due.wavi${A}`]);
    expect(plan.commands.map((c) => c.retried)).to.deep.equal([false, true]);
  });

  it("a new write makes a key due even while an older row of it backs off", () => {
    const k = `k.wavi${A}`;
    const plan = planPush([change(k, "*", { attempts: 3, nextRetryAtMs: 99_999 }), change(k, "*")], (x) => rec(x, "v"), {
      filter: new KeyFilter(undefined), nowMs: 0,
    });
    expect(plan.commands).to.have.length(1);
  });

  it("records metadata the wire cannot carry as invalid instead of throwing", () => {
    const k = `k.wavi${A}`;
    const plan = planPush([change(k, "*")], (x) => rec(x, "v", { encoding: "has space" }), { filter: new KeyFilter(undefined), nowMs: 0 });
    expect(plan.commands).to.deep.equal([]);
    expect(plan.invalid.map((o) => [o.kind, o.kind === "committed" ? null : o.code])).to.deep.equal([["rejected", "AT0022"]]);
  });

  it("builds batch commands with ids 1..n and ~NL~ for newlines, and sends retried commands alone", () => {
    const mk = (atKey: string, command: string, retried = false): PushCommand => ({ atKey, command, changeIds: [], retried });
    const cmds = [mk("a", "update:a@x line1\nline2"), mk("b", "delete:b@x"), mk("c", "delete:c@x", true), mk("d", "delete:d@x")];
    const batches = toBatches(cmds, { maxItems: 2 });
    expect(batches.map((b) => b.map((c) => c.atKey))).to.deep.equal([["c"], ["a", "b"], ["d"]]);
    expect(batchCommand(batches[1]!)).to.equal('batch:[{"id":1,"command":"update:a@x line1~NL~line2"},{"id":2,"command":"delete:b@x"}]');
  });
});

describe("core: batch reply", () => {
  const cmd = (atKey: string): PushCommand => ({ atKey, command: `delete:${atKey}`, changeIds: [nextId++ as OutboxId], retried: false });

  it("reads commit ids, transient and permanent errors, and counts items left out as transient", () => {
    const batch = [cmd("a"), cmd("b"), cmd("c"), cmd("d"), cmd("e")];
    const reply = JSON.stringify([
      { id: 1, response: { data: "21" } },
      { id: 2, response: { error_code: "AT0016", error_message: "Invalid atKey" } },
      { id: 3, response: { error_code: "AT0024", error_message: "Server is paused" } },
      { id: 5, response: { data: "-1" } },
    ]);
    const out = interpretBatchReply(batch, reply);
    expect(out.map((o) => o.kind)).to.deep.equal(["committed", "rejected", "retry", "retry", "committed"]);
    expect(out[0]).to.include({ commitId: 21 });
    expect(out[1]).to.include({ code: "AT0016", error: "Invalid atKey" });
    expect(out[3]).to.include({ code: "ATSYNC_MISSING_ITEM" });
    expect(out[4]).to.include({ commitId: null });
  });

  it("an unreadable reply retries everything", () => {
    expect(interpretBatchReply([cmd("a")], "not json").map((o) => o.kind)).to.deep.equal(["retry"]);
  });

  it("a whole-batch error rejects only an item that travelled alone", () => {
    expect(batchErrorOutcomes([cmd("a"), cmd("b")], "AT0003", "Invalid syntax").map((o) => o.kind)).to.deep.equal(["retry", "retry"]);
    expect(batchErrorOutcomes([cmd("a")], "AT0003", "Invalid syntax").map((o) => o.kind)).to.deep.equal(["rejected"]);
    expect(batchErrorOutcomes([cmd("a")], "AT0001", "boom").map((o) => o.kind)).to.deep.equal(["retry"]);
  });

  it("retry delays grow exponentially up to a cap", () => {
    expect([1, 2, 3].map(retryDelayMs)).to.deep.equal([1000, 2000, 4000]);
    expect(retryDelayMs(50)).to.equal(RETRY_MAX_MS);
  });
});

describe("core: what a send records on its rows", () => {
  it("a first send records the state its command carries; a row sent before keeps its first state and loses its bound", () => {
    const fresh = { ...change(`a.wavi${A}`, "*"), sent: null } as PendingChange;
    const resent = { ...change(`b.wavi${A}`, "*"), sent: { op: "*" as const, value: "old", metadata: null, maxCommitId: 7 } } as PendingChange;
    const batch: PushCommand[] = [
      { atKey: fresh.atKey, command: "update:a", changeIds: [fresh.id], retried: false, sent: { op: "*", value: "new", metadata: null } },
      { atKey: resent.atKey, command: "update:b", changeIds: [resent.id], retried: true, sent: { op: "*", value: "newer", metadata: null } },
      { atKey: "x", command: "delete:x", changeIds: [99 as OutboxId], retried: false },
    ];
    expect(markSentOps(batch, new Map([[fresh.id, fresh], [resent.id, resent]]))).to.deep.equal([
      { op: "markSent", ids: [fresh.id], sent: { op: "*", value: "new", metadata: null } },
      { op: "markSent", ids: [resent.id], sent: { op: "*", value: "old", metadata: null } },
    ]);
  });
});
