// @ts-check
// Browser apps: those waiting for an answer (allow once, allow always, deny, as `atsyncd apps`
// does) and those allowed (revoke).

import { fill, h, messageOf } from "./dom.js";
import { ago } from "./format.js";

/** @typedef {import("../shared/types.js").AppsListResult} AppsListResult */
/** @typedef {import("../shared/types.js").PendingApp} PendingApp */
/** @typedef {import("../shared/types.js").AllowedApp} AllowedApp */
/** @typedef {import("./connection.js").Connection} Connection */

/** @param {PendingApp | AllowedApp} a */
function scope(a) {
  return h("span", { class: "scope" }, ...a.atSigns.map((x) => h("code", {}, x)), " in ", ...a.namespaces.map((n) => h("code", {}, n)));
}

export class AppsPanel {
  /** @param {HTMLElement} el @param {Connection} conn */
  constructor(el, conn) {
    this.el = el;
    this.conn = conn;
  }

  async refresh() {
    try {
      /** @type {AppsListResult} */
      const r = await this.conn.call("apps.list", {});
      this.render(r);
    } catch (err) {
      fill(this.el, h("p", { class: "error" }, messageOf(err)));
    }
  }

  /** @param {AppsListResult} r */
  render(r) {
    const now = Date.now();
    const pending = r.pending.map((p) => h("article", { class: "card app pending", "data-request": p.requestId },
      h("header", {}, h("h3", {}, p.name), h("span", { class: "badge wait" }, "asks for access")),
      h("p", {}, h("code", {}, p.origin), " asks for ", scope(p), h("span", { class: "muted" }, ` · ${ago(p.requestedAt, now)}`)),
      h("div", { class: "actions" },
        this.button("Allow once", "primary", () => this.answer("apps.allow", { requestId: p.requestId, always: false })),
        this.button("Allow always", "", () => this.answer("apps.allow", { requestId: p.requestId, always: true })),
        this.button("Deny", "danger", () => this.answer("apps.deny", { requestId: p.requestId })))));
    const allowed = r.allowed.map((a) => h("li", { class: "app allowed", "data-app": a.appId },
      h("span", {}, h("strong", {}, a.name), " ", h("code", {}, a.origin), " ", scope(a),
        h("span", { class: "muted" }, a.always ? " · always" : " · until atsyncd stops")),
      this.button("Revoke", "danger small", () => this.answer("apps.revoke", { appId: a.appId }))));
    fill(this.el,
      ...(pending.length > 0 ? pending : [h("p", { class: "empty" }, "No app is waiting for an answer.")]),
      allowed.length > 0 ? h("h4", {}, "Allowed") : null,
      allowed.length > 0 ? h("ul", { class: "allowed-list" }, ...allowed) : null);
  }

  /** @param {string} text @param {string} cls @param {() => Promise<void>} fn */
  button(text, cls, fn) {
    return h("button", { type: "button", class: cls, onclick: () => void fn() }, text);
  }

  /** @param {string} method @param {object} params */
  async answer(method, params) {
    try {
      await this.conn.call(method, params);
    } catch (err) {
      this.el.prepend(h("p", { class: "error" }, messageOf(err)));
      return;
    }
    await this.refresh();
  }
}
