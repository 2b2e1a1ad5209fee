// from, pkam and cram (§2; S:verb/handler/{from,pkam,cram}_verb_handler.dart).
import { randomUUID } from "node:crypto";
import { normalizeAtSign } from "../../protocol/atKey.js";
import { cramDigest, rsaVerify } from "../../protocol/crypto.js";
import { ServerError } from "../connection/ServerError.js";
import type { Session, Verb } from "./types.js";

export const PKAM_PUBLIC_KEY = "privatekey:at_pkam_publickey";
/** The server stores the challenge as private:<sessionId>@alice with a 60 s ttl. */
export const CHALLENGE_TTL_MS = 60_000;
export const CRAM_SECRET_KEY = "privatekey:at_secret";
/** Where an approved APKAM enrollment's public key is kept (never committed). */
export const enrollmentKey = (enrollmentId: string): string => `privatekey:enrollment:${enrollmentId.toLowerCase()}`;

/**
 * Whether a `clientConfig` asks for JSON errors: its version is above 3.0.37. A clientConfig
 * that is not JSON is an unexpected exception on the real server (AT0011 and a close).
 */
export function wantsJsonErrors(clientConfig: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(clientConfig);
  } catch {
    throw new Error("FormatException: clientConfig is not valid JSON");
  }
  const version = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>)["version"] : undefined;
  if (typeof version !== "string") return false;
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const [a, b, c] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return a !== 3 ? a > 3 : b !== 0 ? b > 0 : c > 37;
}

export const fromVerb: Verb = {
  name: "from",
  accept: (c) => c.startsWith("from:"),
  requiresAuth: false,
  usage: "from:@alice",
  syntax: /^from:(?<atSign>@?[^:@\s]+)(:clientConfig:(?<clientConfig>\{.+\}))?$/i,
  handle({ groups, conn, server }) {
    const atSign = normalizeAtSign(groups["atSign"] ?? "");
    const session = conn.session;
    const clientConfig = groups["clientConfig"];
    if (clientConfig !== undefined) session.jsonErrors = wantsJsonErrors(clientConfig);
    session.fromAtSign = atSign;
    const sessionId = session.sessionId;
    const secret = randomUUID();
    if (atSign !== server.atSign) {
      delete session.challenge;
      return `data:proof:${sessionId}${atSign}:${secret}`;
    }
    session.challenge = `${sessionId}${atSign}:${secret}`;
    session.challengeExpiresAt = server.now() + CHALLENGE_TTL_MS;
    return `data:${session.challenge}`;
  },
};

const authFailed = (msg: string): ServerError => new ServerError("AT0401", msg);

function liveChallenge(session: Session, atSign: string, now: number): string | undefined {
  if (session.fromAtSign !== atSign || session.challengeExpiresAt === undefined || session.challengeExpiresAt < now) return undefined;
  return session.challenge;
}

export const pkamVerb: Verb = {
  name: "pkam",
  accept: (c) => c.startsWith("pkam:"),
  requiresAuth: false,
  usage: "pkam:<signature>",
  syntax:
    /^pkam:(signingAlgo:(?<signingAlgo>ecc_secp256r1|rsa2048):)?(hashingAlgo:(?<hashingAlgo>sha256|sha512):)?(enrollmentId:(?<enrollmentId>.+):)?(?<signature>.+$)/i,
  handle({ groups, conn, server }) {
    const session = conn.session;
    const enrollmentId = groups["enrollmentId"];
    let publicKey: string | undefined;
    if (enrollmentId !== undefined) {
      // Enrollments come from imported APKAM .atKeys files and are approved for every namespace.
      publicKey = server.store.get(enrollmentKey(enrollmentId))?.value;
      if (publicKey === undefined) throw new ServerError("AT0028", `enrollment_id: ${enrollmentId} is expired or invalid`, true);
    } else {
      publicKey = server.store.get(PKAM_PUBLIC_KEY)?.value;
      if (publicKey === undefined) throw authFailed("pkam publickey not found");
    }
    const challenge = liveChallenge(session, server.atSign, server.now());
    // ECC keys are not served by the dev-server: they fail like a bad signature.
    const ok =
      challenge !== undefined &&
      (groups["signingAlgo"] ?? "rsa2048").toLowerCase() === "rsa2048" &&
      safeVerify(publicKey, challenge, groups["signature"] ?? "", (groups["hashingAlgo"] ?? "sha256").toLowerCase() === "sha512" ? "sha512" : "sha256");
    session.authenticated = ok;
    if (!ok) throw authFailed("pkam authentication failed");
    delete session.challenge;
    return "data:success";
  },
};

function safeVerify(publicKey: string, data: string, signature: string, hash: "sha256" | "sha512"): boolean {
  try {
    return rsaVerify(publicKey, data, signature, hash);
  } catch {
    return false;
  }
}

export const cramVerb: Verb = {
  name: "cram",
  accept: (c) => c.startsWith("cram:"),
  requiresAuth: false,
  usage: "cram:<digest>",
  syntax: /^cram:(?<digest>.+$)/i,
  handle({ groups, conn, server }) {
    const session = conn.session;
    const secret = server.store.get(CRAM_SECRET_KEY)?.value;
    const challenge = liveChallenge(session, server.atSign, server.now());
    const ok = secret !== undefined && challenge !== undefined && cramDigest(secret, challenge) === groups["digest"];
    session.authenticated = ok;
    if (!ok) throw authFailed("Authentication failed");
    delete session.challenge;
    return "data:success";
  },
};
