// @ts-check
// The step from /login to the page: keeps the session the daemon handed this answer, then
// replaces this address (the spent link) with `/`, so it stays in neither the history nor the bar.

import { keepSession } from "./session.js";

const session = document.querySelector("meta[name=atsyncd-session]")?.getAttribute("content") ?? "";
const main = document.querySelector("main section");
try {
  keepSession(session);
  location.replace("/");
} catch {
  if (main) main.textContent = "This browser keeps no site data for 127.0.0.1 (local storage is off), so the status page cannot sign it in.";
}
