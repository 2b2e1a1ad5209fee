// @ts-check
// Numbers, times and events as the status page shows them. No DOM here: test/web/format.test.ts
// runs these in Node.

/** @typedef {import("../shared/events.js").AtsyncEvent} AtsyncEvent */
/** @typedef {import("../shared/status.js").SyncStatus} SyncStatus */

/** @param {number} n */
export function bytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** A span of time, the two largest units: "45 s", "3 min 20 s", "2 h 5 min", "3 d 4 h". @param {number} ms */
export function duration(ms) {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const [d, h, m] = [Math.floor(s / 86400), Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60)];
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  return s % 60 > 0 ? `${m} min ${s % 60} s` : `${m} min`;
}

/** "just now", "12 s ago", "3 min ago". @param {number} at @param {number} now */
export function ago(at, now) {
  return now - at < 1000 ? "just now" : `${duration(now - at).split(" ").slice(0, 2).join(" ")} ago`;
}

/** Per second, as the status gives it (null: not known yet). @param {number | null} perSecond */
export function rate(perSecond) {
  if (perSecond === null) return "";
  return `${perSecond < 10 ? perSecond.toFixed(perSecond < 1 ? 2 : 1) : Math.round(perSecond).toLocaleString("en")}/s`;
}

/** "1,234" @param {number} n */
export function count(n) {
  return n.toLocaleString("en");
}

/** "1 conflict", "2 conflicts" @param {number} n @param {string} word */
export function plural(n, word) {
  return `${count(n)} ${word}${n === 1 ? "" : "s"}`;
}

/** 24-hour local clock time with seconds. @param {number} at */
export function clock(at) {
  const d = new Date(at);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((x) => String(x).padStart(2, "0")).join(":");
}

/** The word for an atSign's state, and how it looks ("ok", "busy", "wait", "off", "bad"). @param {SyncStatus} s */
export function stateOf(s) {
  switch (s.state.kind) {
    case "online":
      return s.inSync ? { text: "in sync", tone: "ok" } : { text: "online", tone: "busy" };
    case "syncing":
      return { text: "syncing", tone: "busy" };
    case "starting":
      return { text: "starting", tone: "wait" };
    case "connecting":
      return { text: s.state.attempt > 1 ? `connecting (try ${s.state.attempt})` : "connecting", tone: "wait" };
    case "backoff":
      return { text: "retrying", tone: "wait" };
    case "offline":
      return { text: "offline", tone: "off" };
    case "needs-attention":
      return { text: "needs attention", tone: "bad" };
  }
}

/** One line for the live event list: what happened, and to what. @param {AtsyncEvent} e @returns {string} */
export function eventText(e) {
  switch (e.kind) {
    case "snapshot":
      return `${e.resync ? "reconnected (resync)" : "subscribed"}: ${plural(e.statuses.length, "atSign")}`;
    case "key.changed":
      return `${e.op === "delete" ? "deleted" : e.op === "updateMeta" ? "metadata of" : "changed"} ${e.key} (${e.origin === "local" ? "here" : "from the atServer"})`;
    case "sync.started":
      return "sync started";
    case "sync.completed":
      return `synced ↑${count(e.counts.uploaded)} ↓${count(e.counts.downloaded)} in ${duration(e.durationMs)}`
        + (e.counts.conflicts > 0 ? `, ${plural(e.counts.conflicts, "conflict")}` : "") + (e.counts.rejected > 0 ? `, ${count(e.counts.rejected)} rejected` : "");
    case "sync.failed":
      return `sync failed after ${duration(e.durationMs)}: ${e.error.message}`;
    case "conflict.detected":
      return `conflict on ${e.key} (${e.policy})`;
    case "change.rejected":
      return `the atServer rejected ${e.key}: ${e.error.message}`;
    case "state.changed":
      return `${e.from} → ${e.to} after ${duration(e.durationMs)}`;
    case "status.changed":
      return `status: ${stateOf(e.status).text}, ${count(e.status.pendingUploads)} pending`;
    case "notification.received":
      return `notification from ${e.from}: ${e.operation} ${e.key}`;
    case "notification.statusChanged":
      return `notification to ${e.to}: ${e.status}${e.error ? ` (${e.error.message})` : ""}`;
    case "app.access.requested":
      return `app "${e.name}" from ${e.origin} asks for ${e.atSigns.join(", ")} [${e.namespaces.join(", ")}]`;
  }
}

/** Whom an event is about: its atSign, or "" for the daemon's own. @param {AtsyncEvent} e */
export function eventSubject(e) {
  return "atSign" in e ? e.atSign : "";
}
