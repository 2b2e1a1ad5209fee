// Reads and edits the daemon's config file for `atsyncd config`. Every edit is validated by
// the daemon's own parser before it is written, and written atomically (temp file, rename),
// so the daemon never starts on a file `config set` broke.
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ConfigError } from "../config/ConfigError.js";
import { configFor, normalizeAtSignName, parseDaemonConfig, type AtSignConfig, type DaemonConfig } from "../config/DaemonConfig.js";
import { CliError, ExitCode } from "./Command.js";

export type RawConfig = Record<string, unknown>;

export const SYNC_FIELDS = ["syncSchedule", "conflictPolicy", "namespaces", "regex", "rootServer", "ca"] as const;
type SyncField = (typeof SYNC_FIELDS)[number];

/** A field name as `config` takes it: `logLevel`, `syncSchedule`, or `atSigns.@alice.syncSchedule`. */
export interface FieldRef {
  atSign?: string;
  field: SyncField | "logLevel";
}

function isRecord(v: unknown): v is RawConfig {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function parseFieldRef(name: string): FieldRef | undefined {
  if (name === "logLevel") return { field: "logLevel" };
  if ((SYNC_FIELDS as readonly string[]).includes(name)) return { field: name as SyncField };
  if (!name.startsWith("atSigns.")) return undefined;
  const rest = name.slice("atSigns.".length);
  const dot = rest.lastIndexOf(".");
  const field = rest.slice(dot + 1);
  const atSign = rest.slice(0, dot);
  if (dot <= 0 || !(SYNC_FIELDS as readonly string[]).includes(field)) return undefined;
  return { atSign: normalizeAtSignName(atSign), field: field as SyncField };
}

export const FIELD_HELP = `logLevel, ${SYNC_FIELDS.join(", ")}, or atSigns.@atSign.<one of ${SYNC_FIELDS.join("|")}>`;

/** A value from the command line: JSON when it parses as JSON (`null`, `["wavi"]`), else the text itself. */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function readRawConfig(file: string): RawConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new CliError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})`, ExitCode.Failure);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new CliError(`${file} is not valid JSON: fix it by hand or remove it to start from the defaults`, ExitCode.Failure);
  }
  if (!isRecord(raw)) throw new CliError(`${file} does not hold a JSON object: fix it by hand or remove it`, ExitCode.Failure);
  return raw;
}

/** Validates with the daemon's parser; a ConfigError becomes one usage sentence. */
export function validateConfig(raw: RawConfig): DaemonConfig {
  try {
    return parseDaemonConfig(raw);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, ExitCode.Usage);
    throw err;
  }
}

/** A copy of `raw` with the field set (value defined) or removed (undefined). */
export function editConfig(raw: RawConfig, ref: FieldRef, value: unknown): RawConfig {
  const out: RawConfig = structuredClone(raw);
  if (ref.atSign === undefined) {
    if (value === undefined) delete out[ref.field];
    else out[ref.field] = value;
    return out;
  }
  const atSigns: RawConfig = isRecord(out.atSigns) ? out.atSigns : {};
  // The file may spell the atSign differently (`@Alice`, `alice`); edit that entry.
  const existing = Object.keys(atSigns).find((k) => normalizeAtSignName(k) === ref.atSign) ?? ref.atSign;
  const entry: RawConfig = isRecord(atSigns[existing]) ? atSigns[existing] : {};
  if (value === undefined) delete entry[ref.field];
  else entry[ref.field] = value;
  if (Object.keys(entry).length === 0) delete atSigns[existing];
  else atSigns[existing] = entry;
  if (Object.keys(atSigns).length === 0) delete out.atSigns;
  else out.atSigns = atSigns;
  return out;
}

export function writeRawConfig(file: string, raw: RawConfig): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(file), `.config.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    writeFileSync(tmp, `${JSON.stringify(raw, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, file);
  } catch (err) {
    throw new CliError(`cannot write ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})`, ExitCode.Failure);
  }
}

/** A sync setting as the file spells it (`"off"`, `"host:port"`). */
function fileForm<K extends keyof AtSignConfig>(field: K, v: AtSignConfig[K]): unknown {
  if (field === "syncSchedule" && v === null) return "off";
  if (field === "rootServer") {
    const hp = v as AtSignConfig["rootServer"];
    return `${hp.host.includes(":") ? `[${hp.host}]` : hp.host}:${hp.port}`;
  }
  return v;
}

/** The effective value of a field (defaults and overrides applied), as the file spells it. */
export function effectiveValue(cfg: DaemonConfig, ref: FieldRef): unknown {
  if (ref.field === "logLevel") return cfg.logLevel;
  const eff = ref.atSign !== undefined ? configFor(cfg, ref.atSign) : cfg.defaults;
  return fileForm(ref.field, eff[ref.field]);
}

/** The whole effective configuration, as a config file would say it. */
export function effectiveConfig(cfg: DaemonConfig): RawConfig {
  const out: RawConfig = { logLevel: cfg.logLevel };
  for (const f of SYNC_FIELDS) out[f] = fileForm(f, cfg.defaults[f]);
  const atSigns: RawConfig = {};
  for (const [atSign, own] of Object.entries(cfg.atSigns)) {
    const entry: RawConfig = {};
    for (const f of SYNC_FIELDS) if (own[f] !== undefined) entry[f] = fileForm(f, own[f] as AtSignConfig[typeof f]);
    atSigns[atSign] = entry;
  }
  if (Object.keys(atSigns).length > 0) out.atSigns = atSigns;
  return out;
}
