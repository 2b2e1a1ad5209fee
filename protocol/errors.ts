// AT error codes and the three error formats an atServer may send (atprotocol.md §1.2).

/** Descriptions of every AT code, as at_commons `error_description` words them. */
export const AtErrorDescriptions: Readonly<Record<string, string>> = Object.freeze({
  AT0001: "Server exception",
  AT0002: "Datastore exception",
  AT0003: "Invalid syntax",
  AT0004: "Socket error",
  AT0005: "Buffer limit exceeded",
  AT0006: "Outbound connection limit exceeded",
  AT0007: "Secondary server not found",
  AT0008: "Handshake failure",
  AT0009: "UnAuthorized client in request",
  AT0010: "Internal server error",
  AT0011: "Internal server exception",
  AT0012: "Inbound connection limit exceeded",
  AT0013: "Connection Exception",
  AT0014: "Unknown AtClient exception",
  AT0015: "key not found",
  AT0016: "Invalid atKey",
  AT0021: "Unable to connect to secondary",
  AT0022: "Illegal arguments",
  AT0023: "Timeout waiting for response",
  AT0024: "Server is paused",
  AT0025: "Apkam Auth Denied",
  AT0026: "Apkam Auth Pending",
  AT0027: "Apkam Auth Revoked",
  AT0028: "Too many requests or enrollment expired",
  AT0029: "Invalid enrollment status",
  AT0030: "Enrollment already exists",
  AT0031: "Enrollment not found",
  AT0401: "Client authentication failed",
});

/** The code used when a server reply names none we can read (at_commons' fallback). */
export const FALLBACK_ERROR_CODE = "AT0011";

/** An `error:` reply from an atServer (or a locally detected protocol violation). */
export class AtProtocolError extends Error {
  readonly code: string;
  readonly serverMessage: string;

  constructor(code: string, serverMessage: string) {
    const desc = AtErrorDescriptions[code];
    super(`${code}: ${serverMessage || desc || "error"}`);
    this.name = "AtProtocolError";
    this.code = code;
    this.serverMessage = serverMessage;
  }
}

const LEGACY = /^(AT\d{4})-(.*)$/su;
const HANDLER = /^(AT\d{4}):(.*)$/su;

/** Parses the text after `error:` in any of the three formats of §1.2. */
export function parseErrorPayload(payload: string): { code: string; message: string } {
  const text = payload.trim();
  if (text.startsWith("{")) {
    const parsed = parseJsonError(text);
    if (parsed) return parsed;
  }
  const m = LEGACY.exec(text) ?? HANDLER.exec(text);
  if (m && m[1] !== undefined) return { code: m[1], message: (m[2] ?? "").trim() };
  return { code: FALLBACK_ERROR_CODE, message: text };
}

function parseJsonError(text: string): { code: string; message: string } | undefined {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof obj !== "object" || obj === null) return undefined;
  const rec = obj as Record<string, unknown>;
  const code = rec["errorCode"];
  const desc = rec["errorDescription"];
  if (typeof code !== "string") return undefined;
  return { code, message: typeof desc === "string" ? desc : "" };
}

/**
 * The whole error reply text (without the trailing `\n<prompt>`): legacy
 * `error:AT0015-<msg>` or the JSON form sent to clients newer than 3.0.37.
 * Newlines are flattened because a reply is one line.
 */
export function formatErrorReply(code: string, message: string, json: boolean): string {
  const flat = message.replace(/[\r\n]+/gu, " ");
  if (json) return `error:${JSON.stringify({ errorCode: code, errorDescription: flat })}`;
  return `error:${code}-${flat}`;
}
