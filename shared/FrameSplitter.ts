// Splits a byte stream into newline-delimited frames, each within the frame limits, for both ends
// of the socket (the daemon's connections and the client's channel). It splits on the 0x0A byte,
// which never occurs inside a multi-byte UTF-8 sequence, so frames are decoded whole and emoji
// survive any chunking. Each frame's bytes go through a FrameScanner as they arrive: a frame that
// grows past maxBytes, nests deeper than maxDepth or holds more than maxValues is refused at once,
// what was held of it is dropped, and its remaining bytes are skipped up to its newline without
// being kept. The stream then goes on with the next frame. An incomplete frame is held in one
// buffer that doubles as it grows, so a frame that trickles in a byte per read costs its bytes,
// not an array per read.

import { FrameScanner, type FrameShapeLimits, type FrameShapeViolation } from "./FrameScanner.js";

const NEWLINE = 0x0a;
const CR = 0x0d;
/** Bytes of a refused frame kept for its caller, enough to read a leading `"id"` member. */
export const FRAME_HEAD_BYTES = 2048;

export interface FrameLimits extends FrameShapeLimits {
  /** Most bytes of one frame, without its newline (and a `\r` before it). */
  readonly maxBytes: number;
}

export type FrameViolation = "size" | FrameShapeViolation;

export interface FrameRefusal {
  readonly violation: FrameViolation;
  /** The frame's first bytes (at most FRAME_HEAD_BYTES), to find which request it was. */
  readonly head: Uint8Array;
}

const EMPTY = new Uint8Array(0);
/** The least an incomplete frame's buffer holds, so small frames cut in pieces need no regrowth. */
const MIN_HELD = 1024;

export class FrameSplitter {
  /** The incomplete frame's bytes so far: held[0, heldBytes). */
  private held = EMPTY;
  private heldBytes = 0;
  /** Dropping the rest of a refused frame, up to its newline. */
  private skipping = false;
  private readonly scanner: FrameScanner;

  constructor(private readonly limits: FrameLimits) {
    this.scanner = new FrameScanner(limits);
  }

  /**
   * Calls `onFrame` for each complete, non-empty frame in `chunk` (a trailing `\r` is dropped),
   * and `onRefused` for each frame over a limit, in stream order. `onRefused` comes as soon as
   * the limit is crossed, before the frame's newline has arrived. After each frame (or refusal)
   * `goOn` may stop the split there; push returns how many bytes of `chunk` it used, so the
   * caller can push the rest later (all of them unless `goOn` stopped it).
   */
  push(chunk: Uint8Array, onFrame: (frame: Uint8Array) => void, onRefused: (r: FrameRefusal) => void, goOn?: () => boolean): number {
    let start = 0;
    while (start < chunk.length) {
      const found = chunk.indexOf(NEWLINE, start);
      const end = found < 0 ? chunk.length : found;
      if (this.skipping) {
        if (found < 0) return chunk.length;
        this.skipping = false;
        start = found + 1;
        continue;
      }
      let handled = true;
      const violation = this.check(chunk, start, end, found >= 0);
      if (violation !== undefined) {
        const head = this.head(chunk, start, end);
        this.drop();
        this.skipping = found < 0;
        onRefused({ violation, head });
      } else if (found < 0) {
        this.hold(chunk, start, end);
      } else {
        const frame = this.take(chunk, start, end);
        if (frame.length > 0) onFrame(frame);
        else handled = false;
      }
      if (found < 0) return chunk.length;
      start = found + 1;
      if (handled && goOn !== undefined && !goOn()) return start;
    }
    return chunk.length;
  }

  /** Bytes of an incomplete frame held back. */
  get pendingBytes(): number {
    return this.heldBytes;
  }

  /** Appends [start, end) of `chunk` to the held frame (a copy: the caller may reuse its buffer, and a view would pin the whole chunk). */
  private hold(chunk: Uint8Array, start: number, end: number): void {
    const need = this.heldBytes + (end - start);
    if (need > this.held.length) {
      // Doubling, up to the most an incomplete frame may hold (its limit and a trailing `\r`).
      const grown = new Uint8Array(Math.max(need, Math.min(Math.max(2 * this.held.length, MIN_HELD), this.limits.maxBytes + 1)));
      grown.set(this.held.subarray(0, this.heldBytes));
      this.held = grown;
    }
    this.held.set(chunk.subarray(start, end), this.heldBytes);
    this.heldBytes = need;
  }

  private check(chunk: Uint8Array, start: number, end: number, complete: boolean): FrameViolation | undefined {
    let bytes = this.heldBytes + (end - start);
    // A complete frame's trailing `\r` is not counted; an incomplete one may still end with it.
    if (complete && bytes > 0 && this.lastByte(chunk, start, end) === CR) bytes--;
    if (bytes > this.limits.maxBytes + (complete ? 0 : 1)) return "size";
    return this.scanner.scan(chunk, start, end);
  }

  private lastByte(chunk: Uint8Array, start: number, end: number): number | undefined {
    return end > start ? chunk[end - 1] : this.heldBytes > 0 ? this.held[this.heldBytes - 1] : undefined;
  }

  /** The whole frame: the bytes held plus [start, end) of `chunk`, without a trailing `\r`. */
  private take(chunk: Uint8Array, start: number, end: number): Uint8Array {
    let frame: Uint8Array;
    if (this.heldBytes === 0) {
      frame = chunk.subarray(start, end);
    } else {
      this.hold(chunk, start, end);
      frame = this.held.subarray(0, this.heldBytes);
    }
    this.drop();
    return frame.length > 0 && frame[frame.length - 1] === CR ? frame.subarray(0, frame.length - 1) : frame;
  }

  private head(chunk: Uint8Array, start: number, end: number): Uint8Array {
    const out = new Uint8Array(Math.min(FRAME_HEAD_BYTES, this.heldBytes + (end - start)));
    let at = 0;
    for (const p of [this.held.subarray(0, this.heldBytes), chunk.subarray(start, end)]) {
      if (at >= out.length) break;
      const n = Math.min(p.length, out.length - at);
      out.set(p.subarray(0, n), at);
      at += n;
    }
    return out;
  }

  private drop(): void {
    this.held = EMPTY;
    this.heldBytes = 0;
    this.scanner.reset();
  }
}
