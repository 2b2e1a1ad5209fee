// The apps the user allowed, each with the SHA-256 of its token, never the token itself: a copy of
// the file lets nobody in. "Allow always" grants live in `apps.json` in the data dir (0600, written
// to a temp file, fsynced and renamed over the old one, so a crash leaves the old or the new file);
// "allow once" grants live in memory until the daemon stops. A token is 32 random bytes (base64url);
// it is found by its hash, and only from the origin it was granted to.

import { createHash, randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
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

  constructor(dataDir: string) {
    this.file = join(dataDir, APPS_FILE_NAME);
    for (const g of readGrants(this.file)) this.byHash.set(g.tokenSha256, g);
  }

  list(): AllowedApp[] {
    return [...this.byHash.values()].map(({ tokenSha256: _hash, ...app }) => app);
  }

  /** Grants `app` a new token, returned once and kept only as its hash. */
  grant(app: Omit<AllowedApp, "appId">): { grant: Grant; token: string } {
    const token = randomBytes(32).toString("base64url");
    const grant: Grant = { ...app, appId: `app-${randomBytes(6).toString("hex")}`, tokenSha256: hashToken(token) };
    this.byHash.set(grant.tokenSha256, grant);
    if (grant.always) this.save();
    return { grant, token };
  }

  /** The grant `token` opens, if any. */
  find(token: string): Grant | undefined {
    return this.byHash.get(hashToken(token));
  }

  revoke(appId: string): Grant | undefined {
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
  const raw = JSON.parse(text) as { apps?: unknown };
  if (!Array.isArray(raw.apps)) throw new Error(`${file} holds no "apps" list`);
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
