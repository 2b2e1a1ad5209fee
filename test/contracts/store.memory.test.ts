// The store contract against MemoryStore.
import { MemoryStore } from "../support/MemoryStore.js";
import { runStoreContract } from "./runStoreContract.js";

runStoreContract("MemoryStore", (clock) => ({ store: new MemoryStore({ clock }), close() {} }));
