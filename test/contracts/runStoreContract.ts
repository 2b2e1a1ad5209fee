// The store contract (house-style §24): what the Store port (daemon/ports.ts) does, as one suite
// that runs against SqliteStore on a file and against MemoryStore, so the in-memory store cannot
// drift from the real one. File modes, migrations and durability are SqliteStore's own
// (test/store/).
import type { Clock, Store } from "../../daemon/ports.js";
import { ManualClock } from "../sync/support/ManualClock.js";
import type { StoreCase } from "./store/context.js";
import { listingCases } from "./store/listing.js";
import { localWriteCases } from "./store/localWrites.js";
import { opCases } from "./store/ops.js";
import { outboxCases } from "./store/outbox.js";
import { scenarioCases } from "./store/scenarios.js";

export interface StoreFixture {
  store: Store;
  close(): void;
}

/** `open` makes a fresh, empty store whose local writes take their time from `clock`. */
export function runStoreContract(name: string, open: (clock: Clock) => StoreFixture): void {
  describe(`store contract: ${name}`, () => {
    let fixture: StoreFixture | undefined;
    const t = {} as StoreCase;

    beforeEach(() => {
      t.clock = new ManualClock();
      fixture = open(t.clock);
      t.store = fixture.store;
    });
    afterEach(() => {
      fixture?.close();
      fixture = undefined;
    });

    describe("local writes and reads", () => localWriteCases(t));
    describe("listing", () => listingCases(t));
    describe("outbox", () => outboxCases(t));
    describe("ops", () => opCases(t));
    describe("the engine's decisions carried out", () => scenarioCases(t));
  });
}
