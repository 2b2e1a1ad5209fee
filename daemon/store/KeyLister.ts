// Listing pages of the keys table in bounded memory: each page is one LIMIT query after the
// previous page's last key (keyset paging on the primary key, never OFFSET, never the whole table).
// A namespace is a search of keys_by_namespace, a prefix (given, or a regex's literal start) a
// range of the primary key, and a regex the registered atsync_regexp, tested inside SQLite on at
// most `scanBudget` keys per page.
import type Database from "better-sqlite3";
import type { KeyPage, KeyQuery, ListedKey } from "../ports.js";
import { LIST_SCAN_BUDGET, literalPrefix, namespaceOf, prefixEnd, regexTester } from "./keyListing.js";
import { parseMetadataJson } from "./rows.js";

interface PageRow {
  at_key: string;
  lifetime: string | null;
  updated_at_ms: number;
}

/** The metadata only of keys whose ttb or ttl may hide them: parsing every key's would double a page's cost. */
function lifetime(metadata: string): string {
  return `CASE WHEN json_extract(${metadata}, '$.ttb') > 0 OR json_extract(${metadata}, '$.ttl') > 0 THEN ${metadata} END AS lifetime`;
}

interface Bind {
  after: string;
  from: string;
  upper?: string;
  ns?: string;
  re?: string;
  scan: number;
  limit: number;
}

/** The functions the schema's migrations and the listing's statements call; registered on every open, before migrating. */
export function registerStoreFunctions(db: Database.Database): void {
  db.function("atsync_namespace", { deterministic: true }, (k: unknown) => (typeof k === "string" ? namespaceOf(k) : null));
  const test = regexTester();
  db.function("atsync_regexp", { deterministic: true }, (re: unknown, k: unknown) => (typeof re === "string" && typeof k === "string" && test(re, k) ? 1 : 0));
}

export class KeyLister {
  /** One statement per query shape (namespace? upper bound? regex?), prepared when first used. */
  private readonly pages = new Map<string, Database.Statement<[Bind], PageRow>>();
  private readonly lasts = new Map<string, Database.Statement<[Bind], { at_key: string }>>();

  constructor(private readonly db: Database.Database) {}

  page(q: KeyQuery, after: string, limit: number, scanBudget = LIST_SCAN_BUDGET): KeyPage {
    const given = q.prefix ?? "";
    const literal = q.regex !== undefined ? literalPrefix(q.regex) : "";
    // A key must start with both: with the longer, or with nothing at all.
    if (!given.startsWith(literal) && !literal.startsWith(given)) return { keys: [], next: null };
    const prefix = given.length >= literal.length ? given : literal;
    const upper = prefix === "" ? undefined : prefixEnd(prefix);
    const bind: Bind = { after, from: prefix, scan: Math.max(1, scanBudget), limit: Math.max(1, limit) };
    if (upper !== undefined) bind.upper = upper;
    if (q.namespace !== undefined) bind.ns = q.namespace.toLowerCase();
    if (q.regex !== undefined) bind.re = q.regex;
    const shape = `${bind.ns !== undefined ? "n" : ""}${upper !== undefined ? "u" : ""}${bind.re !== undefined ? "r" : ""}`;
    const rows = this.statement(this.pages, shape, () => pageSql(shape)).all(bind);
    const keys: ListedKey[] = rows.map((r) => ({ atKey: r.at_key, updatedAtMs: r.updated_at_ms, lifetime: r.lifetime === null ? null : parseMetadataJson(r.lifetime) }));
    const last = keys.at(-1)?.atKey;
    if (keys.length === bind.limit) return { keys, next: last ?? null };
    if (bind.re === undefined) return { keys, next: null };
    // Fewer matches than asked: the regex saw every key up to the budget's last, which is where
    // the next page starts, unless the range ended first.
    const budgetLast = this.statement(this.lasts, shape, () => budgetLastSql(shape)).get(bind);
    return { keys, next: budgetLast?.at_key ?? null };
  }

  private statement<R>(cache: Map<string, Database.Statement<[Bind], R>>, shape: string, sql: () => string): Database.Statement<[Bind], R> {
    let st = cache.get(shape);
    if (st === undefined) {
      st = this.db.prepare<[Bind], R>(sql());
      cache.set(shape, st);
    }
    return st;
  }
}

function rangeWhere(shape: string): string {
  const where = ["deleted = 0", "at_key > @after", "at_key >= @from"];
  if (shape.includes("n")) where.push("namespace = @ns");
  if (shape.includes("u")) where.push("at_key < @upper");
  return where.join(" AND ");
}

/** A page's statement for a query shape: `n` namespace, `u` an upper bound (a prefix), `r` a regex. Exported for the query-plan tests. */
export function pageSql(shape: string): string {
  if (!shape.includes("r")) return `SELECT at_key, updated_at_ms, ${lifetime("metadata")} FROM keys WHERE ${rangeWhere(shape)} ORDER BY at_key LIMIT @limit`;
  // The scan is bounded first; the regex picks from it, in its order, up to the limit.
  const scan = `SELECT at_key, metadata, updated_at_ms FROM keys WHERE ${rangeWhere(shape)} ORDER BY at_key LIMIT @scan`;
  return `SELECT at_key, updated_at_ms, ${lifetime("metadata")} FROM (${scan}) WHERE atsync_regexp(@re, at_key) LIMIT @limit`;
}

/** The last key of the bounded scan, if the range has that many. */
function budgetLastSql(shape: string): string {
  return `SELECT at_key FROM keys WHERE ${rangeWhere(shape)} ORDER BY at_key LIMIT 1 OFFSET @scan - 1`;
}
