// The store contract against SqliteStore, on a file in a fresh temp dir per case.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../daemon/store/SqliteStore.js";
import { runStoreContract } from "./runStoreContract.js";

runStoreContract("SqliteStore on a file", (clock) => {
  const dir = mkdtempSync(join(tmpdir(), "atsyncd-store-contract-"));
  const store = SqliteStore.open({ path: join(dir, "alice.db"), clock });
  return {
    store,
    close() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
