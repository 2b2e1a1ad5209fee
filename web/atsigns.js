// @ts-check
// One card per atSign from its SyncStatus: the state, each phase's progress with its rate and
// time left, what waits to be uploaded, what the atServer rejected, conflicts, the last errors.

import { fill, h } from "./dom.js";
import { ago, count, duration, plural, rate, stateOf } from "./format.js";

/** @typedef {import("../shared/status.js").SyncStatus} SyncStatus */
/** @typedef {import("../shared/status.js").PhaseProgress} PhaseProgress */

/** @param {string} label @param {PhaseProgress | null} p */
function phase(label, p) {
  if (p === null) return null;
  const left = p.etaMs === null ? "" : `${duration(p.etaMs)} left`;
  return h("div", { class: "phase" },
    h("span", { class: "phase-label" }, label),
    h("progress", { max: Math.max(1, p.total), value: p.done }),
    h("span", { class: "phase-figures" }, `${count(p.done)} / ${count(p.total)}`, " ", h("span", { class: "muted" }, [rate(p.perSecond), left].filter(Boolean).join(" · "))));
}

/**
 * A count; with `open` and above 0, a button that opens the list of what it counts.
 * @param {string} label @param {number} n @param {string} [tone] @param {() => void} [open]
 */
function figure(label, n, tone, open) {
  const cls = `figure${n > 0 && tone ? ` ${tone}` : ""}`;
  if (open && n > 0) return h("button", { type: "button", class: `${cls} opens`, title: `list them: ${label}`, onclick: open }, h("strong", {}, count(n)), h("span", {}, label));
  return h("div", { class: cls }, h("strong", {}, count(n)), h("span", {}, label));
}

/** @typedef {(atSign: string, state: import("../shared/types.js").UploadState) => void} OpenUploads */

/** @param {SyncStatus} s @param {number} now @param {OpenUploads} openUploads */
function card(s, now, openUploads) {
  const st = stateOf(s);
  const progress = s.state.kind === "syncing" ? s.state.progress : undefined;
  const why = s.state.kind === "offline" ? s.state.reason
    : s.state.kind === "needs-attention" ? s.state.reason
      : s.state.kind === "backoff" ? `${s.state.lastError.message} (next try in ${duration(Math.max(0, s.state.untilMs - now))})` : "";
  /** @param {string} what @param {import("../shared/status.js").ErrorInfo | null} e */
  const error = (what, e) => e && h("p", { class: "error" }, `Last ${what} error, ${ago(e.at, now)}: ${e.message}`);
  return h("article", { class: "card atsign", "data-atsign": s.atSign, "data-state": s.state.kind },
    h("header", {},
      h("h3", {}, s.atSign),
      h("span", { class: `badge ${st.tone}` }, st.text)),
    h("p", { class: "muted" },
      s.connected ? "connected" : "not connected",
      " · ", s.lastSyncedAt === null ? "never synced" : `synced ${ago(s.lastSyncedAt, now)}`,
      s.serverCommitId !== null ? ` · commit ${count(s.lastReceivedCommitId ?? 0)} of ${count(s.serverCommitId)}` : ""),
    why ? h("p", { class: "error" }, why) : null,
    progress ? h("div", { class: "phases" }, phase("↑ upload", progress.upload), phase("↓ download", progress.download)) : null,
    h("div", { class: "figures" },
      figure("pending uploads", s.pendingUploads, "busy", () => openUploads(s.atSign, "pending")),
      figure("outside the filter", s.pendingOutsideFilter, undefined, () => openUploads(s.atSign, "pending")),
      figure("rejected", s.rejectedUploads, "bad", () => openUploads(s.atSign, "rejected")),
      figure(s.conflicts === 1 ? "conflict" : "conflicts", s.conflicts, "wait")),
    s.lastRejected ? h("p", { class: "rejected" },
      "Rejected ", h("code", {}, s.lastRejected.key), `: ${s.lastRejected.code} ${s.lastRejected.reason} (${ago(s.lastRejected.at, now)})`,
      s.rejectedUploads > 1 ? `, and ${plural(s.rejectedUploads - 1, "other")}` : "") : null,
    error("upload", s.lastUploadError),
    error("download", s.lastDownloadError));
}

/** @param {HTMLElement} el @param {Iterable<SyncStatus>} statuses @param {OpenUploads} openUploads */
export function renderAtSigns(el, statuses, openUploads) {
  const now = Date.now();
  const list = [...statuses].sort((a, b) => a.atSign.localeCompare(b.atSign));
  if (list.length === 0) fill(el, h("p", { class: "empty" }, "No atSign is onboarded yet: ", h("code", {}, "atsyncd onboard @atSign --atkeys FILE")));
  else fill(el, ...list.map((s) => card(s, now, openUploads)));
}
