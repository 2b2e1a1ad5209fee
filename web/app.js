// @ts-check
// The status page: one connection to the daemon, every event through it, each panel redrawn
// from what the events say (the atSigns' statuses at once, lists re-read when they change).

import { renderAtSigns } from "./atsigns.js";
import { AppsPanel } from "./apps.js";
import { ConflictsPanel } from "./conflicts.js";
import { Connection } from "./connection.js";
import { byId, coalesce, fill, h } from "./dom.js";
import { EventLog } from "./events.js";
import { renderFacts } from "./facts.js";
import { KeyBrowser } from "./keys.js";

/** @typedef {import("../shared/events.js").AtsyncEvent} AtsyncEvent */
/** @typedef {import("../shared/status.js").SyncStatus} SyncStatus */
/** @typedef {import("../shared/types.js").DaemonDescribeResult} DaemonDescribeResult */

const protocolVersion = Number(document.querySelector("meta[name=atsyncd-protocol]")?.getAttribute("content"));

/** @type {Map<string, SyncStatus>} */
const statuses = new Map();
/** @type {DaemonDescribeResult | undefined} */
let facts;

const conn = new Connection({
  url: `ws://${location.host}/page`,
  protocolVersion,
  onEvent,
  onState,
  // A failed first read leaves the panels empty; the events that follow fill them.
  onOpen: () => void opened().catch(() => undefined),
});
const conflicts = new ConflictsPanel(byId("conflict-list"), byId("conflict-count"), conn);
const apps = new AppsPanel(byId("app-list"), conn);
const keys = new KeyBrowser(conn);
const events = new EventLog(byId("events"), byId("event-list"), byId("event-rate"));
// A sync changes its status many times a second: the cards follow four times a second.
const drawAtSigns = coalesce(() => {
  renderAtSigns(byId("atsign-cards"), statuses.values());
  keys.setAtSigns([...statuses.keys()].sort());
}, 250);
const refreshConflicts = coalesce(() => void conflicts.refresh(), 250);
const refreshApps = coalesce(() => void apps.refresh(), 100);

async function opened() {
  /** @type {SyncStatus[]} */
  const list = await conn.call("status.get", {});
  for (const s of list) statuses.set(s.atSign, s);
  drawAtSigns();
  await Promise.all([conflicts.refresh(), apps.refresh(), describe()]);
}

async function describe() {
  facts = await conn.call("daemon.describe", {});
  if (facts) renderFacts(byId("facts"), facts);
}

/** @param {AtsyncEvent} e */
function onEvent(e) {
  events.push(e);
  switch (e.kind) {
    case "snapshot":
      statuses.clear();
      for (const s of e.statuses) statuses.set(s.atSign, s);
      drawAtSigns();
      refreshConflicts();
      break;
    case "status.changed": {
      const before = statuses.get(e.atSign);
      statuses.set(e.atSign, e.status);
      drawAtSigns();
      if (before?.conflicts !== e.status.conflicts) refreshConflicts();
      break;
    }
    case "conflict.detected":
      refreshConflicts();
      break;
    case "app.access.requested":
      refreshApps();
      break;
    case "key.changed":
      keys.onKeyChanged(e);
      break;
    default:
  }
}

/** @param {import("./connection.js").ConnectionState} state @param {number} failures */
function onState(state, failures) {
  const el = byId("conn");
  el.dataset.state = state;
  const hint = failures >= 3 ? h("span", {}, " If this lasts, run ", h("code", {}, "atsyncd web"), " for a new link: a restart of atsyncd ends the session.") : null;
  fill(el, state === "open" ? "live" : state === "connecting" ? "connecting…" : "disconnected, retrying…", hint);
}

// Uptime and the rate tick on their own; memory is asked for again every 5 s.
let ticks = 0;
setInterval(() => {
  if (facts) renderFacts(byId("facts"), facts);
  events.draw();
  drawAtSigns();
  if (++ticks % 5 === 0 && conn.ws?.readyState === WebSocket.OPEN) void describe().catch(() => undefined);
}, 1000);

conn.start();
