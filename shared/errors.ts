// The one error table of atsyncd, shared by daemon and client (house-style §11, §13): the
// numeric codes that travel to apps, the string codes the daemon's own errors carry, and the
// atServer's AT codes the daemon acts on. Each entry says what it means and its class.
// Wire numbers are a protocol: never renumber or reuse one. App codes stay outside JSON-RPC's
// reserved range −32768…−32000; only the five standard codes live there. Keep each section
// sorted (wire codes by number, string and AT codes by name); test/rpc/shared.test.ts checks it.

/**
 * What to do about a failure (house-style §13).
 * - retryable: it may work later with nobody doing anything (network, timeouts, a bad reply):
 *   back off and try again.
 * - user-action: it fails the same way until a person acts (a refused login, a bad value, a bad
 *   config file): stop retrying and say what to do.
 * - fatal: atsyncd cannot go on (a corrupt or too-new store, a bug): the worker exits with a
 *   named exit code, or the operation stops.
 */
export type ErrorClass = "retryable" | "user-action" | "fatal";

export interface ErrorEntry {
  readonly class: ErrorClass;
  readonly meaning: string;
}

export interface WireErrorEntry extends ErrorEntry {
  readonly code: number;
}

/** The codes of the JSON-RPC `error` member: what an app (or the CLI) switches on. */
export const WireErrors = {
  // JSON-RPC 2.0 standard codes.
  ParseError: { code: -32700, class: "fatal", meaning: "a frame is not JSON" },
  Internal: { code: -32603, class: "fatal", meaning: "anything not in this table: a bug; the message says what, without the stack" },
  InvalidParams: { code: -32602, class: "user-action", meaning: "the params fail the method's schema; the message names the field" },
  MethodNotFound: { code: -32601, class: "fatal", meaning: "no such method (a client newer than the daemon)" },
  InvalidRequest: { code: -32600, class: "fatal", meaning: "a JSON frame that is not a JSON-RPC request, or reuses an id in flight" },

  // 1xxx: the RPC channel itself.
  HandshakeRequired: { code: 1001, class: "fatal", meaning: "the first request of a connection was not rpc.hello" },
  ProtocolVersionMismatch: { code: 1002, class: "user-action", meaning: "client and daemon speak different protocol versions: restart or upgrade one" },
  FrameTooLarge: { code: 1003, class: "user-action", meaning: "a frame has more bytes than MAX_FRAME_BYTES or more values than MAX_FRAME_VALUES; it is dropped unread, the connection goes on" },
  RequestCancelled: { code: 1004, class: "retryable", meaning: "the caller cancelled the request ($/cancel or its AbortSignal)" },
  ConnectionClosed: { code: 1005, class: "retryable", meaning: "the connection closed before the reply came" },
  DaemonNotRunning: { code: 1006, class: "user-action", meaning: "nothing answers on the socket: start atsyncd" },
  DaemonAlreadyRunning: { code: 1007, class: "user-action", meaning: "another atsyncd holds the socket or the data dir" },
  Timeout: { code: 1008, class: "retryable", meaning: "not done within the time the caller allowed; the work goes on in the background" },
  ShuttingDown: { code: 1009, class: "retryable", meaning: "the daemon, or the atSign's worker, is stopping" },
  SlowConsumer: { code: 1010, class: "retryable", meaning: "a subscriber fell too far behind and was disconnected: resubscribe with since" },
  SocketUnavailable: { code: 1011, class: "user-action", meaning: "the socket path cannot be used (too long, not a socket, not reachable)" },
  SocketPermissionDenied: { code: 1012, class: "user-action", meaning: "the socket belongs to another user" },
  FrameTooDeep: { code: 1013, class: "user-action", meaning: "a frame nests arrays and objects deeper than MAX_FRAME_DEPTH; it is dropped unread, the connection goes on" },
  SocketNotOurs: { code: 1014, class: "user-action", meaning: "the socket, or its directory, belongs to another user or others may write to it: the client sent nothing" },

  // 2xxx: identities (atSigns) and workers.
  NotOnboarded: { code: 2001, class: "user-action", meaning: "the atSign is not onboarded: atsyncd onboard" },
  AlreadyOnboarded: { code: 2002, class: "user-action", meaning: "the atSign is already onboarded (or being onboarded or offboarded)" },
  InvalidAtSign: { code: 2003, class: "user-action", meaning: "the text given as an atSign is not one" },
  InvalidAtKeys: { code: 2004, class: "user-action", meaning: "the .atKeys are not valid, or not for this atSign" },
  KeyStoreUnavailable: { code: 2005, class: "user-action", meaning: "the OS keychain or the key file cannot be used" },
  WorkerRestarting: { code: 2006, class: "retryable", meaning: "the atSign's worker crashed and is restarting: retry after data.retryAfterMs" },
  WorkerFailed: { code: 2007, class: "fatal", meaning: "the atSign's worker keeps failing and is not restarted" },
  WorkerStarting: { code: 2008, class: "retryable", meaning: "the atSign's worker is still starting (the daemon starts a few at a time): the request waited data.waitedMs for it; retry" },

  // 3xxx: keys and values.
  KeyNotFound: { code: 3001, class: "user-action", meaning: "no such key" },
  InvalidAtKey: { code: 3002, class: "user-action", meaning: "the text given as an atKey is not one" },
  ValueTooLarge: { code: 3003, class: "user-action", meaning: "the value is larger than MAX_VALUE_BYTES" },
  ReadOnlyKey: { code: 3004, class: "user-action", meaning: "the key is another atSign's, cached, or reserved: apps cannot write it" },
  DecryptionFailed: { code: 3005, class: "user-action", meaning: "the value cannot be decrypted with this atSign's keys" },
  EncryptionFailed: { code: 3006, class: "retryable", meaning: "the value cannot be encrypted or signed (often a recipient's public key that could not be looked up)" },
  ConflictNotFound: { code: 3007, class: "user-action", meaning: "no conflict with that id" },
  SubscriptionNotFound: { code: 3008, class: "user-action", meaning: "no subscription with that id on this connection" },
  InvalidRegex: { code: 3009, class: "user-action", meaning: "the regex does not compile (with the u flag)" },
  AtSignNotFound: { code: 3010, class: "user-action", meaning: "the root directory knows no atServer for that atSign (a lookup or notification of another atSign)" },
  SignatureInvalid: { code: 3011, class: "user-action", meaning: "a public value's dataSignature does not verify with its owner's public key: it is not returned, nor cached" },
  NotificationUndelivered: { code: 3012, class: "retryable", meaning: "the recipient's atServer could not be reached or refused the notification (notify:status errored)" },

  // 4xxx: sync with the atServer.
  SyncFailed: { code: 4001, class: "retryable", meaning: "a sync run failed for a reason no other code names; it retries with backoff" },
  RemoteUnavailable: { code: 4002, class: "retryable", meaning: "the atServer (or the root directory) cannot be reached" },
  AuthFailed: { code: 4003, class: "user-action", meaning: "the atServer refuses these keys or this enrollment: onboard again" },
  NeedsAttention: { code: 4004, class: "user-action", meaning: "syncing stopped until a person acts; status says why" },

  // 5xxx: browser apps on the web listener.
  AppOutOfScope: { code: 5001, class: "user-action", meaning: "a browser app asked for an atSign, a key or a method outside what the user allowed it" },
  AppAccessDenied: { code: 5002, class: "user-action", meaning: "the user denied the app's request for access (or it was withdrawn)" },
  AppRequestInvalid: { code: 5003, class: "user-action", meaning: "app.requestAccess from a connection that cannot ask (not the web listener's consent path, or too many waiting)" },
  WebPortUnavailable: { code: 5004, class: "user-action", meaning: "the web listener cannot listen on its port (another program holds it, or it needs privileges): atsyncd does not start" },
  AppsFileUnreadable: { code: 5005, class: "user-action", meaning: "apps.json (the browser apps allowed always) cannot be read or is not valid: the apps.* methods and app tokens fail until it is fixed or moved away; sync goes on" },
  WebOff: { code: 5006, class: "user-action", meaning: "the web listener is off (atsyncd web needs atsyncd run --web, or \"web\" in the config)" },
} as const satisfies Record<string, WireErrorEntry>;

