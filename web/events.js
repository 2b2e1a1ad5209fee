// @ts-check
// The live event list, newest first. Events are gathered as they come and drawn once a frame,
// the list kept to its last ROWS, so a burst of thousands a second costs a few rows a frame.
// The section's data-received and data-lag-ms attributes (events taken, and how late the latest
// arrived after the daemon stamped it) are for the benchmark and the tests.

import { h, perFrame } from "./dom.js";
import { clock, count, eventSubject, eventText } from "./format.js";

/** @typedef {import("../shared/events.js").AtsyncEvent} AtsyncEvent */

const ROWS = 200;

export class EventLog {
  /** @param {HTMLElement} section @param {HTMLElement} list @param {HTMLElement} rateEl */
  constructor(section, list, rateEl) {
    this.section = section;
    this.list = list;
    this.rateEl = rateEl;
    /** @type {AtsyncEvent[]} */
    this.queue = [];
    this.received = 0;
    this.lagMs = 0;
    /** Events taken in the current second, and in the last whole one. */
    this.thisSecond = 0;
    this.lastSecond = 0;
    this.secondStarted = Date.now();
    this.draw = perFrame(() => this.flush());
  }

  /** @param {AtsyncEvent} e */
  push(e) {
    this.received++;
    this.thisSecond++;
    this.lagMs = Date.now() - e.at;
    this.queue.push(e);
    if (this.queue.length > ROWS) this.queue.splice(0, this.queue.length - ROWS);
    this.draw();
  }

  flush() {
    const now = Date.now();
    if (now - this.secondStarted >= 1000) {
      this.lastSecond = Math.round((this.thisSecond * 1000) / (now - this.secondStarted));
      this.thisSecond = 0;
      this.secondStarted = now;
    }
    const rows = this.queue.splice(0).reverse().map((e) => h("li", { "data-kind": e.kind },
      h("time", {}, clock(e.at)),
      h("span", { class: `kind k-${e.kind.split(".")[0]}` }, e.kind),
      h("span", { class: "subject" }, eventSubject(e)),
      h("span", { class: "what" }, eventText(e))));
    this.list.prepend(...rows);
    while (this.list.childElementCount > ROWS) this.list.lastElementChild?.remove();
    this.rateEl.textContent = `${count(this.received)} received${this.lastSecond > 0 ? ` · ${count(this.lastSecond)}/s` : ""}`;
    this.section.dataset.received = String(this.received);
    this.section.dataset.lagMs = String(this.lagMs);
  }
}
