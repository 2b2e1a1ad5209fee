// Splits the daemon's byte stream into newline-delimited frames. Splitting on the
// 0x0A byte keeps multi-byte UTF-8 (emoji atSigns) whole across chunks.

export class LineSplitter {
  private parts: Buffer[] = [];
  private partBytes = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** False when a frame exceeds the limit (the caller drops the connection). */
  push(chunk: Buffer, onLine: (line: Buffer) => void): boolean {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      let line = chunk.subarray(start, nl);
      if (this.parts.length > 0) {
        this.parts.push(line);
        line = Buffer.concat(this.parts, this.partBytes + line.length);
        this.parts = [];
        this.partBytes = 0;
      }
      start = nl + 1;
      if (line.length > this.maxFrameBytes) return false;
      if (line.length > 0) onLine(line);
    }
    if (start < chunk.length) {
      this.partBytes += chunk.length - start;
      if (this.partBytes > this.maxFrameBytes) return false;
      this.parts.push(Buffer.from(chunk.subarray(start)));
    }
    return true;
  }
}
