// The status page's login. `atsyncd web` asks the daemon, over the Unix socket (so only its own
// user can), for a one-time login token; the browser spends it at /login, once and within
// LOGIN_TTL_MS, for a session; the session (kept by the page in its origin's storage and offered
// as a subprotocol, daemon/web/StatusPage.ts) lets the page's WebSocket in as the local user.
// Both are 32 random bytes kept only as their SHA-256, in memory: a restart ends every session,
// and a token that was shown cannot be spent twice.

import { randomBytes } from "node:crypto";
import type { Clock } from "../ports.js";
import { hashToken } from "./AppGrants.js";

/** How long a login link works: long enough to paste it into a browser. */
export const LOGIN_TTL_MS = 2 * 60_000;
/** How long a session lasts from its login. */
export const SESSION_TTL_MS = 12 * 3600_000;
/** Tokens and sessions kept at once; a new one pushes out the oldest. */
const MAX_LOGINS = 16;
const MAX_SESSIONS = 32;

export interface Issued {
  token: string;
  expiresAt: number;
}

export class PageSessions {
  /** Hash → when it expires, oldest first (Map order). */
  private readonly logins = new Map<string, number>();
  private readonly sessions = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  /** A new one-time login token. */
  issueLogin(): Issued {
    return add(this.logins, MAX_LOGINS, this.clock.now() + LOGIN_TTL_MS);
  }

  /** Spends `token` (gone after this call, whatever it was): a new session, or undefined when it is not a live token. */
  exchange(token: string): Issued | undefined {
    const hash = hashToken(token);
    const expiresAt = this.logins.get(hash);
    this.logins.delete(hash);
    if (expiresAt === undefined || expiresAt <= this.clock.now()) return undefined;
    return add(this.sessions, MAX_SESSIONS, this.clock.now() + SESSION_TTL_MS);
  }

  /** Whether `session` is a live session. */
  isSession(session: string | undefined): boolean {
    if (session === undefined) return false;
    const hash = hashToken(session);
    const expiresAt = this.sessions.get(hash);
    if (expiresAt === undefined) return false;
    if (expiresAt > this.clock.now()) return true;
    this.sessions.delete(hash);
    return false;
  }
}

function add(into: Map<string, number>, max: number, expiresAt: number): Issued {
  const token = randomBytes(32).toString("base64url");
  into.set(hashToken(token), expiresAt);
  for (const oldest of into.keys()) {
    if (into.size <= max) break;
    into.delete(oldest);
  }
  return { token, expiresAt };
}
