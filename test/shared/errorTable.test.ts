// The one error table (shared/errors.ts): sorted, unique, and holding every code the tree uses.
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  AtErrors, AuthRefusedAtCodes, ErrorCode, InternalCode, InternalErrors, PermanentAtCodes, UnreachableAtCodes, WireErrors,
} from "../../shared/errors.js";

const ROOT = join(import.meta.dirname, "..", "..");

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(dir, f));
}

/** Every match of `re`'s first group in the files under `dirs`, with where it was found. */
function literals(dirs: string[], re: RegExp): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of dirs.flatMap(sourceFiles)) {
    for (const m of readFileSync(join(ROOT, file), "utf8").matchAll(re)) {
      if (m[1] !== undefined && !found.has(m[1])) found.set(m[1], file);
    }
  }
  return found;
}

describe("shared/errors: the error table", () => {
  it("keeps wire codes sorted by number and unique", () => {
    const codes = Object.values(WireErrors).map((e) => e.code);
    expect(codes).to.deep.equal([...codes].sort((a, b) => a - b));
    expect(new Set(codes).size).to.equal(codes.length);
    expect(Object.values(ErrorCode)).to.deep.equal(codes);
  });

  it("keeps string codes and AT codes sorted, each in its form", () => {
    const internal = Object.keys(InternalErrors);
    expect(internal).to.deep.equal([...internal].sort());
    for (const code of internal) expect(code).to.match(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/u);
    expect(Object.entries(InternalCode).every(([k, v]) => k === v)).to.equal(true);
    const at = Object.keys(AtErrors);
    expect(at).to.deep.equal([...at].sort());
    for (const code of at) expect(code).to.match(/^AT\d{4}$/u);
  });

  it("gives every entry a meaning, and AT groups the class they imply", () => {
    for (const [name, e] of [...Object.entries(WireErrors), ...Object.entries(InternalErrors), ...Object.entries(AtErrors)]) {
      expect(e.meaning.length, name).to.be.greaterThan(0);
    }
    const implied = { "auth-refused": "user-action", permanent: "user-action", unreachable: "retryable" } as const;
    for (const [code, e] of Object.entries(AtErrors)) {
      if ("group" in e) expect(e.class, code).to.equal(implied[e.group]);
    }
    const sets = [AuthRefusedAtCodes, PermanentAtCodes, UnreachableAtCodes];
    const all = sets.flatMap((s) => [...s]);
    expect(new Set(all).size, "an AT code in two groups").to.equal(all.length);
    expect([...AuthRefusedAtCodes]).to.deep.equal(["AT0025", "AT0026", "AT0027", "AT0028", "AT0401"]);
  });

  it("holds every string code used in daemon/ and protocol/", () => {
    // Node's own codes (ERR_PARSE_ARGS_…) are Node's, not ours.
    const used = literals(["daemon", "protocol"], /["'`]((?!ERR_)[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)["'`]/gu);
    expect(used.size, "the scan found the store's codes").to.be.greaterThan(5);
    const missing = [...used].filter(([code]) => !Object.hasOwn(InternalErrors, code)).map(([code, file]) => `${code} (${file})`);
    expect(missing, "string codes missing from shared/errors.ts InternalErrors").to.deep.equal([]);
  });

  it("holds every AT code daemon/ names", () => {
    const used = literals(["daemon"], /["'`](AT\d{4})["'`]/gu);
    expect(used.size).to.be.greaterThan(0);
    const missing = [...used].filter(([code]) => !Object.hasOwn(AtErrors, code)).map(([code, file]) => `${code} (${file})`);
    expect(missing, "AT codes missing from shared/errors.ts AtErrors").to.deep.equal([]);
  });
});
