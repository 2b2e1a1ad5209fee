// Text from elsewhere (a web page's app name, kept in apps.json before names were checked) as a
// terminal may show it: control and bidi characters written as \u{…}, so that none moves the
// cursor, clears a line, sets a title or reorders what the user reads.
const UNPRINTABLE = /[\p{Cc}\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

export function printable(s: string): string {
  return s.replace(UNPRINTABLE, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`);
}
