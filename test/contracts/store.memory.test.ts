// The store contract against MemoryStore.
import { MemoryStore } from "../../daemon/store/MemoryStore.js";
import { runStoreContract } from "./runStoreContract.js";

runStoreContract("MemoryStore", (clock) => ({ store: new MemoryStore({ clock }), close() {} }));
