// Pure pieces of key listing, the same for every store: a key's namespace (the column the
// namespace index holds), the literal prefix a regex starts with (answered by the primary key), and
// the end of that prefix's range. SQLite compares keys by the bytes of their UTF-8, which is the
// order of their code points; these helpers keep to it.

/**
 * Keys a listing page with a regex examines at most by default, so one page never holds the
 * worker's inbox for long: about 0.6 µs a key for the regex in SQLite plus the scan, so some
 * 10 ms a page on a quiet machine (bench/list.ts).
 */
export const LIST_SCAN_BUDGET = 10_000;

/**
 * The namespace of a stored key: the text after the last `.` of what comes before its last `@`
 * (`wavi` for `@bob:phone.wavi@alice`), or null without a `.` there. A key is in namespace `ns`
 * (a `\w+` word, lower case) exactly when its namespace is `ns`: the same as the listing's
 * "ends with `.ns@owner`".
 */
export function namespaceOf(atKey: string): string | null {
  const at = atKey.lastIndexOf("@");
  if (at <= 0) return null;
  const dot = atKey.lastIndexOf(".", at - 1);
  return dot < 0 || dot + 1 === at ? null : atKey.slice(dot + 1, at);
}

/** Characters that mean something in a regex outside a class (`u` mode); `\` followed by one of them is that character. */
const SYNTAX = new Set(["^", "$", "\\", ".", "*", "+", "?", "(", ")", "[", "]", "{", "}", "|", "/", "-"]);
const QUANTIFIERS = new Set(["*", "?", "{"]);

/**
 * The literal text every match of `regex` (JS syntax, `u` flag) starts with, when the regex is
 * anchored with `^`: `^public:phone\.` gives `public:phone.`. Empty when there is none, or when
 * the regex has an alternative (`|`) anywhere, which could match elsewhere.
 */
export function literalPrefix(regex: string): string {
  if (!regex.startsWith("^") || regex.includes("|")) return "";
  let out = "";
  let i = 1;
  while (i < regex.length) {
    const c = regex[i] as string;
    let lit: string;
    let width: number;
    if (c === "\\") {
      const next = regex[i + 1];
      if (next === undefined || !SYNTAX.has(next)) break;
      lit = next;
      width = 2;
    } else if (SYNTAX.has(c) && c !== "-" && c !== "/") {
      break;
    } else {
      // One code point, a surrogate pair included.
      lit = String.fromCodePoint(regex.codePointAt(i) as number);
      width = lit.length;
    }
    // `a?`, `a*` and `a{0,1}` may match without the `a`.
    if (QUANTIFIERS.has(regex[i + width] ?? "")) break;
    out += lit;
    i += width;
  }
  return out;
}

/**
 * The least string above every string that starts with `prefix`, in code point order (SQLite's
 * BINARY order of UTF-8): the prefix with its last code point raised by one. Undefined when there
 * is none (a prefix of U+10FFFF only) and for the empty prefix.
 */
export function prefixEnd(prefix: string): string | undefined {
  const cps = [...prefix].map((c) => c.codePointAt(0) as number);
  while (cps.length > 0) {
    const last = cps.pop() as number;
    if (last < 0x10ffff) {
      // Past the surrogates, which no stored key holds (normalizeKey refuses them).
      cps.push(last === 0xd7ff ? 0xe000 : last + 1);
      return String.fromCodePoint(...cps);
    }
  }
  return undefined;
}

/** A regex compiled once per pattern for the listing's SQL function (a listing asks the same one for every row). */
export function regexTester(): (pattern: string, key: string) => boolean {
  const cache = new Map<string, RegExp>();
  return (pattern, key) => {
    let re = cache.get(pattern);
    if (re === undefined) {
      if (cache.size >= 16) cache.clear();
      re = new RegExp(pattern, "u");
      cache.set(pattern, re);
    }
    return re.test(key);
  };
}
