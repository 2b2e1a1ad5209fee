// @ts-check
// The daemon's facts in the header: version, uptime, memory, pid, where the keys are kept.

import { fill, h } from "./dom.js";
import { bytes, duration } from "./format.js";

/** @typedef {import("../shared/types.js").DaemonDescribeResult} DaemonDescribeResult */

/** @param {string} label @param {string} value @param {string} key */
function fact(label, value, key) {
  return h("div", { "data-fact": key }, h("dt", {}, label), h("dd", {}, value));
}

/** @param {HTMLElement} el @param {DaemonDescribeResult} d */
export function renderFacts(el, d) {
  const now = Date.now();
  fill(el,
    fact("version", d.version + (d.dev ? " (dev)" : ""), "version"),
    fact("up", duration(now - d.startedAt), "uptime"),
    d.memory ? fact("memory", `${bytes(d.memory.rssBytes)} (heap ${bytes(d.memory.heapUsedBytes)})`, "memory") : null,
    fact("pid", String(d.pid), "pid"),
    fact("keys in", d.keyStore === "keychain" ? "the OS keychain" : "a file", "keystore"));
  el.title = `data ${d.dataDir}\nsocket ${d.socketPath}\nconfig ${d.configFile}`;
}
