// Opening a TLS socket with a bounded wait. Certificates are checked against the given
// CA (the dev-server's ca.pem) or, without one, the system roots, as for real atServers.
import { isIP } from "node:net";
import { connect, type TLSSocket } from "node:tls";
import type { Clock } from "../ports.js";
import { RemoteUnavailableError, describeSocketError } from "./errors.js";

export interface TlsTarget {
  host: string;
  port: number;
  ca?: string;
  clock: Clock;
  timeoutMs: number;
  /** Gives up at once (closing the half-open socket) when aborted. */
  signal?: AbortSignal;
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO|HOSTNAME|ERR_TLS|ERR_SSL/u;

export function connectTls(target: TlsTarget): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const where = `${target.host}:${target.port}`;
    const socket = connect({
      host: target.host,
      port: target.port,
      ...(target.ca !== undefined ? { ca: target.ca } : {}),
      ...(isIP(target.host) === 0 ? { servername: target.host } : {}),
    });
    // One command, one reply: never let Nagle hold a command back waiting for an ACK (the
    // dev-server's InboundConnection does the same for replies and notifications).
    socket.setNoDelay(true);
    const timer = target.clock.setTimer(target.timeoutMs, () => {
      cleanup();
      socket.destroy();
      reject(new RemoteUnavailableError("timeout", `TLS connect to ${where} timed out after ${target.timeoutMs} ms`));
    });
    const onError = (err: Error): void => {
      cleanup();
      socket.destroy();
      const code = describeSocketError(err);
      const reason = TLS_CODES.test(code) ? "tls" : "connect";
      reject(new RemoteUnavailableError(reason, `cannot connect to ${where}: ${code}`));
    };
    const onClose = (): void => onError(new Error("ECONNRESET"));
    const onAbort = (): void => {
      cleanup();
      socket.destroy();
      reject(new RemoteUnavailableError("closed", `connect to ${where} aborted`));
    };
    const onSecure = (): void => {
      cleanup();
      resolve(socket);
    };
    function cleanup(): void {
      timer.dispose();
      socket.off("error", onError);
      socket.off("close", onClose);
      socket.off("secureConnect", onSecure);
      target.signal?.removeEventListener("abort", onAbort);
    }
    socket.once("error", onError);
    socket.once("close", onClose);
    socket.once("secureConnect", onSecure);
    if (target.signal?.aborted) onAbort();
    else target.signal?.addEventListener("abort", onAbort, { once: true });
  });
}
