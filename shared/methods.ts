// Every RPC method, declared once (house-style §14). The `Methods` table is sorted by
// name and a test keeps it so. Params are validated here, at the edge, by the
// descriptor's validator; results are typed only (the daemon is trusted).

import { ATKEY_PATTERN, ATSIGN_PATTERN, MAX_ATKEY_LENGTH, parseAtKey } from "./atKey.js";
import { AtsyncError, ErrorCode } from "./errors.js";
import { EventKinds } from "./events.js";
import { method } from "./method.js";
import { MAX_LIST_LIMIT, MAX_VALUE_BYTES } from "./protocol.js";
import { arrayOf, bool, int, literal, obj, optional, regexSource, str, tagged, type Validator } from "./schema.js";
import type { SyncStatus } from "./status.js";
import type * as T from "./types.js";

const atSign = str({ maxBytes: 255, pattern: ATSIGN_PATTERN, patternName: "an atSign such as \"@alice\"", patternCode: ErrorCode.InvalidAtSign });

const atKeyShape = str({ maxBytes: 4 * MAX_ATKEY_LENGTH, tooLargeCode: ErrorCode.InvalidAtKey, pattern: ATKEY_PATTERN,
  patternName: "an atKey such as \"phone.wavi@alice\", \"public:phone.wavi@alice\" or \"@bob:phone.wavi@alice\"",
  patternCode: ErrorCode.InvalidAtKey });

const anyAtKey: Validator<string> = (value, path) => {
  const s = atKeyShape(value, path);
  if (s.length > MAX_ATKEY_LENGTH) {
    throw new AtsyncError(ErrorCode.InvalidAtKey, `invalid params: '${path}' is longer than ${MAX_ATKEY_LENGTH} characters`, { path });
  }
  return s;
};

const value = str({ maxBytes: MAX_VALUE_BYTES, tooLargeCode: ErrorCode.ValueTooLarge });

const putMetadata = obj({
  ttl: optional(int({ min: 0 })),
  ttb: optional(int({ min: 0 })),
  ttr: optional(int({ min: -1 })),
  ccd: optional(bool()),
  isBinary: optional(bool()),
});

/** A key the atSign may write: its own, and not a cached copy of someone else's. */
function checkWritable(owner: string, key: string, path: string): void {
  const parts = parseAtKey(key);
  if (!parts) return; // already refused by the pattern
  if (parts.cached) throw new AtsyncError(ErrorCode.ReadOnlyKey, `invalid params: '${path}' is a cached copy and cannot be written`, { path });
  if (parts.owner.toLowerCase() !== owner.toLowerCase()) {
    throw new AtsyncError(ErrorCode.InvalidAtKey, `invalid params: '${path}' belongs to ${parts.owner}, not ${owner}`, { path });
  }
}

function writable<P extends { atSign: string; key: string }>(v: Validator<P>): Validator<P> {
  return (input, path) => {
    const p = v(input, path);
    checkWritable(p.atSign, p.key, "key");
    return p;
  };
}

const keyRef = obj({ atSign, key: anyAtKey });

const putManyItem = tagged("op", {
  put: obj({ op: literal("put"), key: anyAtKey, value, metadata: optional(putMetadata) }),
  delete: obj({ op: literal("delete"), key: anyAtKey }),
});

const putMany: Validator<T.KeysPutManyParams> = (input, path) => {
  const p = obj({ atSign, items: arrayOf(putManyItem, { min: 1, max: 10_000 }) })(input, path);
  p.items.forEach((item, i) => checkWritable(p.atSign, item.key, `items[${i}].key`));
  return p;
};

const namespace = str({ minLength: 1, maxBytes: 255, pattern: /^\w+$/u, patternName: "a namespace such as \"wavi\"" });
const requestId = str({ minLength: 1, maxBytes: 64 });

/**
 * What a web page may call itself, shown to the user who answers it (`atsyncd apps list`, the
 * status page): no control characters (a `\r` or an escape sequence rewrites the terminal's line)
 * and no bidi controls (which reorder what is shown).
 */
const APP_NAME_PATTERN = /^[^\p{Cc}\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]+$/u;

