// @ts-check
// The live event list, newest first. Events are gathered as they come and drawn ten times a
// second, the list kept to its last ROWS, so thousands a second cost a few hundred rows a second
// (drawn every frame, the layouts alone took a fifth of the page's time at 500 events/s).
// The section's data attributes are for the benchmark and the tests: data-received (events taken),
// data-seq (the latest one's), data-lag-ms and data-max-lag-ms (how late the latest, and the
// latest of all, arrived after the daemon stamped it).

import { coalesce, h } from "./dom.js";
import { clock, count, eventSubject, eventText } from "./format.js";

/** @typedef {import("../shared/events.js").AtsyncEvent} AtsyncEvent */

const ROWS = 200;
const DRAW_MS = 100;

export class EventLog {
  /** @param {HTMLElement} section @param {HTMLElement} list @param {HTMLElement} rateEl */
  constructor(section, list, rateEl) {
    this.section = section;
    this.list = list;
    this.rateEl = rateEl;
    /** @type {AtsyncEvent[]} */
    this.queue = [];
    this.received = 0;
    this.seq = 0;
    this.lagMs = 0;
    this.maxLagMs = 0;
    /** Events taken in the current second, and in the last whole one. */
    this.thisSecond = 0;
    this.lastSecond = 0;
    this.secondStarted = Date.now();
    this.draw = coalesce(() => this.flush(), DRAW_MS);
  }

  /** @param {AtsyncEvent} e */
  push(e) {
    this.received++;
    this.thisSecond++;
    this.seq = e.seq;
    this.lagMs = Date.now() - e.at;
    if (this.lagMs > this.maxLagMs) this.maxLagMs = this.lagMs;
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
    const rows = this.queue.splice(0).reverse().map((e) => {
      const what = eventText(e);
      return h("li", { "data-kind": e.kind, title: what },
        h("time", {}, clock(e.at)),
        h("span", { class: `kind k-${e.kind.split(".")[0]}` }, e.kind),
        h("span", { class: "subject" }, eventSubject(e)),
        h("span", { class: "what" }, what));
    });
    this.list.prepend(...rows);
    while (this.list.childElementCount > ROWS) this.list.lastElementChild?.remove();
    this.rateEl.textContent = `${count(this.received)} received${this.lastSecond > 0 ? ` · ${count(this.lastSecond)}/s` : ""}`;
    Object.assign(this.section.dataset, { received: this.received, seq: this.seq, lagMs: this.lagMs, maxLagMs: this.maxLagMs });
  }
}
