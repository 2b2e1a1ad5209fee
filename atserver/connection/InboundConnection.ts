// One client socket of an atServer (S:connection/inbound/inbound_message_listener.dart): bytes
// are buffered until the data ends with `\n`, then the whole buffer, trimmed, is one command.
// Each reply and the prompt after it go out in ONE write (§10). Over 10,240,000 buffered bytes
// the client gets AT0005 and the connection is closed. Bytes that are not UTF-8 get no reply at
// all: the real listener's utf8.decode throws, and its catch only clears the buffer.
// A client that does not read its replies (or notifications) is closed once more than
// `maxPendingWriteBytes` wait in the socket, so the server never buffers without bound.
import { randomUUID } from "node:crypto";
import type { TLSSocket } from "node:tls";
import { AtErrorDescriptions, formatErrorReply } from "../../protocol/errors.js";
import { ServerError } from "./ServerError.js";
import type { Conn, Session, VerbResult } from "../verbs/types.js";

export const MAX_COMMAND_BYTES = 10_240_000;
/** Idle limit before authentication (server_context.dart); after it, 30 days: no timer at all. */
export const UNAUTHENTICATED_IDLE_MS = 600_000;
/** Above the largest reply (a 10 MB value, JSON-escaped in llookup:all) with room to spare. */
export const MAX_PENDING_WRITE_BYTES = 64 * 1024 * 1024;
const NEWLINE = 0x0a;
const UTF8 = new TextDecoder("utf-8", { fatal: true });

export type CommandRunner = (command: string, conn: InboundConnection) => Promise<VerbResult>;

let nextConnectionId = 1;

export class InboundConnection implements Conn {
  readonly id = nextConnectionId++;
  readonly session: Session = { sessionId: `_${randomUUID()}`, authenticated: false, jsonErrors: false };
  private chunks: Buffer[] = [];
  private buffered = 0;
  private queue: Promise<void> = Promise.resolve();
  private isClosed = false;
  /** When the server last wrote to it: idle time counts from here (inbound_connection_impl). */
  private lastWriteAt = Date.now();

  constructor(
    private readonly socket: TLSSocket,
    private readonly atSign: string,
    private readonly run: CommandRunner,
    private readonly onClose: (conn: InboundConnection) => void,
    private readonly maxPendingWriteBytes = MAX_PENDING_WRITE_BYTES,
  ) {
    // One request, one reply: never let Nagle hold a reply back waiting for an ACK.
    socket.setNoDelay(true);
    socket.setTimeout(UNAUTHENTICATED_IDLE_MS, () => this.close());
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => this.close());
    socket.on("close", () => this.close());
    socket.on("end", () => this.close());
    this.send("@");
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get prompt(): string {
    return this.session.authenticated ? `${this.atSign}@` : "@";
  }

  writeRaw(text: string): void {
    this.send(text);
  }

  idleMs(now: number): number {
    return now - this.lastWriteAt;
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.chunks = [];
    this.buffered = 0;
    this.socket.end();
    this.socket.destroySoon();
    this.onClose(this);
  }

  /** Abrupt close, for tests of network faults. */
  destroy(): void {
    this.socket.destroy();
    this.close();
  }

  private send(text: string): void {
    if (this.isClosed || this.socket.destroyed) return;
    this.lastWriteAt = Date.now();
    this.socket.write(text);
    if (this.socket.writableLength > this.maxPendingWriteBytes) this.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.isClosed) return;
    if (this.buffered + chunk.length > MAX_COMMAND_BYTES) {
      this.chunks = [];
      this.buffered = 0;
      this.replyError(
        new ServerError("AT0005", "InboundBuffer overflow: server received request which exceeded the buffer size limit. Terminating the connection."),
      );
      this.close();
      return;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (chunk[chunk.length - 1] !== NEWLINE) return;
    const bytes = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [];
    this.buffered = 0;
    let command: string;
    try {
      command = UTF8.decode(bytes).trim();
    } catch {
      return;
    }
    // execute answers every failure itself; should it ever throw, drop the connection rather
    // than leave a rejected queue (an unhandled rejection ends the process).
    this.queue = this.queue.then(() => this.execute(command)).catch(() => this.destroy());
  }

  private async execute(command: string): Promise<void> {
    if (this.isClosed) return;
    if (command === "@exit") {
      this.close();
      return;
    }
    try {
      const wasAuthenticated = this.session.authenticated;
      const reply = await this.run(command, this);
      if (this.session.authenticated !== wasAuthenticated) this.socket.setTimeout(this.session.authenticated ? 0 : UNAUTHENTICATED_IDLE_MS);
      if (reply !== undefined) this.send(`${reply}\n${this.prompt}`);
    } catch (err) {
      const serverErr = asServerError(err);
      this.replyError(serverErr);
      if (serverErr.closesConnection) this.close();
    }
  }

  private replyError(err: ServerError): void {
    this.send(`${errorReply(err, this.session)}\n${this.prompt}`);
  }
}

/** What a verb threw, as the server answers it: anything but a ServerError is an "unexpected exception" (InternalServerException(e.toString())). */
export function asServerError(err: unknown): ServerError {
  return err instanceof ServerError ? err : new ServerError("AT0011", err instanceof Error ? err.message : String(err));
}

/** error:… in the format and wording the real server uses for this session (without the prompt). */
export function errorReply(err: ServerError, session: Session): string {
  if (err.fromHandler) return `error:${err.code}:${err.message}`;
  const description = session.authenticated ? `${AtErrorDescriptions[err.code] ?? ""} : ${err.message}` : `Exception: ${err.message}`;
  return formatErrorReply(err.code, description, session.jsonErrors);
}
