// @ts-check
// The changes of one atSign the atServer has not taken, opened from its card: the keys waiting to
// be uploaded (or kept on this device, outside the selective-sync filter) and the keys it rejected
// for good, each with why, a page at a time (`uploads.list`). An open list follows its atSign's
// status: when the counts change it is read again, as far as it was shown.

import { fill, h, messageOf } from "./dom.js";
import { ago, count, duration, plural } from "./format.js";

/** @typedef {import("../shared/types.js").UploadItem} UploadItem */
/** @typedef {import("../shared/types.js").UploadState} UploadState */
/** @typedef {import("../shared/types.js").UploadsListResult} UploadsListResult */
/** @typedef {import("./connection.js").Connection} Connection */

const PAGE = 50;
/** What uploads.list gives at most in one page. */
const MAX_PAGE = 500;
const OP = { update: "changed", updateMeta: "metadata changed", delete: "deleted" };

/** The line under a key: what waits, since when, and why. @param {UploadItem} item @param {UploadState} state @param {number} now */
export function uploadText(item, state, now) {
  const what = `${OP[item.op]} ${ago(item.since, now)}`;
  if (state === "rejected") return `${what}; refused${item.error ? `: ${[item.error.code, item.error.reason].filter(Boolean).join(" ")}` : ""}`;
  const parts = [item.changes > 1 ? `${what}, ${plural(item.changes, "change")}` : what];
  if (item.outsideFilter) parts.push("kept on this device: outside the selective-sync filter");
  if (item.attempts > 0) {
    const retry = item.nextRetryAt === null ? "" : item.nextRetryAt > now ? `, next try in ${duration(item.nextRetryAt - now)}` : ", trying again";
    parts.push(`failed ${plural(item.attempts, "time")}${retry}${item.error ? `: ${[item.error.code, item.error.reason].filter(Boolean).join(" ")}` : ""}`);
  }
  return parts.join("; ");
}

export class UploadList {
  /** @param {HTMLElement} el @param {Connection} conn */
  constructor(el, conn) {
    this.el = el;
    this.conn = conn;
    /** @type {{ atSign: string, state: UploadState } | undefined} */
    this.shown = undefined;
    /** @type {UploadItem[]} */
    this.items = [];
    /** @type {string | null} */
    this.next = null;
    this.total = 0;
  }

  /** Opens the list of `atSign`'s keys in `state` (again: closes it). @param {string} atSign @param {UploadState} state */
  async toggle(atSign, state) {
    if (this.shown?.atSign === atSign && this.shown.state === state) return this.close();
    this.shown = { atSign, state };
    this.items = [];
    this.next = null;
    await this.load(PAGE, undefined);
  }

  close() {
    this.shown = undefined;
    this.items = [];
    this.el.hidden = true;
    fill(this.el);
  }

  /** The counts of the atSign shown changed: read the list again, as far as it was shown. @param {string} atSign */
  async refresh(atSign) {
    if (this.shown?.atSign !== atSign) return;
    await this.load(Math.min(MAX_PAGE, Math.max(PAGE, this.items.length)), undefined);
  }

  /** @param {number} limit @param {string | undefined} after */
  async load(limit, after) {
    const shown = this.shown;
    if (!shown) return;
    try {
      /** @type {UploadsListResult} */
      const r = await this.conn.call("uploads.list", { atSign: shown.atSign, state: shown.state, limit, ...(after !== undefined ? { after } : {}) });
      if (this.shown !== shown) return;
      this.items = after === undefined ? r.items : [...this.items, ...r.items];
      this.next = r.next;
      this.total = r.total;
      this.render();
    } catch (err) {
      if (this.shown !== shown) return;
      this.el.hidden = false;
      fill(this.el, h("p", { class: "error" }, `Cannot list the ${shown.state} uploads of ${shown.atSign}: ${messageOf(err)}`));
    }
  }

  render() {
    const shown = this.shown;
    if (!shown) return;
    const now = Date.now();
    const title = shown.state === "pending" ? `Waiting to be uploaded: ${plural(this.total, "key")} of ${shown.atSign}`
      : `Rejected by the atServer for good: ${plural(this.total, "key")} of ${shown.atSign}`;
    const hint = shown.state === "rejected" ? h("p", { class: "muted" }, "Write such a key again (or delete it) to replace the refused change.") : null;
    this.el.hidden = false;
    fill(this.el,
      h("header", {},
        h("h3", {}, title),
        h("button", { type: "button", class: "small", "data-close": "", onclick: () => this.close() }, "Close")),
      hint,
      this.items.length === 0 ? h("p", { class: "empty" }, shown.state === "pending" ? "Nothing waits: every change is uploaded." : "No change is rejected.") : null,
      h("ul", { class: "upload-list", "data-state": shown.state },
        ...this.items.map((item) => h("li", { "data-key": item.key },
          h("code", {}, item.key),
          h("span", { class: item.error && shown.state === "rejected" ? "why error" : "why muted" }, uploadText(item, shown.state, now))))),
      this.next !== null ? h("button", {
        type: "button", class: "small", "data-more": "",
        onclick: () => void this.load(PAGE, this.next ?? undefined),
      }, `Show ${count(Math.max(1, Math.min(PAGE, this.total - this.items.length)))} more of ${count(Math.max(1, this.total - this.items.length))}`) : null);
  }
}
