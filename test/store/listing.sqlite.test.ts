// What only SqliteStore does in a listing: which index answers each query shape, the migration
// that gives existing keys their namespace, and a regex tested inside SQLite (the registered
// atsync_regexp) on a bounded scan. What every store lists is the contract's (test/contracts/store/listing.ts).
import { expect } from "chai";
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pageSql, registerStoreFunctions } from "../../daemon/store/KeyLister.js";
import { SqliteStore } from "../../daemon/store/SqliteStore.js";
import { SCHEMA_VERSION } from "../../daemon/store/schema.js";
import { ManualClock } from "../sync/support/ManualClock.js";

const A = "@alice🛠";

describe("store: SqliteStore listing", () => {
  let dir: string;
  let path: string;
  let store: SqliteStore;
  const clock = new ManualClock();

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "atsyncd-list-"));
    path = join(dir, "alice.db");
    store = SqliteStore.open({ path, clock });
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The query plan of a page's statement, on a connection of its own to the same file. */
  function plan(shape: string): string {
    const db = new Database(path, { readonly: true });
    try {
      registerStoreFunctions(db);
      const rows = db.prepare<[object], { detail: string }>(`EXPLAIN QUERY PLAN ${pageSql(shape)}`)
        .all({ after: "", from: "", upper: "z", ns: "wavi", re: "x", scan: 10, limit: 5 });
      return rows.map((r) => r.detail).join(" | ");
    } finally {
      db.close();
    }
  }

  it("a namespace is a search of keys_by_namespace, a prefix a range of the primary key, in key order without a sort", () => {
    store.putManyLocal(Array.from({ length: 50 }, (_, i) => ({ atKey: `k${i}.${i % 2 ? "wavi" : "buzz"}${A}`, value: "v" })));
    expect(plan("n")).to.match(/SEARCH keys USING (COVERING )?INDEX keys_by_namespace \(namespace=\? AND at_key>\?\)/u);
    expect(plan("nu")).to.match(/SEARCH keys USING (COVERING )?INDEX keys_by_namespace \(namespace=\? AND at_key>\? AND at_key<\?\)/u);
    expect(plan("u")).to.match(/SEARCH keys USING PRIMARY KEY \(at_key>\? AND at_key<\?\)/u);
    expect(plan("ur")).to.match(/SEARCH keys USING PRIMARY KEY \(at_key>\? AND at_key<\?\)/u);
    expect(plan("")).to.match(/SEARCH keys USING PRIMARY KEY \(at_key>\?\)/u);
    for (const shape of ["", "n", "u", "nu", "r", "nr", "ur", "nur"]) expect(plan(shape), shape).to.not.match(/TEMP B-TREE/u);
  });

  it("migrating a store from before the namespace column gives every existing key its namespace", () => {
    store.putManyLocal([{ atKey: `phone.wavi${A}`, value: "1" }, { atKey: `@bob🛠:x.wavi${A}`, value: "2" }, { atKey: `note.buzz${A}`, value: "3" }, { atKey: `publickey${A}`, value: "4" }]);
    store.close();
    const db = new Database(path);
    db.exec(`DROP INDEX keys_by_namespace; ALTER TABLE keys DROP COLUMN namespace; PRAGMA user_version = ${SCHEMA_VERSION - 1};`);
    db.close();
    store = SqliteStore.open({ path, clock });
    expect(store.listKeys({ namespace: "wavi" })).to.deep.equal([`@bob🛠:x.wavi${A}`, `phone.wavi${A}`]);
    expect(store.listKeys({ namespace: "buzz" })).to.deep.equal([`note.buzz${A}`]);
    const check = new Database(path, { readonly: true });
    const rows = check.prepare<[], { at_key: string; namespace: string | null }>("SELECT at_key, namespace FROM keys ORDER BY at_key").all();
    check.close();
    expect(rows.map((r) => r.namespace)).to.deep.equal(["wavi", "buzz", "wavi", null]);
  });

  it("a regex page tests at most the scan budget of keys inside SQLite, and says where it stopped", () => {
    store.putManyLocal(Array.from({ length: 5_000 }, (_, i) => ({ atKey: `k${String(i).padStart(4, "0")}.wavi${A}`, value: "v" })));
    // A regex no key matches: each page examines the budget and says where it stopped.
    const first = store.listKeyPage({ regex: "nothing" }, "", 100, 1_000);
    expect(first).to.deep.equal({ keys: [], next: `k0999.wavi${A}` });
    const last = store.listKeyPage({ regex: "nothing" }, `k3999.wavi${A}`, 100, 1_000);
    expect(last).to.deep.equal({ keys: [], next: `k4999.wavi${A}` });
    expect(store.listKeyPage({ regex: "nothing" }, `k4999.wavi${A}`, 100, 1_000)).to.deep.equal({ keys: [], next: null });
    // A literal start narrows the scan to its range of 10 keys: the first page examines 5 of them.
    expect(store.listKeyPage({ regex: "^k123\\d\\." }, "", 100, 5).keys.map((k) => k.atKey)).to.deep.equal([`k1230.wavi${A}`, `k1231.wavi${A}`, `k1232.wavi${A}`, `k1233.wavi${A}`, `k1234.wavi${A}`]);
    expect(store.listKeys({ regex: "^k123\\d\\." })).to.have.length(10);
  });
});
