// @ts-check
// The key browser: an atSign's keys by namespace or regex (`keys.list`), and a key's value,
// decrypted by the daemon, on click (`keys.get`). A listing shown follows changes to its atSign.

import { byId, coalesce, fill, h, messageOf } from "./dom.js";
import { count } from "./format.js";

/** @typedef {import("../shared/types.js").KeysGetResult} KeysGetResult */
/** @typedef {import("../shared/events.js").KeyChangedEvent} KeyChangedEvent */
/** @typedef {import("./connection.js").Connection} Connection */

/** Keys shown at once; the count says how many more matched. */
const SHOWN = 500;
/** Metadata worth a line under the value. */
const META = /** @type {const} */ (["updatedAt", "createdAt", "ttl", "ttr", "isEncrypted", "isBinary", "sharedKeyEnc"]);

export class KeyBrowser {
  /** @param {Connection} conn */
  constructor(conn) {
    this.conn = conn;
    this.form = /** @type {HTMLFormElement} */ (byId("key-form"));
    this.atSign = /** @type {HTMLSelectElement} */ (byId("key-atsign"));
    this.mode = /** @type {HTMLSelectElement} */ (byId("key-mode"));
    this.query = /** @type {HTMLInputElement} */ (byId("key-query"));
    this.hidden = /** @type {HTMLInputElement} */ (byId("key-hidden"));
    this.list = byId("key-list");
    this.value = byId("key-value");
    /** @type {{ atSign: string, params: object } | undefined} */
    this.shown = undefined;
    /** @type {string | undefined} */
    this.selected = undefined;
    this.relist = coalesce(() => void this.load(), 1000);
    this.form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      void this.submit();
    });
    this.mode.addEventListener("change", () => {
      this.query.placeholder = this.mode.value === "regex" ? "^phone\\." : "wavi (empty: every key)";
    });
  }

  /** The atSigns to choose from (the first one chosen). @param {string[]} atSigns */
  setAtSigns(atSigns) {
    const current = this.atSign.value;
    const none = atSigns.length === 0;
    for (const c of this.form.elements) /** @type {HTMLInputElement} */ (c).disabled = none;
    if ([...this.atSign.options].map((o) => o.value).join() === atSigns.join() && this.atSign.options.length + atSigns.length > 0) return;
    if (!this.shown) fill(this.list, none ? h("li", { class: "empty" }, "No atSign to browse: onboard one first.") : null);
    fill(this.atSign, ...atSigns.map((a) => h("option", { value: a, selected: a === current }, a)));
  }

  async submit() {
    if (this.atSign.value === "") return;
    const q = this.query.value.trim();
    /** @type {Record<string, unknown>} */
    const params = { atSign: this.atSign.value, showHidden: this.hidden.checked };
    if (q !== "") params[this.mode.value === "regex" ? "regex" : "namespace"] = q;
    this.shown = { atSign: this.atSign.value, params };
    this.selected = undefined;
    fill(this.value);
    await this.load();
  }

  async load() {
    const shown = this.shown;
    if (!shown) return;
    try {
      /** @type {{ keys: string[] }} */
      const r = await this.conn.call("keys.list", shown.params);
      const keys = r.keys.slice(0, SHOWN);
      fill(this.list,
        ...keys.map((k) => h("li", {}, h("button", { type: "button", class: `key${k === this.selected ? " selected" : ""}`, "data-key": k, onclick: () => void this.open(k) }, k))),
        r.keys.length === 0 ? h("li", { class: "empty" }, "No key matches.") : null,
        r.keys.length > SHOWN ? h("li", { class: "muted" }, `and ${count(r.keys.length - SHOWN)} more: narrow the search`) : null);
    } catch (err) {
      fill(this.list, h("li", { class: "error" }, messageOf(err)));
    }
  }

  /** @param {string} key */
  async open(key) {
    const atSign = this.shown?.atSign;
    if (atSign === undefined) return;
    this.selected = key;
    for (const b of this.list.querySelectorAll("button.key")) b.classList.toggle("selected", b.getAttribute("data-key") === key);
    try {
      /** @type {KeysGetResult} */
      const r = await this.conn.call("keys.get", { atSign, key });
      const meta = META.filter((m) => r.metadata[m] !== undefined).map((m) => h("div", {}, h("dt", {}, m), h("dd", {}, String(r.metadata[m]))));
      fill(this.value, h("h4", {}, h("code", {}, r.key)), h("pre", { class: "value", id: "key-value-text" }, r.value), h("dl", { class: "meta" }, ...meta));
    } catch (err) {
      fill(this.value, h("h4", {}, h("code", {}, key)), h("p", { class: "error" }, messageOf(err)));
    }
  }

  /** A key changed: the listing shown follows, and the value open too. @param {KeyChangedEvent} e */
  onKeyChanged(e) {
    if (this.shown?.atSign !== e.atSign) return;
    this.relist();
    if (e.key === this.selected) void this.open(e.key);
  }
}
