// A linear pass over a frame's bytes, before anything parses it, that counts what JSON.parse would
// build: the nesting depth and the number of values (opening brackets plus commas, outside strings).
// It runs as the bytes arrive, chunk by chunk, so a frame over a limit is refused at the first byte
// past it and never buffered whole, and what does reach JSON.parse is bounded in depth, values and
// bytes, and so in time and memory (see SECURITY.md). It checks no syntax: JSON.parse does.
// Inside strings it jumps from quote to backslash with indexOf (memchr on a Buffer), so the long
// string values that make up most of a large frame cost next to nothing.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

export interface FrameShapeLimits {
  /** Deepest nesting of arrays and objects (the frame's own object is depth 1). */
  readonly maxDepth: number;
  /** Most values: opening brackets plus commas. Infinity for no limit. */
  readonly maxValues: number;
}

export type FrameShapeViolation = "depth" | "values";

export class FrameScanner {
  private depth = 0;
  private values = 0;
  private inString = false;
  /** The last byte seen was a backslash inside a string: the next byte is escaped. */
  private escaped = false;

  constructor(private readonly limits: FrameShapeLimits) {}

  /** Forgets the frame scanned so far: the next byte starts a new frame. */
  reset(): void {
    this.depth = 0;
    this.values = 0;
    this.inString = false;
    this.escaped = false;
  }

  /** Scans bytes [from, to) of `buf`, the next bytes of the current frame; returns the first limit crossed. */
  scan(buf: Uint8Array, from: number, to: number): FrameShapeViolation | undefined {
    const { maxDepth, maxValues } = this.limits;
    let i = from;
    let depth = this.depth;
    let values = this.values;
    let inString = this.inString;
    if (this.escaped && i < to) {
      i++;
      this.escaped = false;
    }
    // The next quote and backslash at or after i, found once and reused until i passes them,
    // so a string full of escapes is still one pass.
    let quote = -1;
    let backslash = -1;
    let verdict: FrameShapeViolation | undefined;
    while (i < to) {
      if (inString) {
        if (quote < i) quote = indexIn(buf, QUOTE, i, to);
        if (backslash < i) backslash = indexIn(buf, BACKSLASH, i, to);
        if (backslash < quote) {
          if (backslash + 1 === to) {
            this.escaped = true;
            i = to;
          } else {
            i = backslash + 2;
          }
          continue;
        }
        if (quote === to) break;
        inString = false;
        i = quote + 1;
        continue;
      }
      const c = buf[i++];
      if (c === QUOTE) {
        inString = true;
      } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
        if (++depth > maxDepth) {
          verdict = "depth";
          break;
        }
        if (++values > maxValues) {
          verdict = "values";
          break;
        }
      } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
        depth--;
      } else if (c === COMMA && ++values > maxValues) {
        verdict = "values";
        break;
      }
    }
    this.depth = depth;
    this.values = values;
    this.inString = inString;
    return verdict;
  }
}

/** The first index of `byte` in [from, to), or `to` when there is none. */
function indexIn(buf: Uint8Array, byte: number, from: number, to: number): number {
  const at = buf.indexOf(byte, from);
  return at < 0 || at >= to ? to : at;
}
