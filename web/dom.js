// @ts-check
// A few DOM helpers: elements built from data with text nodes only (never HTML from a string,
// so a key or a value can never become markup), and bursts of work coalesced into one run.

/**
 * `h("button", { class: "x", onclick: fn }, "text", child)`.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string | number | boolean | EventListener | undefined>} [props]
 * @param {...(Node | string | number | false | null | undefined)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.replace(/^on/u, ""), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

/** @param {Element} el @param {(Node | string | number | false | null | undefined)[]} children */
function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
}

/** Replaces what `el` holds. @param {Element} el @param {...(Node | string | number | false | null | undefined)} children */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** @param {string} id @returns {HTMLElement} */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el;
}

/**
 * `fn` once `ms` after the first of a burst of calls, the rest of the burst taken with it (so a
 * steady stream of calls runs it every `ms`, never starves it).
 * @param {() => void} fn @param {number} ms
 * @returns {() => void}
 */
export function coalesce(fn, ms) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    setTimeout(() => {
      queued = false;
      fn();
    }, ms);
  };
}

/** The message of whatever a call threw. @param {unknown} err */
export function messageOf(err) {
  return err instanceof Error ? err.message : String(err);
}