/**
 * The codes the daemon's own errors carry in `err.code`. They never travel as codes (the worker's
 * error boundary turns them into wire codes, daemon/worker/toWireError.ts); they show in logs,
 * in `reason` and messages, and decide what the sync driver and the supervisor do.
 */
export const InternalErrors = {
  ATKEYS_BAD_KEY: { class: "user-action", meaning: "a key in the .atKeys file does not decrypt, or does not match its pair" },
  ATKEYS_INVALID_JSON: { class: "user-action", meaning: "the .atKeys file is not a JSON object" },
  ATKEYS_MISSING_FIELD: { class: "user-action", meaning: "the .atKeys file lacks a key it needs" },
  ATKEYS_NO_ATSIGN: { class: "user-action", meaning: "the .atKeys file names no atSign: give one" },
  ATSYNC_BAD_REPLY: { class: "retryable", meaning: "an atServer reply that cannot be trusted (not JSON, out of order, ids that do not match)" },
  ATSYNC_ILLEGAL_TRANSITION: { class: "fatal", meaning: "a bug: the sync driver tried a state move its state machine forbids; the sync loop stops" },
  ATSYNC_MISSING_ITEM: { class: "retryable", meaning: "the atServer left an item out of its batch reply" },
  ATSYNC_SERVER_RESET: { class: "retryable", meaning: "the atServer's commit id went back during a pull (its log was reset)" },
  ATSYNC_STOPPED: { class: "retryable", meaning: "the sync driver stopped (the worker is stopping): ask again once it is back" },
  ATSYNC_UNKNOWN: { class: "retryable", meaning: "a sync run threw something that is not an Error" },
  AUTH_FAILED: { class: "user-action", meaning: "the atServer refused the PKAM login (atCode says which refusal), or the keys cannot log in" },
  CONFIG_INVALID_FIELD: { class: "user-action", meaning: "a config field has a bad value" },
  CONFIG_INVALID_JSON: { class: "user-action", meaning: "the config file is not valid JSON" },
  CONFIG_UNKNOWN_FIELD: { class: "user-action", meaning: "the config file has a field atsyncd does not know" },
  CONFIG_UNREADABLE: { class: "user-action", meaning: "the config file cannot be read" },
  CRON_INVALID: { class: "user-action", meaning: "a sync schedule is not a valid cron expression" },
  CRYPTO_BAD_INPUT: { class: "user-action", meaning: "a cipher input has the wrong shape (an IV that is not 16 bytes)" },
  CRYPTO_BAD_KEY: { class: "user-action", meaning: "a key is not a usable AES or RSA key" },
  CRYPTO_DECRYPT_FAILED: { class: "user-action", meaning: "a ciphertext does not decrypt with the key given" },
  DATA_DIR_LOCKED: { class: "user-action", meaning: "another atsyncd is using the data dir" },
  DATA_DIR_NOT_OURS: { class: "user-action", meaning: "the data dir is a symlink, another user's, or writable by others (or its parent lets others replace it)" },
  ILLEGAL_TRANSITION: { class: "fatal", meaning: "a bug: the supervisor tried a worker state move its state machine forbids" },
  KEYSTORE_BAD_ATSIGN: { class: "user-action", meaning: "the text given to the key store as an atSign is not one" },
  KEYSTORE_BAD_KEYS: { class: "user-action", meaning: "keys given to the key store lack a field or belong to another atSign" },
  KEYSTORE_CORRUPT: { class: "user-action", meaning: "the key file or a keychain entry is not valid JSON or not the expected shape" },
  KEYSTORE_INSECURE_PERMISSIONS: { class: "user-action", meaning: "the key file is readable or writable by others, or owned by another user" },
  KEYSTORE_IO: { class: "user-action", meaning: "the key file cannot be read or written" },
  KEYSTORE_KEYCHAIN_FAILED: { class: "user-action", meaning: "the OS keychain refused or failed an operation" },
  REMOTE_UNAVAILABLE: { class: "retryable", meaning: "the atServer or the root directory cannot be reached (connect, TLS, timeout, closed)" },
  RUNTIME_DIR_NOT_OURS: { class: "user-action", meaning: "the socket's directory is a symlink, another user's, or writable by others (or the runtime directory holding it lets others replace it)" },
  SERVICE_BAD_PATH: { class: "user-action", meaning: "a path for the service unit cannot be used" },
  SERVICE_COMMAND_FAILED: { class: "user-action", meaning: "systemctl or launchctl failed" },
  SERVICE_IO: { class: "user-action", meaning: "the service unit cannot be written or removed" },
  SERVICE_TEMPLATE_MISSING: { class: "user-action", meaning: "the service unit template is not installed" },
  SERVICE_UNSUPPORTED: { class: "user-action", meaning: "no service manager atsyncd knows on this system" },
  SOCKET_PATH_TOO_LONG: { class: "user-action", meaning: "the socket path is longer than the OS allows" },
  STORE_BAD_KEY: { class: "user-action", meaning: "an atKey the local store refuses (empty, or with white space)" },
  STORE_CONFLICT_NOT_FOUND: { class: "user-action", meaning: "no such conflict in the local store" },
  STORE_CORRUPT: { class: "fatal", meaning: "the local store file cannot be opened or holds rows it cannot read" },
  STORE_KEY_NOT_FOUND: { class: "user-action", meaning: "no such key in the local store" },
  STORE_NOT_OURS: { class: "fatal", meaning: "a store file is a symlink, not a regular file, or another user's: the worker refuses to open it (exit StoreCorrupt)" },
  STORE_SCHEMA_TOO_NEW: { class: "fatal", meaning: "the local store was written by a newer atsyncd (the worker exits SchemaTooNew)" },
  WORKER_PROTOCOL: { class: "fatal", meaning: "a bug: a message between main and a worker thread is malformed" },
} as const satisfies Record<string, ErrorEntry>;