export const AppRequestAccess = method<"app.requestAccess", T.AppRequestAccessParams, T.AppRequestAccessResult>(
  "app.requestAccess", obj({
    name: str({ minLength: 1, maxBytes: 128, pattern: APP_NAME_PATTERN, patternName: "a name without control or bidi characters" }),
    atSigns: arrayOf(atSign, { min: 1, max: 16 }),
    namespaces: arrayOf(namespace, { min: 1, max: 64 }),
    origin: optional(str({ maxBytes: 512 })),
  }));
export const AppsAllow = method<"apps.allow", T.AppsAllowParams, T.AllowedApp>("apps.allow", obj({ requestId, always: optional(bool()) }));
export const AppsDeny = method<"apps.deny", T.AppsDenyParams, T.AppsDenyResult>("apps.deny", obj({ requestId }));
export const AppsList = method<"apps.list", T.AppsListParams, T.AppsListResult>("apps.list", obj({}));
export const AppsRevoke = method<"apps.revoke", T.AppsRevokeParams, T.AppsRevokeResult>("apps.revoke", obj({ appId: requestId }));
export const AtSignsList = method<"atsigns.list", T.AtSignsListParams, T.AtSignSummary[]>("atsigns.list", obj({}));
export const ConflictsList = method<"conflicts.list", T.ConflictsListParams, T.Conflict[]>(
  "conflicts.list", obj({ atSign: optional(atSign), includeResolved: optional(bool()) }));
export const ConflictsResolve = method<"conflicts.resolve", T.ConflictsResolveParams, T.Conflict>(
  "conflicts.resolve", obj({ atSign, id: str({ minLength: 1, maxBytes: 256 }), choose: literal("local", "remote") }));
export const DaemonDescribe = method<"daemon.describe", T.DaemonDescribeParams, T.DaemonDescribeResult>("daemon.describe", obj({}));
export const DaemonShutdown = method<"daemon.shutdown", T.DaemonShutdownParams, T.DaemonShutdownResult>("daemon.shutdown", obj({}));
export const EventsSubscribe = method<"events.subscribe", T.EventsSubscribeParams, T.EventsSubscribeResult>(
  "events.subscribe", obj({
    since: optional(int({ min: 0 })),
    epoch: optional(str({ maxBytes: 128 })),
    atSigns: optional(arrayOf(atSign, { max: 1000 })),
    namespaces: optional(arrayOf(str({ minLength: 1, maxBytes: 255, pattern: /^\w+$/u, patternName: "a namespace such as \"wavi\"" }), { max: 1000 })),
    regex: optional(regexSource()),
    kinds: optional(arrayOf(literal(...EventKinds), { max: EventKinds.length })),
  }));
export const EventsUnsubscribe = method<"events.unsubscribe", T.EventsUnsubscribeParams, T.EventsUnsubscribeResult>(
  "events.unsubscribe", obj({ subscriptionId: str({ minLength: 1, maxBytes: 256 }) }));
export const IdentitiesOffboard = method<"identities.offboard", T.IdentitiesOffboardParams, T.IdentitiesOffboardResult>(
  "identities.offboard", obj({ atSign }));
export const IdentitiesOnboard = method<"identities.onboard", T.IdentitiesOnboardParams, T.IdentitiesOnboardResult>(
  "identities.onboard", obj({ atSign, atKeys: str({ minLength: 2, maxBytes: 1024 * 1024 }) }));
export const KeysDelete = method<"keys.delete", T.KeysDeleteParams, T.KeysDeleteResult>("keys.delete", writable(keyRef));
export const KeysGet = method<"keys.get", T.KeysGetParams, T.KeysGetResult>("keys.get", keyRef);
export const KeysGetMeta = method<"keys.getMeta", T.KeysGetMetaParams, T.KeysGetMetaResult>("keys.getMeta", keyRef);
export const KeysList = method<"keys.list", T.KeysListParams, T.KeysListResult>(
  "keys.list", obj({
    atSign,
    regex: optional(regexSource()),
    namespace: optional(str({ minLength: 1, maxBytes: 255, pattern: /^\w+$/u, patternName: "a namespace such as \"wavi\"" })),
    showHidden: optional(bool()),
    limit: optional(int({ min: 1, max: MAX_LIST_LIMIT })),
    cursor: optional(str({ minLength: 1, maxBytes: 4096 })),
  }));
