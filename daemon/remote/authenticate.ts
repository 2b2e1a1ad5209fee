// `from` + `pkam` login (atprotocol.md §2.1, §2.2). The challenge and signature stay in
// local variables: they are never logged or put in an error.
import { AtProtocolError } from "../../protocol/errors.js";
import { parseReply } from "../../protocol/framing.js";
import { rsaSign } from "../../protocol/crypto.js";
import type { AtKeys } from "../../protocol/atKeysFile.js";
import { AuthRefusedAtCodes } from "../../shared/errors.js";
import type { AtConnection } from "./AtConnection.js";
import { AuthFailedError } from "./errors.js";

/** What we tell the server about ourselves; a version > 3.0.37 asks for JSON errors. */
export const CLIENT_CONFIG = Object.freeze({
  version: "3.3.0",
  clientId: "atsyncd",
  appName: "atsyncd",
  appVersion: "0.1.0",
  platform: "node",
});

async function ask(conn: AtConnection, command: string, timeoutMs: number, carriesSecret = false): Promise<string> {
  const reply = parseReply(await conn.request(command, { timeoutMs }));
  if (reply.kind === "error") {
    if (AuthRefusedAtCodes.has(reply.code)) throw new AuthFailedError(`PKAM authentication refused (${reply.code})`, reply.code);
    // A server's message may quote the command; the pkam command carries the signature.
    throw new AtProtocolError(reply.code, carriesSecret ? "" : reply.message);
  }
  return reply.data;
}

/** Authenticates `conn` as `atSign`; APKAM form when the keys carry an enrollmentId. */
export async function pkamAuthenticate(conn: AtConnection, atSign: string, keys: AtKeys, timeoutMs: number): Promise<void> {
  if (keys.pkamPrivateKey === undefined) throw new AuthFailedError("the keys hold no PKAM private key");
  const challenge = await ask(conn, `from:${atSign}:clientConfig:${JSON.stringify(CLIENT_CONFIG)}`, timeoutMs);
  if (challenge.startsWith("proof:") || challenge.length === 0) {
    throw new AtProtocolError("AT0008", "the server did not answer `from` with a challenge");
  }
  const signature = rsaSign(keys.pkamPrivateKey, challenge, "sha256");
  const enrollment = keys.enrollmentId !== undefined ? `enrollmentId:${keys.enrollmentId}:` : "";
  const result = await ask(conn, `pkam:signingAlgo:rsa2048:hashingAlgo:sha256:${enrollment}${signature}`, timeoutMs, true);
  if (result !== "success") throw new AuthFailedError("PKAM authentication was not acknowledged");
}
