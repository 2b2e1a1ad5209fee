// Onboarding proves the keys before storing them: one PKAM login to the atSign's atServer
// (found through the configured root). Nothing of the keys reaches a message.
import { readFileSync } from "node:fs";
import type { AtKeys } from "../../protocol/atKeysFile.js";
import { AtProtocolError } from "../../protocol/errors.js";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import type { AtSignConfig } from "../config/DaemonConfig.js";
import type { Clock, Logger } from "../ports.js";
import { AuthFailedError, RemoteUnavailableError } from "../remote/errors.js";
import { RootResolver } from "../remote/RootResolver.js";
import { TlsRemote } from "../remote/TlsRemote.js";

export async function proveKeys(keys: AtKeys, config: AtSignConfig, clock: Clock, logger: Logger): Promise<void> {
  let ca: string | undefined;
  if (config.ca !== null) {
    try {
      ca = readFileSync(config.ca, "utf8");
    } catch (err) {
      throw new AtsyncError(ErrorCode.RemoteUnavailable, `cannot read the CA file ${config.ca}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
    }
  }
  const root = `${config.rootServer.host}:${config.rootServer.port}`;
  const caOpt = ca !== undefined ? { ca } : {};
  const resolver = new RootResolver({ root, clock, timeoutMs: 10_000, ...caOpt });
  const remote = new TlsRemote({ atSign: keys.atSign, keys, resolver, clock, logger, requestTimeoutMs: 15_000, connectTimeoutMs: 10_000, ...caOpt });
  try {
    await remote.request("noop:0");
  } catch (err) {
    if (err instanceof AuthFailedError) {
      throw new AtsyncError(ErrorCode.AuthFailed, `the atServer of ${keys.atSign} refused these keys (PKAM login failed${err.atCode ? `, ${err.atCode}` : ""})`);
    }
    if (err instanceof AtProtocolError && err.code === "AT0007") {
      throw new AtsyncError(ErrorCode.RemoteUnavailable, `the root directory ${root} knows no atServer for ${keys.atSign}`);
    }
    if (err instanceof RemoteUnavailableError) {
      throw new AtsyncError(ErrorCode.RemoteUnavailable, `cannot reach the atServer of ${keys.atSign}: ${err.message}`);
    }
    throw new AtsyncError(ErrorCode.RemoteUnavailable, `cannot log in to the atServer of ${keys.atSign}: ${err instanceof Error ? err.message : "unknown error"}`);
  } finally {
    await remote.close().catch(() => undefined);
  }
}
