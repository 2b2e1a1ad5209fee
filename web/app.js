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
import { forgetSession, onNewSession, storedSession } from "./session.js";
import { UploadList } from "./uploads.js";

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
const uploads = new UploadList(byId("uploads"), conn);
/** @type {import("./atsigns.js").OpenUploads} */
const openUploads = (atSign, state) => void uploads.toggle(atSign, state);
// A sync changes its status many times a second: the cards follow four times a second.
const drawAtSigns = coalesce(() => {
  renderAtSigns(byId("atsign-cards"), statuses.values(), openUploads);
  keys.setAtSigns([...statuses.keys()].sort());
}, 250);
const refreshConflicts = coalesce(() => void conflicts.refresh(), 250);
const refreshApps = coalesce(() => void apps.refresh(), 100);
/** A list of uploads open follows its atSign, once a second at most (a sync changes the counts many times a second). */
/** @type {Set<string>} */
const uploadsChanged = new Set();
const refreshUploadLists = coalesce(() => {
  for (const a of uploadsChanged) void uploads.refresh(a);
  uploadsChanged.clear();
}, 1000);
/** @param {string} atSign */
function refreshUploads(atSign) {
  uploadsChanged.add(atSign);
  refreshUploadLists();
}

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
      if (uploads.shown) refreshUploads(uploads.shown.atSign);
      break;
    case "status.changed": {
      const before = statuses.get(e.atSign);
      statuses.set(e.atSign, e.status);
      drawAtSigns();
      if (before?.conflicts !== e.status.conflicts) refreshConflicts();
      if (before?.pendingUploads !== e.status.pendingUploads || before.pendingOutsideFilter !== e.status.pendingOutsideFilter
        || before.rejectedUploads !== e.status.rejectedUploads || before.lastRejected?.key !== e.status.lastRejected?.key) refreshUploads(e.atSign);
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

/** The session the connection was started with. @type {string | undefined} */
let session;

/** @param {import("./connection.js").ConnectionState} state @param {number} failures */
function onState(state, failures) {
  const el = byId("conn");
  el.dataset.state = state;
  if (state === "signed-out") {
    // atsyncd no longer knows this browser's session: it restarted, or the session ended.
    if (session !== undefined) forgetSession(session);
    signedOut(session === undefined ? "This browser is not signed in to the status page."
      : "atsyncd signed this browser out: it restarted (a restart ends every session), or the session ended after 12 hours.");
    session = undefined;
    fill(el, "signed out");
    return;
  }
  const hint = failures >= 3 ? h("span", {}, " Is atsyncd running? ", h("code", {}, "atsyncd status"), " says.") : null;
  fill(el, state === "open" ? "live" : state === "connecting" ? "connecting…" : "atsyncd cannot be reached, retrying…", hint);
  if (state === "open") delete document.body.dataset.signedOut;
}

/** Shows the sign-in note instead of the panels. @param {string} why */
function signedOut(why) {
  fill(byId("signed-out-why"), why);
  byId("signed-out").hidden = false;
  document.body.dataset.signedOut = "";
}

/** Connects with `s`, a session this browser keeps. @param {string} s */
function signIn(s) {
  session = s;
  byId("signed-out").hidden = true;
  conn.start(s);
}

// Uptime and the rate tick on their own; memory is asked for again every 5 s.
let ticks = 0;
setInterval(() => {
  if (facts) renderFacts(byId("facts"), facts);
  events.draw();
  drawAtSigns();
  if (++ticks % 5 === 0 && conn.ws?.readyState === WebSocket.OPEN) void describe().catch(() => undefined);
}, 1000);

const kept = storedSession();
if (kept === undefined) {
  signedOut("This browser is not signed in to the status page.");
  byId("conn").dataset.state = "signed-out";
  fill(byId("conn"), "signed out");
} else {
  signIn(kept);
}
// Signed in in another tab: this one goes on with that session.
onNewSession((s) => {
  if (s !== session) signIn(s);
});
