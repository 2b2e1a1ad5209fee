// Splitting a TLS byte stream into replies (atprotocol.md §1.2). Work on bytes, not
// strings, so a UTF-8 sequence split across chunks (the 🛠 in demo atSigns) survives;
// the delimiters `@`, `:` and `\n` are ASCII and never occur inside a multibyte sequence.
import { AtProtocolError, parseErrorPayload } from "./errors.js";

const AT = 0x40;
const COLON = 0x3a;
const NL = 0x0a;
const CR = 0x0d;

export type Reply = { kind: "data"; data: string } | { kind: "error"; code: string; message: string };

export type MonitorItem = { kind: "notification"; json: string } | { kind: "reply"; reply: string };

function toBuffer(chunk: Buffer | string): Buffer {
  return typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
}

/**
 * A prompt (`@` or `@alice@`) at the front of the buffer belongs to the previous
 * reply. Like the Dart SDK, drop everything up to the last `@` before the first `:`
 * (or newline). Returns how many bytes to drop, or -1 when more bytes are needed.
 */
function promptLength(buf: Buffer): number {
  if (buf.length === 0 || buf[0] !== AT) return 0;
  let end = -1;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b === COLON || b === NL) {
      end = i;
      break;
    }
  }
  if (end < 0) return -1;
  return buf.lastIndexOf(AT, end - 1) + 1;
}

function decodeLine(bytes: Buffer): string {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length;
  return bytes.subarray(0, end).toString("utf8");
}

/**
 * Reads replies of a request/reply connection: each ends with `\n` followed by a prompt.
 * A reply of many chunks (a batch of pages: hundreds of KB in 16 KB TLS records) is joined once,
 * when a chunk brings its end, not once per chunk: after each push the held bytes contain no
 * complete `\n@`, so only a new chunk (or the byte before it) can finish a reply.
 */
export class ReplyReader {
  private parts: Buffer[] = [];
  private held = 0;
  private lastByte = -1;

  push(chunk: Buffer | string): string[] {
    const b = toBuffer(chunk);
    if (b.length === 0) return [];
    const ends = (this.lastByte === NL && b[0] === AT) || b.indexOf(NEWLINE_AT) >= 0;
    this.parts.push(b);
    this.held += b.length;
    this.lastByte = b[b.length - 1]!;
    if (!ends) return [];
    let buf = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.held);
    const out: string[] = [];
    for (;;) {
      const skip = promptLength(buf);
      if (skip < 0) break;
      if (skip > 0) buf = buf.subarray(skip);
      const end = findNewlineThenAt(buf);
      if (end < 0) break;
      out.push(decodeLine(buf.subarray(0, end)));
      buf = buf.subarray(end + 1);
    }
    this.parts = buf.length > 0 ? [buf] : [];
    this.held = buf.length;
    return out;
  }

  /** Bytes received but not yet part of a complete reply. */
  get pendingBytes(): number {
    return this.held;
  }
}

const NEWLINE_AT = Buffer.from("\n@", "utf8");

function findNewlineThenAt(buf: Buffer): number {
  let from = 0;
  for (;;) {
    const i = buf.indexOf(NL, from);
    if (i < 0 || i + 1 >= buf.length) return -1;
    if (buf[i + 1] === AT) return i;
    from = i + 1;
  }
}

const NOTIFICATION_PREFIX = Buffer.from("notification:", "utf8");

/**
 * Reads a monitor connection: `notification: {json}\n` lines with no prompt,
 * interleaved with ordinary replies such as `data:ok\n@alice@`.
 */
export class MonitorReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer | string): MonitorItem[] {
    this.buf = this.buf.length === 0 ? toBuffer(chunk) : Buffer.concat([this.buf, toBuffer(chunk)]);
    const out: MonitorItem[] = [];
    for (;;) {
      const skip = promptLength(this.buf);
      if (skip < 0) break;
      if (skip > 0) this.buf = this.buf.subarray(skip);
      const nl = this.buf.indexOf(NL);
      if (nl < 0) break;
      const line = this.buf.subarray(0, nl);
      this.buf = this.buf.subarray(nl + 1);
      if (line.subarray(0, NOTIFICATION_PREFIX.length).equals(NOTIFICATION_PREFIX)) {
        out.push({ kind: "notification", json: decodeLine(line.subarray(NOTIFICATION_PREFIX.length)).trim() });
      } else if (line.length > 0) {
        out.push({ kind: "reply", reply: decodeLine(line) });
      }
    }
    return out;
  }
}

/** Classifies one reply; anything but `data:` or `error:` is a protocol violation. */
export function parseReply(reply: string): Reply {
  if (reply.startsWith("data:")) return { kind: "data", data: reply.slice(5) };
  if (reply.startsWith("error:")) {
    const { code, message } = parseErrorPayload(reply.slice(6));
    return { kind: "error", code, message };
  }
  throw new AtProtocolError("AT0011", `unexpected reply (${Buffer.byteLength(reply)} bytes)`);
}
