// The bounds the status promises (README "Status fields"), in one place. The monitor sends a
// `noop:0` heartbeat every HEARTBEAT_INTERVAL_MS and counts its connection dead when the reply
// takes longer than HEARTBEAT_TIMEOUT_MS, so an atServer that stops answering (stopped, frozen,
// cut off) shows as offline at most interval + timeout after its last answer: within
// OFFLINE_WITHIN_MS. While the state is online, "in sync" is therefore as of a server reply at
// most that old.
export const HEARTBEAT_INTERVAL_MS = 4_000;
export const HEARTBEAT_TIMEOUT_MS = 3_000;
export const OFFLINE_WITHIN_MS = 10_000;
