// A key's state as the oracle compares it: absent, or a value with the metadata a client
// controls (the wire fragment), server-set times and defaults left out.
import { metaToStrings, type StoredMeta } from "../atserver/store/StoredMeta.js";
import { FRAGMENT_FIELDS, metadataFromWire, type AtMetadata } from "../protocol/metadata.js";

export type KeyState = { present: false } | { present: true; value: string; meta: string };

export const ABSENT: KeyState = Object.freeze({ present: false });

/** The fragment fields with the server's defaults removed (false booleans, 0 durations, "null" strings). */
export function clientMeta(meta: AtMetadata | null | undefined): string {
  const parts: string[] = [];
  for (const f of FRAGMENT_FIELDS) {
    const v = meta?.[f];
    if (v === undefined || v === null || v === false || v === 0 || v === "null" || v === "") continue;
    parts.push(`${f}:${String(v)}`);
  }
  return parts.join(",");
}

export function present(value: string, meta: AtMetadata | null | undefined): KeyState {
  return { present: true, value, meta: clientMeta(meta) };
}

/** The state of a key the dev-server's store holds, as a sync:from entry would carry it. */
export function serverState(value: string, meta: StoredMeta): KeyState {
  return present(value, metadataFromWire(metaToStrings(meta)));
}

export function sameState(a: KeyState, b: KeyState): boolean {
  if (!a.present || !b.present) return a.present === b.present;
  return a.value === b.value && a.meta === b.meta;
}

export function showState(s: KeyState): string {
  if (!s.present) return "(absent)";
  return s.meta === "" ? JSON.stringify(s.value) : `${JSON.stringify(s.value)} [${s.meta}]`;
}
