// Branded IDs (house-style §7): a SubscriptionId cannot be passed where a request id
// is expected. On the wire they are plain strings and numbers.

declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** Position in the daemon's event stream; strictly increasing within one epoch. */
export type EventSeq = Brand<number, "EventSeq">;
/** Names one daemon run's event stream: seqs from another epoch mean nothing here. */
export type EventEpoch = Brand<string, "EventEpoch">;
export type SubscriptionId = Brand<string, "SubscriptionId">;
export type ConnectionId = Brand<string, "ConnectionId">;
export type ConflictId = Brand<string, "ConflictId">;

export const asEventSeq = (n: number): EventSeq => n as EventSeq;
export const asEventEpoch = (s: string): EventEpoch => s as EventEpoch;
export const asSubscriptionId = (s: string): SubscriptionId => s as SubscriptionId;
export const asConnectionId = (s: string): ConnectionId => s as ConnectionId;
export const asConflictId = (s: string): ConflictId => s as ConflictId;
