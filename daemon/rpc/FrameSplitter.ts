// Splits a byte stream into newline-delimited frames, bounded by a maximum frame
// size. It splits on the 0x0A byte, which never occurs inside a multi-byte UTF-8
// sequence, so frames are decoded whole and emoji survive any chunking.

const NEWLINE = 0x0a;
const CR = 0x0d;

export class FrameSplitter {
  private parts: Buffer[] = [];
  private partBytes = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /**
   * Calls `onFrame` for each complete, non-empty frame in `chunk` (a trailing `\r` is
   * dropped). Returns false, without delivering the rest, as soon as a frame is
   * longer than the limit: the caller answers FrameTooLarge and closes.
   */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): boolean {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl < 0) break;
      let frame: Buffer;
      if (this.parts.length > 0) {
        this.parts.push(chunk.subarray(start, nl));
        frame = Buffer.concat(this.parts, this.partBytes + (nl - start));
        this.parts = [];
        this.partBytes = 0;
      } else {
        frame = chunk.subarray(start, nl);
      }
      start = nl + 1;
      let end = frame.length;
      if (end > 0 && frame[end - 1] === CR) end--;
      if (end > this.maxFrameBytes) return false;
      if (end > 0) onFrame(end === frame.length ? frame : frame.subarray(0, end));
    }
    if (start < chunk.length) {
      this.partBytes += chunk.length - start;
      if (this.partBytes > this.maxFrameBytes + 1) return false;
      // Copy: the caller may reuse its buffer; a subarray would pin the whole chunk.
      this.parts.push(Buffer.from(chunk.subarray(start)));
    }
    return true;
  }

  /** Bytes of an incomplete frame held back. */
  get pendingBytes(): number {
    return this.partBytes;
  }
}
