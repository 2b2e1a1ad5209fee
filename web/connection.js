// @ts-check
// The page's one WebSocket to the daemon (/page, let in by the session it offers as a subprotocol):
// JSON-RPC 2.0, one message a frame, `rpc.hello` first, then every event through one subscription.
// When it drops it reconnects (1 s, doubling to 10 s) and resubscribes from the last event seen,
// so nothing is missed while the daemon still has it (else the daemon sends a fresh snapshot).
// A daemon that no longer knows the session (it restarted, or the session ended) closes the
// socket with SIGNED_OUT: then it stops and says so, until start() is called with a new session.

/** @typedef {import("../shared/events.js").AtsyncEvent} AtsyncEvent */
/** @typedef {"connecting" | "open" | "closed" | "signed-out"} ConnectionState */

const EVENT_METHOD = "events.event";
/** The close code of a socket without a live session (daemon/web/WebListener.ts PAGE_SIGNED_OUT). */
export const SIGNED_OUT = 4401;

/** An error reply: its JSON-RPC code and message. */
export class RpcError extends Error {
  /** @param {number} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export class Connection {
  /**
   * @param {{ url: string, protocolVersion: number, onEvent(e: AtsyncEvent): void,
   *   onState(state: ConnectionState, attempts: number): void, onOpen(): void }} o
   */
  constructor(o) {
    this.o = o;
    /** @type {WebSocket | undefined} */
    this.ws = undefined;
    this.nextId = 1;
    /** @type {Map<number, { resolve(v: unknown): void, reject(e: Error): void }>} */
    this.pending = new Map();
    /** @type {{ since: number, epoch: string } | undefined} */
    this.resume = undefined;
    this.failures = 0;
    /** @type {string | undefined} */
    this.session = undefined;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.retry = undefined;
  }

  /** Connects with `session` (again, when it is a new one). @param {string} session */
  start(session) {
    if (this.session === session && this.ws && this.ws.readyState !== WebSocket.CLOSED) return;
    clearTimeout(this.retry);
    this.session = session;
    this.failures = 0;
    this.connect();
  }

  connect() {
    const session = this.session;
    if (session === undefined) return;
    this.o.onState("connecting", this.failures);
    const ws = new WebSocket(this.o.url, ["atsyncd", `atsyncd-session.${session}`]);
    this.ws = ws;
    ws.onmessage = (m) => this.onMessage(String(m.data));
    ws.onclose = (e) => this.onClose(ws, e.code);
    ws.onopen = () => void this.opened().catch(() => ws.close());
  }

  /**
   * One request; resolves with its result, rejects with an RpcError.
   * @param {string} method @param {object} params @returns {Promise<any>}
   */
  call(method, params) {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error("not connected to atsyncd"));
    const id = this.nextId++;
    ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  async opened() {
    await this.call("rpc.hello", { protocolVersion: this.o.protocolVersion, client: "status-page" });
    /** @type {{ epoch: string, seq: number }} */
    const sub = await this.call("events.subscribe", this.resume ?? {});
    this.resume = { since: this.resume?.since ?? sub.seq, epoch: sub.epoch };
    this.failures = 0;
    this.o.onState("open", 0);
    this.o.onOpen();
  }

  /** @param {string} text */
  onMessage(text) {
    /** @type {{ id?: number, result?: unknown, error?: { code: number, message: string }, method?: string, params?: any }} */
    const f = JSON.parse(text);
    if (f.method === EVENT_METHOD) {
      /** @type {AtsyncEvent} */
      const e = f.params.event;
      if (this.resume && e.seq > this.resume.since) this.resume.since = e.seq;
      this.o.onEvent(e);
      return;
    }
    const p = f.id === undefined ? undefined : this.pending.get(f.id);
    if (!p || f.id === undefined) return;
    this.pending.delete(f.id);
    if (f.error) p.reject(new RpcError(f.error.code, f.error.message));
    else p.resolve(f.result);
  }

  /** @param {WebSocket} ws @param {number} code */
  onClose(ws, code) {
    if (ws !== this.ws) return;
    for (const p of this.pending.values()) p.reject(new Error("the connection to atsyncd closed"));
    this.pending.clear();
    if (code === SIGNED_OUT) {
      this.session = undefined;
      this.o.onState("signed-out", this.failures);
      return;
    }
    this.failures++;
    this.o.onState("closed", this.failures);
    this.retry = setTimeout(() => this.connect(), Math.min(10_000, 1000 * 2 ** Math.min(this.failures - 1, 4)));
  }
}
