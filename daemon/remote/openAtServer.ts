// Reaching one atSign's atServer and logging in with PKAM: the steps TlsRemote and Monitor
// share. An abort rejects at once with the caller's error and destroys whatever is open,
// so close() and stop() need not wait for a root lookup, a connect or a login timeout.
import type { TLSSocket } from "node:tls";
import type { AtKeys } from "../../protocol/atKeysFile.js";
import type { Clock, Logger } from "../ports.js";
import type { AtConnection } from "./AtConnection.js";
import { pkamAuthenticate } from "./authenticate.js";
import { connectTls } from "./connectTls.js";
import type { RootResolver, SecondaryAddress } from "./RootResolver.js";
import { untilAborted } from "./untilAborted.js";

/** What it takes to reach and log in to one atSign's atServer. */
export interface AtServerAccess {
  atSign: string;
  keys: AtKeys;
  resolver: RootResolver;
  ca?: string;
  clock: Clock;
  logger: Logger;
  connectTimeoutMs?: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** One connect attempt. */
export interface ConnectAttempt {
  /** Normalized. */
  atSign: string;
  timeoutMs: number;
  signal: AbortSignal;
  /** What an abort rejects with. */
  aborted: () => Error;
}

/** Resolves the atSign's atServer through the root and opens TLS to it. */
export async function dialAtServer(
  access: AtServerAccess,
  attempt: ConnectAttempt,
): Promise<{ socket: TLSSocket; address: SecondaryAddress }> {
  const { resolver, clock, ca } = access;
  // A root lookup is shared and cannot be cancelled; an abort must not wait for it.
  const address = await untilAborted(resolver.resolve(attempt.atSign), attempt.signal, attempt.aborted);
  const socket = await connectTls({
    host: address.host,
    port: address.port,
    clock,
    timeoutMs: attempt.timeoutMs,
    signal: attempt.signal,
    ...(ca !== undefined ? { ca } : {}),
  });
  return { socket, address };
}

/** Logs `conn` in with PKAM; when that fails or is aborted, `conn` is destroyed. */
export async function loginWithPkam(conn: AtConnection, access: AtServerAccess, attempt: ConnectAttempt): Promise<void> {
  const { signal } = attempt;
  const onAbort = (): void => conn.destroy();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    // An abort that came before the listener would otherwise go unnoticed until the login timed out.
    if (signal.aborted) throw attempt.aborted();
    await pkamAuthenticate(conn, attempt.atSign, access.keys, attempt.timeoutMs);
  } catch (err) {
    conn.destroy();
    if (signal.aborted) throw attempt.aborted();
    throw err;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
