// What a verb handler sees: the connection's session and the atSign's server.
import type { ServerStore } from "../store/ServerStore.js";
import type { NotificationHub } from "../monitor/NotificationHub.js";

export interface Session {
  /** `_<uuid>`, fixed for the connection's life (InboundConnectionMetadata.sessionID). */
  readonly sessionId: string;
  authenticated: boolean;
  /** JSON error replies: `from` carried a clientConfig version above 3.0.37. */
  jsonErrors: boolean;
  /** The challenge `from` handed out (what pkam signs and cram hashes), valid for 60 s. */
  challenge?: string;
  challengeExpiresAt?: number;
  /** The atSign the last `from` named, normalized. */
  fromAtSign?: string;
}

/** A connection as verbs see it. */
export interface Conn {
  readonly session: Session;
  readonly id: number;
  /** Writes raw text (notifications, which carry no prompt). */
  writeRaw(text: string): void;
  readonly closed: boolean;
  close(): void;
}

/** One hosted atSign, as verbs need it. */
export interface AtSignServer {
  readonly atSign: string;
  readonly store: ServerStore;
  readonly hub: NotificationHub;
  readonly startedAt: number;
  /** Another atSign this dev-server hosts, for lookup, plookup and notify. */
  peer(atSign: string): AtSignServer | undefined;
  /** The stats notification every successful write sends to monitors. */
  afterWrite(commitId: number, op: "update" | "delete"): void;
  connectionCount(): number;
  now(): number;
}

/** A verb handler's result: the reply payload (`data:…`), or nothing (monitor). */
export type VerbResult = string | undefined;

export interface VerbRequest {
  readonly groups: Record<string, string | undefined>;
  readonly command: string;
  readonly conn: Conn;
  readonly server: AtSignServer;
}

export interface Verb {
  readonly name: string;
  /** The handler's `accept` (prefix test on the command). */
  accept(command: string): boolean;
  readonly requiresAuth: boolean;
  /** Verb.usage() text, quoted in syntax errors. */
  readonly usage: string;
  readonly syntax: RegExp;
  handle(req: VerbRequest): VerbResult | Promise<VerbResult>;
}
