// How long a connection may sit idle before the server may reap it to admit a new one
// (S:connection/inbound/inbound_connection_impl.dart isInValid): the full allowance while the
// pool is under its low-water mark (half its capacity), shrinking linearly to a minimum as the
// pool fills up.

export const MAX_INBOUND_CONNECTIONS = 200;
const LOW_WATER_MARK_RATIO = 0.5;
const UNAUTHENTICATED = { max: 600_000, min: 5_000 };
const AUTHENTICATED = { max: 30 * 24 * 3600_000, min: 60_000 };

export function allowableIdleMs(poolSize: number, capacity: number, authenticated: boolean): number {
  const lowWaterMark = Math.floor(capacity * LOW_WATER_MARK_RATIO);
  const over = Math.max(poolSize - lowWaterMark, 0);
  const factor = Math.max(0, 1 - over / Math.max(capacity - lowWaterMark, 1));
  const { max, min } = authenticated ? AUTHENTICATED : UNAUTHENTICATED;
  return Math.floor((max - min) * factor + min);
}

/** What a client over the limit receives before the close: no prompt, as the real server. */
export const CONNECTION_LIMIT_REPLY = "error:AT0012-Inbound connection limit exceeded\n";
