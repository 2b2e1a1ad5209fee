// @ts-check
// The page's session, kept in this origin's localStorage: the origin (scheme, host and port) is
// this listener's alone, where a cookie would go to every web server on 127.0.0.1 (cookies do not
// keep ports apart). Every tab of the page shares it; atsyncd ends it when it restarts.

const KEY = "atsyncd-session";

/** @returns {string | undefined} */
export function storedSession() {
  try {
    return localStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

/** @param {string} session */
export function keepSession(session) {
  localStorage.setItem(KEY, session);
}

/** Forgets `session`, unless another tab signed in since and keeps a newer one. @param {string} session */
export function forgetSession(session) {
  try {
    if (localStorage.getItem(KEY) === session) localStorage.removeItem(KEY);
  } catch {
    // Storage off: nothing was kept.
  }
}

/** Calls `fn` when another tab signs in (keeps a new session). @param {(session: string) => void} fn */
export function onNewSession(fn) {
  addEventListener("storage", (e) => {
    if (e.key === KEY && e.newValue) fn(e.newValue);
  });
}
