// @ts-check
// Open conflicts, both sides next to each other (decrypted by the daemon), with a button under
// each to keep it: `conflicts.resolve`, as `atsyncd conflicts resolve` does.

import { fill, h, messageOf } from "./dom.js";
import { ago } from "./format.js";

/** @typedef {import("../shared/types.js").Conflict} Conflict */
/** @typedef {import("../shared/types.js").ConflictSide} ConflictSide */
/** @typedef {import("./connection.js").Connection} Connection */

export class ConflictsPanel {
  /** @param {HTMLElement} el @param {HTMLElement} countEl @param {Connection} conn */
  constructor(el, countEl, conn) {
    this.el = el;
    this.countEl = countEl;
    this.conn = conn;
  }

  async refresh() {
    try {
      /** @type {Conflict[]} */
      const list = await this.conn.call("conflicts.list", {});
      this.render(list);
    } catch (err) {
      fill(this.el, h("p", { class: "error" }, `Cannot list the conflicts: ${messageOf(err)}`));
    }
  }

  /** @param {Conflict[]} list */
  render(list) {
    fill(this.countEl, list.length > 0 ? String(list.length) : "");
    if (list.length === 0) return fill(this.el, h("p", { class: "empty" }, "No conflict: every change on this device and the atServer agree."));
    const now = Date.now();
    fill(this.el, ...list.map((c) => h("article", { class: "card conflict", "data-conflict": c.id, "data-key": c.key },
      h("header", {}, h("h3", {}, h("code", {}, c.key)), h("span", { class: "muted" }, `${c.atSign} · ${ago(c.detectedAt, now)} · ${c.policy}`)),
      h("div", { class: "sides" }, this.side(c, "local", "This device", c.local), this.side(c, "remote", "The atServer", c.remote)))));
  }

  /** @param {Conflict} c @param {"local" | "remote"} which @param {string} title @param {ConflictSide} side */
  side(c, which, title, side) {
    const updated = side.metadata?.updatedAt;
    return h("section", { class: `side${c.applied === which ? " applied" : ""}`, "data-side": which },
      h("h4", {}, title, c.applied === which ? h("span", { class: "badge ok" }, "kept now") : null),
      side.deleted ? h("p", { class: "muted" }, "deleted") : h("pre", { class: "value" }, side.value ?? "(cannot be shown)"),
      updated ? h("p", { class: "muted" }, `updated ${updated}`) : null,
      h("button", { type: "button", class: "primary", onclick: () => void this.resolve(c, which) }, `Keep ${which === "local" ? "this device's" : "the atServer's"}`));
  }

  /** @param {Conflict} c @param {"local" | "remote"} choose */
  async resolve(c, choose) {
    try {
      await this.conn.call("conflicts.resolve", { atSign: c.atSign, id: c.id, choose });
    } catch (err) {
      this.el.prepend(h("p", { class: "error" }, `Cannot resolve ${c.key}: ${messageOf(err)}`));
      return;
    }
    await this.refresh();
  }
}