export const KeysLookup = method<"keys.lookup", T.KeysLookupParams, T.KeysLookupResult>(
  "keys.lookup", obj({ atSign, key: anyAtKey, bypassCache: optional(bool()) }));
export const KeysPut = method<"keys.put", T.KeysPutParams, T.KeysPutResult>(
  "keys.put", writable(obj({ atSign, key: anyAtKey, value, metadata: optional(putMetadata) })));
export const KeysPutMany = method<"keys.putMany", T.KeysPutManyParams, T.KeysPutManyResult>("keys.putMany", putMany);
export const NotificationsSend = method<"notifications.send", T.NotificationsSendParams, T.NotificationsSendResult>(
  "notifications.send", obj({
    atSign,
    to: atSign,
    key: optional(str({ minLength: 1, maxBytes: 4 * MAX_ATKEY_LENGTH, pattern: /^[^\s]+$/u, patternName: "a key without white space", patternCode: ErrorCode.InvalidAtKey })),
    value: optional(value),
    delete: optional(bool()),
    text: optional(str({ minLength: 1, maxBytes: 64 * 1024, pattern: /^[^@\r\n]+$/u, patternName: "one line of text without \"@\"" })),
    ttr: optional(int({ min: -1 })),
    ccd: optional(bool()),
    ttln: optional(int({ min: 1, max: 30 * 24 * 3600 * 1000 })),
    wait: optional(bool()),
    timeoutMs: optional(int({ min: 1, max: 24 * 3600 * 1000 })),
  }));
export const RpcHello = method<"rpc.hello", T.HelloParams, T.HelloResult>(
  "rpc.hello", obj({ protocolVersion: int({ min: 0 }), client: str({ maxBytes: 256 }) }));
export const StatusGet = method<"status.get", T.StatusGetParams, SyncStatus[]>("status.get", obj({ atSign: optional(atSign) }));
export const SyncNow = method<"sync.now", T.SyncNowParams, T.SyncNowResult>(
  "sync.now", obj({ atSign: optional(atSign), wait: optional(bool()), timeoutMs: optional(int({ min: 1, max: 24 * 3600 * 1000 })) }));
export const UploadsList = method<"uploads.list", T.UploadsListParams, T.UploadsListResult>(
  "uploads.list", obj({
    atSign,
    state: literal("pending", "rejected"),
    after: optional(str({ minLength: 1, maxBytes: 4 * MAX_ATKEY_LENGTH })),
    limit: optional(int({ min: 1, max: 500 })),
  }));
export const WebLogin = method<"web.login", T.WebLoginParams, T.WebLoginResult>("web.login", obj({}));

/** Every method by wire name, sorted. */
export const Methods = {
  "app.requestAccess": AppRequestAccess,
  "apps.allow": AppsAllow,
  "apps.deny": AppsDeny,
  "apps.list": AppsList,
  "apps.revoke": AppsRevoke,
  "atsigns.list": AtSignsList,
  "conflicts.list": ConflictsList,
  "conflicts.resolve": ConflictsResolve,
  "daemon.describe": DaemonDescribe,
  "daemon.shutdown": DaemonShutdown,
  "events.subscribe": EventsSubscribe,
  "events.unsubscribe": EventsUnsubscribe,
  "identities.offboard": IdentitiesOffboard,
  "identities.onboard": IdentitiesOnboard,
  "keys.delete": KeysDelete,
  "keys.get": KeysGet,
  "keys.getMeta": KeysGetMeta,
  "keys.list": KeysList,
  "keys.lookup": KeysLookup,
  "keys.put": KeysPut,
  "keys.putMany": KeysPutMany,
  "notifications.send": NotificationsSend,
  "rpc.hello": RpcHello,
  "status.get": StatusGet,
  "sync.now": SyncNow,
  "uploads.list": UploadsList,
  "web.login": WebLogin,
} as const;

export type MethodName = keyof typeof Methods;
