// doctor: can this machine reach an atSign's atServer? One root lookup, one TLS connect to the
// address the root gives, as the daemon does. The certificate's validity window is the only
// time reference an atServer offers, so the clock check is bounded by it (see checkClock).
import { readFileSync } from "node:fs";
import type { PeerCertificate } from "node:tls";
import { AtProtocolError } from "../../../protocol/errors.js";
import type { AtSignConfig } from "../../config/DaemonConfig.js";
import type { Clock } from "../../ports.js";
import { connectTls } from "../../remote/connectTls.js";
import { RemoteUnavailableError } from "../../remote/errors.js";
import { RootResolver } from "../../remote/RootResolver.js";
import { check, type CheckResult } from "./Check.js";

export interface CertWindow {
  validFrom: number;
  validTo: number;
}

export interface AtServerFinding {
  result: CheckResult;
  /** The certificate's validity window when TLS got that far. */
  cert?: CertWindow;
  /** A TLS failure that says the local clock is off (CERT_NOT_YET_VALID, CERT_HAS_EXPIRED). */
  clockError?: string;
}

const CLOCK_CODES = /CERT_NOT_YET_VALID|CERT_HAS_EXPIRED/u;

function window(cert: PeerCertificate): CertWindow | undefined {
  const from = Date.parse(cert.valid_from);
  const to = Date.parse(cert.valid_to);
  return Number.isFinite(from) && Number.isFinite(to) ? { validFrom: from, validTo: to } : undefined;
}

export async function checkAtServer(atSign: string, cfg: Pick<AtSignConfig, "rootServer" | "ca">, clock: Clock, timeoutMs = 10_000): Promise<AtServerFinding> {
  const name = `${atSign} atServer`;
  const root = `${cfg.rootServer.host.includes(":") ? `[${cfg.rootServer.host}]` : cfg.rootServer.host}:${cfg.rootServer.port}`;
  let ca: string | undefined;
  if (cfg.ca !== null) {
    try {
      ca = readFileSync(cfg.ca, "utf8");
    } catch (err) {
      return { result: check(name, "fail", `cannot read the CA file ${cfg.ca} (${(err as NodeJS.ErrnoException).code ?? "error"})`, "fix the path in `atsyncd config set ca FILE`, or `atsyncd config unset ca`") };
    }
  }
  let address;
  try {
    address = await new RootResolver({ root, clock, timeoutMs, ...(ca !== undefined ? { ca } : {}) }).resolve(atSign);
  } catch (err) {
    if (err instanceof AtProtocolError && err.code === "AT0007") {
      return { result: check(name, "fail", `the root directory ${root} knows no atServer for ${atSign}`, "check the spelling of the atSign and that it is activated (or `rootServer` in `atsyncd config`)") };
    }
    const msg = err instanceof Error ? err.message : String(err);
    const clockError = CLOCK_CODES.test(msg) ? msg : undefined;
    return {
      result: check(name, "fail", `cannot look up ${atSign} at the root directory ${root}: ${msg}`, `check the network, DNS and that outgoing TCP port ${cfg.rootServer.port} is open`),
      ...(clockError ? { clockError } : {}),
    };
  }
  const where = `${address.host}:${address.port}`;
  const started = clock.now();
  try {
    const socket = await connectTls({ host: address.host, port: address.port, clock, timeoutMs, ...(ca !== undefined ? { ca } : {}) });
    const ms = clock.now() - started;
    const cert = window(socket.getPeerCertificate());
    socket.destroy();
    return { result: check(name, "ok", `root ${root} → ${where}, TLS ok (${ms} ms)`), ...(cert ? { cert } : {}) };
  } catch (err) {
    const msg = err instanceof RemoteUnavailableError || err instanceof Error ? err.message : String(err);
    const clockError = CLOCK_CODES.test(msg) ? msg : undefined;
    const fix = err instanceof RemoteUnavailableError && err.reason === "tls"
      ? "a TLS failure: check the clock, and for a dev-server that `ca` in `atsyncd config` names its ca.pem"
      : `the root names ${where} but it does not answer: check the network and firewall, or try again later`;
    return { result: check(name, "fail", msg, fix), ...(clockError ? { clockError } : {}) };
  }
}

/** The clock finding from what the atServer checks saw. */
export function checkClock(now: number, findings: readonly AtServerFinding[]): CheckResult {
  const broken = findings.find((f) => f.clockError !== undefined);
  if (broken) {
    return check("clock", "fail", `the local clock (${new Date(now).toISOString()}) looks wrong: ${broken.clockError}`, "set the clock right (enable NTP: `timedatectl set-ntp true`)");
  }
  const certs = findings.flatMap((f) => (f.cert ? [f.cert] : []));
  if (certs.length === 0) return check("clock", "skip", "not checked: no atServer was reached, and atServers do not report their time");
  const outside = certs.find((c) => now < c.validFrom || now > c.validTo);
  if (outside) {
    return check("clock", "fail", `the local clock (${new Date(now).toISOString()}) is outside the atServer certificate's validity (${new Date(outside.validFrom).toISOString()} – ${new Date(outside.validTo).toISOString()})`, "set the clock right (enable NTP: `timedatectl set-ntp true`)");
  }
  return check("clock", "ok", `${new Date(now).toISOString()} is within the atServer certificates' validity; atServers do not report their time, so a smaller skew is not measured`);
}