/**
 * Which AT codes the daemon treats alike:
 * - auth-refused: refuses the session or the enrollment, whatever command met it. A login meeting
 *   one fails with AUTH_FAILED; a change meeting one is never rejected for it (it would be lost
 *   once the user fixes the login): the run fails and waits for the user.
 * - permanent: fails the same way however often the same command is sent (bad syntax, bad key,
 *   too big, not allowed, update:meta of a key the server lacks): the change is rejected.
 * - unreachable: the atServer, or another atSign's, cannot be reached: RemoteUnavailable.
 * Every other AT code (server, datastore, timeouts, pause, unknown codes) is worth retrying.
 */
export type AtErrorGroup = "auth-refused" | "permanent" | "unreachable";

export interface AtErrorEntry extends ErrorEntry {
  readonly group?: AtErrorGroup;
}

/** The atServer's AT codes (atprotocol.md §1.2) the daemon names or acts on. */
export const AtErrors = {
  AT0003: { class: "user-action", group: "permanent", meaning: "Invalid syntax" },
  AT0005: { class: "user-action", group: "permanent", meaning: "Buffer limit exceeded: the command is too big" },
  AT0007: { class: "retryable", group: "unreachable", meaning: "Secondary server not found (the root directory knows no atServer)" },
  AT0008: { class: "retryable", meaning: "Handshake failure (the server did not answer `from` with a challenge)" },
  AT0009: { class: "user-action", group: "permanent", meaning: "Unauthorized client in request: the enrollment may not write there" },
  AT0011: { class: "retryable", meaning: "Internal server exception (also the code of a reply that names none)" },
  AT0013: { class: "retryable", group: "unreachable", meaning: "Connection Exception" },
  AT0015: { class: "user-action", group: "permanent", meaning: "key not found (an update:meta of a key the server lacks)" },
  AT0016: { class: "user-action", group: "permanent", meaning: "Invalid atKey" },
  AT0021: { class: "retryable", group: "unreachable", meaning: "Unable to connect to secondary" },
  AT0022: { class: "user-action", group: "permanent", meaning: "Illegal arguments" },
  AT0025: { class: "user-action", group: "auth-refused", meaning: "Apkam Auth Denied: the enrollment was denied" },
  AT0026: { class: "user-action", group: "auth-refused", meaning: "Apkam Auth Pending: the enrollment awaits approval" },
  AT0027: { class: "user-action", group: "auth-refused", meaning: "Apkam Auth Revoked: the enrollment was revoked" },
  AT0028: { class: "user-action", group: "auth-refused", meaning: "Too many requests or enrollment expired: the enrollment expired or is not valid" },
  AT0401: { class: "user-action", group: "auth-refused", meaning: "Client authentication failed" },
} as const satisfies Record<string, AtErrorEntry>;

