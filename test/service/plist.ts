// A strict parser for the XML property lists launchd reads (plutil is not on Linux): it
// rejects anything that is not well-formed XML or not a plist of dict/array/string/integer/
// true/false/real, so a broken plist fails the test rather than launchd at login.

export type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

interface Token {
  kind: "open" | "close" | "empty" | "text";
  name: string;
  text: string;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&([a-z]+|#[0-9]+|#x[0-9a-fA-F]+);|&/gu, (whole, name: string | undefined) => {
    if (name === undefined) throw new Error("bare & in text");
    if (name.startsWith("#x")) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith("#")) return String.fromCodePoint(parseInt(name.slice(1), 10));
    const v = ENTITIES[name];
    if (v === undefined) throw new Error(`unknown entity ${whole}`);
    return v;
  });
}

function tokenize(xml: string): Token[] {
  let rest = xml;
  if (rest.startsWith("\uFEFF")) rest = rest.slice(1);
  const decl = /^<\?xml\s+version="1\.0"(\s+encoding="UTF-8")?\s*\?>/u.exec(rest);
  if (!decl) throw new Error("missing <?xml version=\"1.0\"?> declaration");
  rest = rest.slice(decl[0].length);
  const tokens: Token[] = [];
  while (rest.length > 0) {
    if (rest.startsWith("<!--")) {
      const end = rest.indexOf("-->");
      if (end < 0) throw new Error("unterminated comment");
      if (rest.slice(4, end).includes("--")) throw new Error("'--' inside a comment");
      rest = rest.slice(end + 3);
    } else if (rest.startsWith("<!DOCTYPE")) {
      const end = rest.indexOf(">");
      if (end < 0) throw new Error("unterminated DOCTYPE");
      rest = rest.slice(end + 1);
    } else if (rest.startsWith("<")) {
      const m = /^<(\/?)([A-Za-z][A-Za-z0-9]*)((?:\s+[A-Za-z]+="[^"<&]*")*)\s*(\/?)>/u.exec(rest);
      if (!m) throw new Error(`malformed tag at: ${rest.slice(0, 30)}`);
      const [whole, slash, name, , selfClose] = m;
      if (slash && selfClose) throw new Error(`malformed tag ${whole}`);
      tokens.push({ kind: slash ? "close" : selfClose ? "empty" : "open", name: name ?? "", text: "" });
      rest = rest.slice(whole.length);
    } else {
      const end = rest.indexOf("<");
      const raw = end < 0 ? rest : rest.slice(0, end);
      if (raw.includes(">")) throw new Error("'>' in text");
      tokens.push({ kind: "text", name: "", text: decode(raw) });
      rest = end < 0 ? "" : rest.slice(end);
    }
  }
  return tokens;
}

export function parsePlist(xml: string): PlistValue {
  const tokens = tokenize(xml).filter((t) => !(t.kind === "text" && t.text.trim() === ""));
  let i = 0;
  const next = (): Token => {
    const t = tokens[i++];
    if (t === undefined) throw new Error("unexpected end of document");
    return t;
  };
  const expectClose = (name: string): void => {
    const t = next();
    if (t.kind !== "close" || t.name !== name) throw new Error(`expected </${name}>, found ${t.kind} ${t.name}`);
  };
  const textOf = (name: string): string => {
    const t = tokens[i];
    if (t?.kind === "close" && t.name === name) {
      i++;
      return "";
    }
    const tt = next();
    if (tt.kind !== "text") throw new Error(`<${name}> holds markup`);
    expectClose(name);
    return tt.text;
  };
  const value = (): PlistValue => {
    const t = next();
    if (t.kind === "empty") {
      if (t.name === "true") return true;
      if (t.name === "false") return false;
      if (t.name === "string") return "";
      if (t.name === "dict") return {};
      if (t.name === "array") return [];
      throw new Error(`unexpected <${t.name}/>`);
    }
    if (t.kind !== "open") throw new Error(`expected a value, found ${t.kind} ${t.name || JSON.stringify(t.text)}`);
    switch (t.name) {
      case "string":
        return textOf("string");
      case "integer": {
        const s = textOf("integer").trim();
        if (!/^-?[0-9]+$/u.test(s)) throw new Error(`bad integer ${s}`);
        return Number(s);
      }
      case "real": {
        const s = textOf("real").trim();
        if (!Number.isFinite(Number(s))) throw new Error(`bad real ${s}`);
        return Number(s);
      }
      case "array": {
        const out: PlistValue[] = [];
        while (!(tokens[i]?.kind === "close" && tokens[i]?.name === "array")) out.push(value());
        i++;
        return out;
      }
      case "dict": {
        const out: { [key: string]: PlistValue } = {};
        while (!(tokens[i]?.kind === "close" && tokens[i]?.name === "dict")) {
          const k = next();
          if (k.kind !== "open" || k.name !== "key") throw new Error(`dict entry without <key>: ${k.name}`);
          const key = textOf("key");
          if (key in out) throw new Error(`duplicate key ${key}`);
          out[key] = value();
        }
        i++;
        return out;
      }
      default:
        throw new Error(`unknown element <${t.name}>`);
    }
  };
  const root = next();
  if (root.kind !== "open" || root.name !== "plist") throw new Error("root element is not <plist>");
  const v = value();
  expectClose("plist");
  if (i !== tokens.length) throw new Error("content after </plist>");
  return v;
}
