// `atsyncd/client`: the thin client apps use to talk to the daemon.
export { AtsyncClient, type ConnectOptions } from "./AtsyncClient.js";
export type { CallOptions } from "./Channel.js";
export { EventStream, type SubscribeOptions } from "./EventStream.js";
export { NOT_RUNNING_MESSAGE } from "./connectError.js";
export { resolveSocketPath } from "./socketPath.js";
export * from "../shared/index.js";