type WireTable = typeof WireErrors;
export type ErrorCodeName = keyof WireTable;
export type InternalCode = keyof typeof InternalErrors;
export type AtErrorCode = keyof typeof AtErrors;

/** The wire codes by name: `ErrorCode.KeyNotFound` is 3001. */
export const ErrorCode = Object.freeze(Object.fromEntries(
  (Object.keys(WireErrors) as ErrorCodeName[]).map((name) => [name, WireErrors[name].code]),
)) as { readonly [K in ErrorCodeName]: WireTable[K]["code"] };
export type ErrorCode = (typeof ErrorCode)[ErrorCodeName];

/** The string codes by name, for code that reads them from here: `InternalCode.STORE_CORRUPT`. */
export const InternalCode = Object.freeze(Object.fromEntries(
  (Object.keys(InternalErrors) as InternalCode[]).map((code) => [code, code]),
)) as { readonly [K in InternalCode]: K };

function atCodesIn(group: AtErrorGroup): ReadonlySet<string> {
  const entries = Object.entries(AtErrors) as [AtErrorCode, AtErrorEntry][];
  return new Set(entries.filter(([, e]) => e.group === group).map(([code]) => code));
}

/** AT codes that refuse the session or the enrollment (see AtErrorGroup). */
export const AuthRefusedAtCodes = atCodesIn("auth-refused");
/** AT codes that fail the same way for this command however often it is sent (see AtErrorGroup). */
export const PermanentAtCodes = atCodesIn("permanent");
/** AT codes that say an atServer cannot be reached (see AtErrorGroup). */
export const UnreachableAtCodes = atCodesIn("unreachable");

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
