// Column alignment that survives atSigns like `@alice🛠`: String.length counts UTF-16 units,
// a terminal counts cells. Each grapheme (what a terminal draws as one symbol: a flag's two
// regional indicators, an emoji with its skin tone, a ZWJ family) takes two cells when it holds
// an emoji shown as emoji or an East Asian wide character, else one; combining marks,
// variation selectors and joiners on their own take none.
const MARK = /^[\p{Mn}\p{Me}]$/u;

function zeroWidth(ch: string): boolean {
  const cp = ch.codePointAt(0) ?? 0;
  // Zero-width space/joiners/marks, and the variation selectors.
  return MARK.test(ch) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f);
}
const WIDE = /[\p{Emoji_Presentation}\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/u;

const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });

function graphemeWidth(g: string): number {
  let w = 0;
  for (const ch of g) {
    if (zeroWidth(ch)) continue;
    if (WIDE.test(ch)) return 2;
    w = 1;
  }
  return w;
}

export function displayWidth(s: string): number {
  let w = 0;
  for (const { segment } of graphemes.segment(s)) w += graphemeWidth(segment);
  return w;
}

export function padDisplay(s: string, width: number): string {
  const w = displayWidth(s);
  return w >= width ? s : s + " ".repeat(width - w);
}

/** Aligns rows of cells into columns separated by two spaces; the last cell is not padded. */
export function columns(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, displayWidth(cell))));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : padDisplay(cell, widths[i] ?? 0))).join("  ").trimEnd());
}

/** Cuts `s` to at most `max` cells, ending in `…` when cut. */
export function truncateDisplay(s: string, max: number): string {
  if (displayWidth(s) <= max) return s;
  let out = "";
  let w = 0;
  // Whole graphemes only: half a flag is another symbol.
  for (const { segment } of graphemes.segment(s)) {
    w += graphemeWidth(segment);
    if (w > max - 1) break;
    out += segment;
  }
  return `${out}…`;
}
