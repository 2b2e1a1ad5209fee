// A tiny raw atProtocol client for dev-server tests: it keeps every byte it receives, so tests
// can assert exact replies (payload and prompt) and how they were written.
import tls from "node:tls";
import { rsaSign } from "../../../protocol/crypto.js";

const PROMPT = /^@(?:[^@\s]+@)?/su;
const NOTIFICATION = /^notification: ([^\n]*)\n/u;

export class RawClient {
  /** Every data event, as received. */
  readonly chunks: string[] = [];
  readonly notifications: Array<Record<string, unknown>> = [];
  private buf = "";
  private parts: string[] = [];
  private waiters: Array<() => void> = [];
  private ended = false;
  private knownPrompt: string | undefined;

  private constructor(private readonly socket: tls.TLSSocket) {
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      this.chunks.push(d);
      this.parts.push(d);
      // Joining a multi-megabyte reply on every chunk is quadratic: only look when a chunk
      // may end something (a reply or notification line, or a prompt).
      if (!d.includes("\n") && !d.includes("@")) return;
      this.buf += this.parts.join("");
      this.parts = [];
      this.drainNotifications();
      this.wake();
    });
    const end = (): void => {
      this.ended = true;
      this.wake();
    };
    socket.on("close", end);
    socket.on("end", end);
    socket.on("error", end);
  }

  static async connect(address: string, ca: string): Promise<RawClient> {
    const [host, port] = splitAddress(address);
    const socket = tls.connect({ host, port, ca, servername: "localhost" });
    await new Promise<void>((resolve, reject) => {
      socket.once("secureConnect", () => resolve());
      socket.once("error", reject);
    });
    const c = new RawClient(socket);
    await c.until(() => c.buf.startsWith("@"));
    c.buf = c.buf.slice(1);
    return c;
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Unconsumed received text. */
  get pending(): string {
    return this.buf;
  }

  write(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** Sends one command and resolves with the raw reply including its prompt: `data:ok\n@alice@`. */
  async raw(command: string, timeoutMs = 10_000): Promise<string> {
    this.write(`${command}\n`);
    return this.nextReply(timeoutMs);
  }

  /** The payload of the reply (prompt stripped). */
  async cmd(command: string, timeoutMs = 10_000): Promise<string> {
    const r = await this.raw(command, timeoutMs);
    return r.slice(0, r.lastIndexOf("\n"));
  }

  async nextReply(timeoutMs = 10_000): Promise<string> {
    let end = -1;
    // Replies can be megabytes: look for the newline only in what arrived since the last look.
    let scanned = 0;
    await this.until(
      () => {
        const nl = this.buf.indexOf("\n", scanned);
        if (nl === -1) {
          scanned = this.buf.length;
          return false;
        }
        scanned = nl;
        const m = PROMPT.exec(this.buf.slice(nl + 1, nl + 1 + 300));
        if (!m) return false;
        // A big reply may end across two TLS records: once logged in, "@" alone is half a prompt.
        if (m[0] === "@" && this.knownPrompt !== undefined && this.buf.length === nl + 2) return false;
        end = nl + 1 + m[0].length;
        if (m[0] !== "@") this.knownPrompt = m[0];
        return true;
      },
      timeoutMs,
      "a reply",
    );
    const reply = this.buf.slice(0, end);
    this.buf = this.buf.slice(end);
    this.drainNotifications();
    return reply;
  }

  async nextNotification(pred: (n: Record<string, unknown>) => boolean = () => true, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    let found: Record<string, unknown> | undefined;
    await this.until(
      () => {
        const i = this.notifications.findIndex(pred);
        if (i === -1) return false;
        found = this.notifications.splice(i, 1)[0];
        return true;
      },
      timeoutMs,
      "a notification",
    );
    return found as unknown as Record<string, unknown>;
  }

  async waitClosed(timeoutMs = 10_000): Promise<void> {
    await this.until(() => this.ended, timeoutMs, "the connection to close");
  }

  close(): void {
    this.socket.destroy();
  }

  /** Stops reading from the socket (a client that never reads its replies). */
  pauseReading(): void {
    this.socket.pause();
  }

  /** from + pkam with the given PKAM private key; resolves with the pkam reply payload. */
  async pkamLogin(atSign: string, pkamPrivateKey: string, hash: "sha256" | "sha512" = "sha256"): Promise<string> {
    const from = await this.cmd(`from:${atSign}`);
    const challenge = from.slice("data:".length);
    return this.cmd(`pkam:signingAlgo:rsa2048:hashingAlgo:${hash}:${rsaSign(pkamPrivateKey, challenge, hash)}`);
  }

  private drainNotifications(): void {
    let m: RegExpExecArray | null;
    while ((m = NOTIFICATION.exec(this.buf)) !== null) {
      this.notifications.push(JSON.parse(m[1] ?? "null") as Record<string, unknown>);
      this.buf = this.buf.slice(m[0].length);
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private until(pred: () => boolean, timeoutMs = 10_000, what = "data"): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; have ${JSON.stringify(this.buf.slice(0, 300))}`)), timeoutMs);
      const check = (): void => {
        if (pred()) {
          clearTimeout(timer);
          resolve();
        } else if (this.ended) {
          clearTimeout(timer);
          reject(new Error(`connection closed while waiting for ${what}; have ${JSON.stringify(this.buf.slice(0, 300))}`));
        } else {
          this.waiters.push(check);
        }
      };
      check();
    });
  }
}

export function splitAddress(address: string): [string, number] {
  const i = address.lastIndexOf(":");
  return [address.slice(0, i), Number(address.slice(i + 1))];
}
