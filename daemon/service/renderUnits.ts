// Turns the shipped service files (systemd/, launchd/) into the ones install-service writes:
// absolute node and atsyncd paths, the data dir. The shipped systemd units are valid as they
// are, so rendering rewrites named settings; the plist has @NAME@ placeholders.
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SYSTEM_SOCKET_PATH } from "../../shared/paths.js";
import { ServiceError, ServiceErrorCode } from "./ServiceError.js";

export const USER_UNIT_FILE = "atsyncd.service";
export const SYSTEM_UNIT_TEMPLATE = "atsyncd-system.service";
export const SYSUSERS_TEMPLATE = "atsyncd.sysusers.conf";
export const LAUNCHD_LABEL = "org.atsign.atsyncd";
export const LAUNCHD_PLIST_FILE = `${LAUNCHD_LABEL}.plist`;

/** The system variant's fixed locations (StateDirectory= and RuntimeDirectory= in the unit). */
export const SYSTEM_DATA_DIR = "/var/lib/atsyncd";
export const SYSTEM_SOCKET = SYSTEM_SOCKET_PATH;

export interface RenderPaths {
  execPath: string;
  binPath: string;
  dataDir: string;
  /**
   * The config file `atsyncd run` reads with no flags (~/.config/atsyncd/config.json on Linux),
   * named in ExecStart= because `--data-dir` alone would move it into the data dir.
   */
  configFile?: string;
}

/** The project root holding systemd/ and launchd/, from source (tsx) or from dist/. */
export function findTemplatesRoot(start = dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "systemd", USER_UNIT_FILE)) && existsSync(join(dir, "launchd", LAUNCHD_PLIST_FILE))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new ServiceError(
    ServiceErrorCode.TemplateMissing,
    `The service files (systemd/, launchd/) were not found above ${start}; reinstall atsyncd.`,
  );
}

export function readTemplate(root: string, ...rel: string[]): string {
  const path = join(root, ...rel);
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new ServiceError(ServiceErrorCode.TemplateMissing, `Cannot read the service file ${path}; reinstall atsyncd.`, { cause: e });
  }
}

function checkPath(what: string, p: string): void {
  if (!isAbsolute(p)) throw new ServiceError(ServiceErrorCode.BadPath, `The ${what} must be an absolute path, not "${p}".`);
  if (/[\n\r\0]/u.test(p)) throw new ServiceError(ServiceErrorCode.BadPath, `The ${what} contains a line break or NUL: "${p}".`);
}

/**
 * One word of a systemd setting: `%` is a specifier and `$` an environment reference in
 * ExecStart=, so both are doubled; a word with whitespace, quotes or backslashes is quoted.
 */
export function systemdWord(s: string, exec: boolean): string {
  let out = s.replaceAll("%", "%%");
  if (exec) out = out.replaceAll("$", () => "$$");
  if (!/[\s"'\\;]/u.test(out)) return out;
  return `"${out.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** Replaces the value of `key=` in the [Service] section; the key must occur exactly once. */
export function setUnitKey(unit: string, key: string, value: string): string {
  const re = new RegExp(`^${key}=.*$`, "gmu");
  const hits = unit.match(re)?.length ?? 0;
  if (hits !== 1) {
    throw new ServiceError(ServiceErrorCode.TemplateMissing, `The unit template has ${hits} ${key}= lines, expected one.`);
  }
  return unit.replace(re, () => `${key}=${value}`);
}

/** The user unit for the node and atsyncd given, with the data dir writable. */
export function renderUserUnit(template: string, p: RenderPaths): string {
  checkPath("node path", p.execPath);
  checkPath("atsyncd path", p.binPath);
  checkPath("data dir", p.dataDir);
  if (p.configFile !== undefined) checkPath("config file", p.configFile);
  const config = p.configFile === undefined ? [] : ["--config", p.configFile];
  const exec = [p.execPath, p.binPath, "run", "--data-dir", p.dataDir, ...config].map((w) => systemdWord(w, true)).join(" ");
  let unit = setUnitKey(template, "ExecStart", exec);
  // "-": a path that does not exist yet must not stop the service from starting.
  const rw = [`-${p.dataDir}`, "-%h/.config/atsyncd", "-%t/atsyncd"];
  unit = setUnitKey(unit, "ReadWritePaths", [systemdWord(rw[0] ?? "", false), ...rw.slice(1)].join(" "));
  return unit;
}

/** The system unit; its data dir and socket are fixed by StateDirectory= and RuntimeDirectory=. */
export function renderSystemUnit(template: string, p: Omit<RenderPaths, "dataDir">): string {
  checkPath("node path", p.execPath);
  checkPath("atsyncd path", p.binPath);
  const exec = [p.execPath, p.binPath, "run", "--data-dir", SYSTEM_DATA_DIR, "--socket", SYSTEM_SOCKET]
    .map((w) => systemdWord(w, true))
    .join(" ");
  return setUnitKey(template, "ExecStart", exec);
}

function xmlText(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&apos;");
}

/** The LaunchAgent plist; every placeholder must be filled. */
export function renderLaunchdPlist(template: string, p: RenderPaths & { logDir: string }): string {
  checkPath("node path", p.execPath);
  checkPath("atsyncd path", p.binPath);
  checkPath("data dir", p.dataDir);
  checkPath("log dir", p.logDir);
  const values: Record<string, string> = { NODE: p.execPath, BIN: p.binPath, DATA_DIR: p.dataDir, LOG_DIR: p.logDir };
  const out = template.replace(/@([A-Z_]+)@/gu, (whole, name: string) => {
    const v = values[name];
    return v === undefined ? whole : xmlText(v);
  });
  // Placeholders are only ever inside <string> elements; the comment's "@…@" is no placeholder.
  const left = /<string>[^<]*@[A-Z_]+@[^<]*<\/string>/u.exec(out);
  if (left) throw new ServiceError(ServiceErrorCode.TemplateMissing, `The plist template has an unknown placeholder: ${left[0]}`);
  return out;
}
