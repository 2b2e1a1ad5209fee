// update, update:meta and delete (§4; abstract_update_verb_handler.dart, delete_verb_handler.dart).
import { ServerError, syntaxError } from "../connection/ServerError.js";
import { buildMeta, METADATA_FRAGMENT } from "../store/buildMeta.js";
import { checkedFragment } from "./checkedFragment.js";
import { checkWritableKey, keyFromGroups, keyNotFound } from "./keyFromGroups.js";
import { notifyShared } from "./notify.js";
import type { Verb } from "./types.js";

const SCOPE = "(:((?<publicScope>public)|(@(?<forAtSign>[^:@\\s]+))))?";


export const updateVerb: Verb = {
  name: "update",
  accept: (c) => c.startsWith("update:") && !c.startsWith("update:meta"),
  requiresAuth: true,
  usage: "e.g. update:@alice:location@bob San Francisco",
  syntax: new RegExp(
    `^update:json:(?<json>.+)$|^update${METADATA_FRAGMENT}${SCOPE}:(?<atKey>(([^:@\\s]+)|(privatekey:at_pkam_publickey)))(@(?<atSign>[^:@\\s]+))? (?<value>.+)$`,
    "i",
  ),
  handle({ groups, server }) {
    if (groups["json"] !== undefined) throw syntaxError(updateVerb.usage);
    // Without an owner the key has no type AtKey.getKeyType accepts.
    if (groups["atSign"] === undefined && !(groups["atKey"] ?? "").startsWith("privatekey:")) {
      throw new ServerError("AT0016", "You may not update keys of type KeyType.invalidKey");
    }
    const key = keyFromGroups(groups, server.atSign);
    checkWritableKey(key, groups["atSign"], server.atSign);
    const frag = checkedFragment(groups);
    const now = server.now();
    const existing = server.store.get(key);
    const meta = buildMeta(server.atSign, existing?.meta, frag, now);
    const value = groups["value"] ?? "";
    // The server's keystore commits UPDATE_ALL for every update verb: the value is always set,
    // and so are isBinary/isEncrypted (false by default).
    const commitId = server.store.put(key, value, meta, "*");
    server.afterWrite(commitId, "update");
    notifyShared(server, key, "update", value, meta);
    return `data:${commitId}`;
  },
};

export const updateMetaVerb: Verb = {
  name: "update:meta",
  accept: (c) => c.startsWith("update:meta"),
  requiresAuth: true,
  usage: "e.g. update:meta:@alice:location@bob:ttl:60000",
  syntax: new RegExp(`^update:meta${SCOPE}:(?<atKey>[^:@]((?!:{2})[^:@])+)@(?<atSign>[^:@\\s]+)${METADATA_FRAGMENT}$`, "i"),
  handle({ groups, server }) {
    const key = keyFromGroups(groups, server.atSign);
    checkWritableKey(key, groups["atSign"], server.atSign);
    const existing = server.store.get(key);
    if (!existing) throw keyNotFound(key);
    const meta = buildMeta(server.atSign, existing.meta, checkedFragment(groups), server.now());
    const commitId = server.store.put(key, existing.value, meta, "#");
    server.afterWrite(commitId, "update");
    return `data:${commitId}`;
  },
};

export const deleteVerb: Verb = {
  name: "delete",
  accept: (c) => c.startsWith("delete:"),
  requiresAuth: true,
  usage: "e.g. delete:@alice:location@bob",
  syntax: new RegExp(
    `^delete(:priority:(low|medium|high))?(?<cached>:cached)?${SCOPE}:(?<atKey>(([^:@\\s]+)|(privatekey:at_secret)))(@(?<atSign>[^:@\\s]+))?$`,
    "i",
  ),
  handle({ groups, server }) {
    // The real handler checks neither owner nor existence: any key can be deleted, and a
    // missing one still commits a "-".
    const key = keyFromGroups(groups, server.atSign);
    const commitId = server.store.remove(key);
    if (key === "privatekey:at_secret") return `data:${commitId}`;
    server.afterWrite(commitId, "delete");
    notifyShared(server, key, "delete", null, undefined);
    return `data:${commitId}`;
  },
};
