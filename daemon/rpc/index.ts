// The daemon's RPC layer: the server, the event hub and the events methods.
export { EventHub, HubSubscription, type EventHubOptions, type EventSink, type SubscribeRequest } from "./EventHub.js";
export { RpcServer, type RpcServerOptions } from "./RpcServer.js";
export { serveEvents } from "./serveEvents.js";
export { probeSocket } from "./socketFile.js";
export type { Handler, RequestContext, RpcPeer } from "./types.js";
