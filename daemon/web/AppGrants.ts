// The apps the user allowed, each with the SHA-256 of its token, never the token itself: a copy of
// the file lets nobody in. "Allow always" grants live in `apps.json` in the data dir (0600, written
// to a temp file, fsynced and renamed over the old one, so a crash leaves the old or the new file);
// "allow once" grants live in memory until the daemon stops. A token is 32 random bytes (base64url);
// it is found by its hash, and only from the origin it was granted to.
// A file that cannot be read or is not valid does not stop the daemon (it holds browser grants,
// nothing sync needs): until it is fixed or moved away, every use of the grants fails with
// AppsFileUnreadable naming the file, app tokens are refused, and the file is never overwritten.
// Each use reads it again, so a fix takes effect without a restart.

import { createHash, randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import type { AllowedApp } from "../../shared/types.js";

export const APPS_FILE_NAME = "apps.json";

export interface Grant extends AllowedApp {
  tokenSha256: string;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export class AppGrants {
  private readonly byHash = new Map<string, Grant>();
  readonly file: string;
  /** Why the file could not be read, until a read succeeds. */
  private unreadable: AtsyncError | undefined;

  constructor(dataDir: string) {
    this.file = join(dataDir, APPS_FILE_NAME);
    this.load();
  }

  /** The file's problem, if it has one now (the daemon logs it at start). */
  get readError(): AtsyncError | undefined {
    return this.unreadable;
  }

  list(): AllowedApp[] {
    this.ready();
    return [...this.byHash.values()].map(({ tokenSha256: _hash, ...app }) => app);
  }

  /** Grants `app` a new token, returned once and kept only as its hash. */
  grant(app: Omit<AllowedApp, "appId">): { grant: Grant; token: string } {
    this.ready();
    const token = randomBytes(32).toString("base64url");
    const grant: Grant = { ...app, appId: `app-${randomBytes(6).toString("hex")}`, tokenSha256: hashToken(token) };
    this.byHash.set(grant.tokenSha256, grant);
    if (grant.always) this.save();
    return { grant, token };
  }

  /** The grant `token` opens, if any (none while the file cannot be read). */
  find(token: string): Grant | undefined {
    if (this.unreadable !== undefined && !this.load()) return undefined;
    return this.byHash.get(hashToken(token));
  }

  revoke(appId: string): Grant | undefined {
    this.ready();
    for (const [hash, g] of this.byHash) {
      if (g.appId !== appId) continue;
      this.byHash.delete(hash);
      if (g.always) this.save();
      return g;
    }
    return undefined;
  }

  /** Whether `grant` still stands (revoke ends it for connections already open too). */
  has(grant: Grant): boolean {
    return this.byHash.get(grant.tokenSha256) === grant;
  }

  /** Throws AppsFileUnreadable while the file cannot be read (reading it again first). */
  private ready(): void {
    if (this.unreadable !== undefined && !this.load()) throw this.unreadable;
  }

  /** Reads the file into the grants kept always (once-grants stay); false, with `unreadable` set, when it cannot be read. */
  private load(): boolean {
    let grants: Grant[];
    try {
      grants = readGrants(this.file);
    } catch (err) {
      const why = err instanceof SyntaxError ? `not valid JSON: ${err.message}` : (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
      this.unreadable = new AtsyncError(ErrorCode.AppsFileUnreadable,
        `${this.file} (the browser apps allowed always) cannot be read (${why}): fix it, or move it away to forget those apps; atsyncd reads it again at its next use`);
      return false;
    }
    this.unreadable = undefined;
    for (const g of grants) this.byHash.set(g.tokenSha256, g);
    return true;
  }

  private save(): void {
    const kept = [...this.byHash.values()].filter((g) => g.always);
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    const fd = openSync(tmp, "wx", 0o600);
    try {
      writeSync(fd, `${JSON.stringify({ version: 1, apps: kept }, null, 2)}\n`);
      fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      unlinkSync(tmp);
      throw err;
    }
    closeSync(fd);
    renameSync(tmp, this.file);
  }
}

function readGrants(file: string): Grant[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  const raw = JSON.parse(text) as { apps?: unknown } | null;
  if (!Array.isArray(raw?.apps)) throw new Error("it holds no \"apps\" list");
  return raw.apps.filter(isGrant);
}

function isGrant(v: unknown): v is Grant {
  const g = v as Partial<Grant> | null;
  return typeof g === "object" && g !== null && typeof g.appId === "string" && typeof g.tokenSha256 === "string"
    && /^[0-9a-f]{64}$/u.test(g.tokenSha256) && typeof g.origin === "string" && typeof g.name === "string"
    && Array.isArray(g.atSigns) && g.atSigns.every((a) => typeof a === "string")
    && Array.isArray(g.namespaces) && g.namespaces.every((n) => typeof n === "string")
    && typeof g.grantedAt === "number" && g.always === true;
}
