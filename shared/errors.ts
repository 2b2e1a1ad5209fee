// One error-code table shared by daemon and client (house-style §11).
// Numbers are wire values: never renumber or reuse one. App codes stay outside
// JSON-RPC's reserved range −32768…−32000; only the five standard codes live there.

export const ErrorCode = {
  // JSON-RPC 2.0 standard codes.
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  Internal: -32603,

  // 1xxx: the RPC channel itself.
  HandshakeRequired: 1001,
  ProtocolVersionMismatch: 1002,
  FrameTooLarge: 1003,
  RequestCancelled: 1004,
  ConnectionClosed: 1005,
  DaemonNotRunning: 1006,
  DaemonAlreadyRunning: 1007,
  Timeout: 1008,
  ShuttingDown: 1009,
  SlowConsumer: 1010,
  SocketUnavailable: 1011,
  SocketPermissionDenied: 1012,

  // 2xxx: identities (atSigns) and workers.
  NotOnboarded: 2001,
  AlreadyOnboarded: 2002,
  InvalidAtSign: 2003,
  InvalidAtKeys: 2004,
  KeyStoreUnavailable: 2005,
  WorkerRestarting: 2006,
  WorkerFailed: 2007,

  // 3xxx: keys and values.
  KeyNotFound: 3001,
  InvalidAtKey: 3002,
  ValueTooLarge: 3003,
  ReadOnlyKey: 3004,
  DecryptionFailed: 3005,
  EncryptionFailed: 3006,
  ConflictNotFound: 3007,
  SubscriptionNotFound: 3008,
  InvalidRegex: 3009,

  // 4xxx: sync with the atServer.
  SyncFailed: 4001,
  RemoteUnavailable: 4002,
  AuthFailed: 4003,
  NeedsAttention: 4004,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;
export type ErrorCode = (typeof ErrorCode)[ErrorCodeName];

const namesByCode = new Map<number, ErrorCodeName>(
  (Object.keys(ErrorCode) as ErrorCodeName[]).map((name) => [ErrorCode[name], name]),
);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "number" && namesByCode.has(value);
}

/** The table name of a code ("KeyNotFound"), or undefined for a code we do not know. */
export function errorCodeName(code: number): ErrorCodeName | undefined {
  return namesByCode.get(code);
}

/** The JSON-RPC `error` member as it travels. */
export interface ErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export class AtsyncError extends Error {
  override readonly name = "AtsyncError";

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }

  /** The wire form: code, message and data; never the stack. */
  toJSON(): ErrorObject {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }

  /** True for an AtsyncError, optionally of one code. Works across realms (worker threads). */
  static is(err: unknown, code?: ErrorCode): err is AtsyncError {
    if (err instanceof AtsyncError) return code === undefined || err.code === code;
    if (typeof err !== "object" || err === null) return false;
    const e = err as { name?: unknown; code?: unknown; message?: unknown };
    return e.name === "AtsyncError" && isErrorCode(e.code) && typeof e.message === "string"
      && (code === undefined || e.code === code);
  }

  /**
   * Rebuilds an error received on the wire. A code we do not know (a newer daemon)
   * becomes Internal with the original code kept in `data.code`, so callers can still
   * switch on every code they know.
   */
  static fromJSON(value: unknown): AtsyncError {
    if (typeof value !== "object" || value === null) {
      return new AtsyncError(ErrorCode.Internal, "malformed error from peer");
    }
    const v = value as { code?: unknown; message?: unknown; data?: unknown };
    const message = typeof v.message === "string" ? v.message : "error without a message";
    if (isErrorCode(v.code)) return new AtsyncError(v.code, message, v.data);
    return new AtsyncError(ErrorCode.Internal, message, { code: v.code, data: v.data });
  }
}
