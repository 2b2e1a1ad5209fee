import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { SqliteStore } from "../../daemon/store/SqliteStore.js";
import { LocalWrites } from "../../daemon/sync/LocalWrites.js";
import { ErrorCode } from "../../shared/errors.js";
import { thrown } from "../support/thrown.js";

describe("sync: the write route (LocalWrites)", () => {
  let dir: string;
  let store: SqliteStore;
  let writes: LocalWrites;
  let pushes = 0;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "atsyncd-writes-"));
    store = SqliteStore.open({ path: join(dir, "s.db"), clock: new SystemClock() });
    pushes = 0;
    writes = new LocalWrites(store, () => undefined, () => void pushes++);
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("scenario: a value an update cannot carry (a \\r) is refused with InvalidParams and nothing is stored, instead of acknowledged and then rejected at push", () => {
    const err = thrown(() => writes.put("k.wavi@alice", "line one\rline two"));
    expect(err.code).to.equal(ErrorCode.InvalidParams);
    expect(err.message).to.match(/encoding:base64/u);
    expect(store.get("k.wavi@alice")).to.equal(undefined);
    expect(store.pendingChanges()).to.deep.equal([]);
    expect(pushes).to.equal(0);
  });

  it("putMany refuses the whole batch when one value cannot travel, storing none of it", () => {
    const err = thrown(() => writes.putMany([{ atKey: "a.wavi@alice", value: "fine" }, { atKey: "b.wavi@alice", value: " edge" }]));
    expect(err.code).to.equal(ErrorCode.InvalidParams);
    expect(store.listKeys()).to.deep.equal([]);
    writes.putMany([{ atKey: "a.wavi@alice", value: "fine" }, { atKey: "b.wavi@alice", delete: true }]);
    expect(store.get("a.wavi@alice")?.value).to.equal("fine");
    expect(pushes).to.equal(1);
  });
});

describe("sync: keeping a conflict's side through the write route", () => {
  it("scenario: keeping a remote side whose plain value holds a line break writes it base64 with encoding:base64, instead of refusing it", () => {
    const dir = mkdtempSync(join(tmpdir(), "atsyncd-writes-"));
    const store = SqliteStore.open({ path: join(dir, "s.db"), clock: new SystemClock() });
    try {
      const writes = new LocalWrites(store, () => undefined, () => undefined);
      const key = "public:note.wavi@alice";
      store.putLocal(key, "mine");
      const [id] = store.apply([{
        op: "insertConflict",
        conflict: {
          atKey: key, policy: "local-wins", winner: "local", detectedAtMs: 1, resolved: false,
          local: { op: "*", value: "mine", metadata: {}, timeMs: 1 },
          remote: { op: "*", value: "line1\nline2", metadata: { isEncrypted: false }, timeMs: 2, commitId: 3 },
        },
      }]).conflictIds;
      const c = store.listConflicts().find((x) => x.id === id)!;
      writes.resolveConflict(c, "remote");
      const rec = store.get(key)!;
      expect(rec.metadata.encoding).to.equal("base64");
      expect(Buffer.from(rec.value, "base64").toString("utf8")).to.equal("line1\nline2");
      expect(store.listConflicts().find((x) => x.id === id)?.resolved).to.equal(true);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
