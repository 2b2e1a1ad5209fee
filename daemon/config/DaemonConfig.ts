// The daemon's config file, validated from `unknown` at the edge. Every field is optional;
// top-level sync fields are the defaults, `atSigns["@x"]` overrides them per atSign.
// Unknown fields are errors, so a typo never silently falls back to a default.
import cron from "node-cron";
import { ConfigError, ConfigErrorCode } from "./ConfigError.js";

export const ConflictPolicies = ["local-wins", "remote-wins", "last-writer-wins"] as const;
export type ConflictPolicy = (typeof ConflictPolicies)[number];
export const LogLevels = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LogLevels)[number];

export interface HostPort {
  host: string;
  port: number;
}

/** Everything one atSign's worker needs from the config; plain data (it crosses into the worker). */
export interface AtSignConfig {
  /** node-cron expression for the safety-net sync; null when disabled (`"off"` in the file). */
  syncSchedule: string | null;
  conflictPolicy: ConflictPolicy;
  /** Selective sync: only these namespaces (empty = all). */
  namespaces: string[];
  /** Selective sync: only keys matching this regex (null = all). */
  regex: string | null;
  rootServer: HostPort;
  /** PEM file of an extra CA to trust (dev-servers); null for the system store. */
  ca: string | null;
}

export interface DaemonConfig {
  logLevel: LogLevel;
  /** `web`: the browser apps' WebSocket port on 127.0.0.1 (true in the file: 64640); undefined when off. */
  webPort?: number;
  defaults: AtSignConfig;
  /** Per-atSign overrides, keyed by normalized atSign. */
  atSigns: Record<string, Partial<AtSignConfig>>;
}

export const DEFAULT_SYNC_SCHEDULE = "*/5 * * * *";
export const DEFAULT_ROOT_SERVER: HostPort = { host: "root.atsign.org", port: 64 };

export function defaultConfig(): DaemonConfig {
  return {
    logLevel: "info",
    defaults: {
      syncSchedule: DEFAULT_SYNC_SCHEDULE,
      conflictPolicy: "local-wins",
      namespaces: [],
      regex: null,
      rootServer: { ...DEFAULT_ROOT_SERVER },
      ca: null,
    },
    atSigns: {},
  };
}

/** `@` prefix, lowercase (atSigns are case-insensitive), trimmed. */
export function normalizeAtSignName(s: string): string {
  const t = s.trim().toLowerCase();
  return t.startsWith("@") ? t : `@${t}`;
}

function bad(field: string, message: string): ConfigError {
  return new ConfigError(ConfigErrorCode.InvalidField, `config field "${field}" ${message}`, field);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function parseHostPort(s: string, field: string): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/u.exec(s.trim());
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw bad(field, `must be "host:port" with a port from 1 to 65535, got ${JSON.stringify(s)}`);
  }
  return { host, port };
}

const SYNC_FIELDS = ["syncSchedule", "conflictPolicy", "namespaces", "regex", "rootServer", "ca"] as const;
const TOP_FIELDS = new Set<string>([...SYNC_FIELDS, "logLevel", "web", "atSigns", "$schema"]);
/** `"web": true` (DEFAULT_WEB_PORT in daemon/web/WebListener.ts; the config does not import the listener). */
const DEFAULT_WEB_PORT = 64640;
const NAMESPACE = /^[\p{L}\p{N}_.-]+$/u;

function parseSyncFields(obj: Record<string, unknown>, prefix: string, allowed: ReadonlySet<string>): Partial<AtSignConfig> {
  for (const k of Object.keys(obj)) {
    if (!allowed.has(k)) {
      const field = prefix + k;
      throw new ConfigError(ConfigErrorCode.UnknownField, `config field "${field}" is not known (allowed: ${[...allowed].join(", ")})`, field);
    }
  }
  const out: Partial<AtSignConfig> = {};
  const f = (k: string): string => prefix + k;
  if (obj.syncSchedule !== undefined) {
    const v = obj.syncSchedule;
    if (typeof v !== "string") throw bad(f("syncSchedule"), `must be a cron expression string or "off"`);
    if (v === "off") out.syncSchedule = null;
    else if (!cron.validate(v)) throw bad(f("syncSchedule"), `is not a valid cron expression: ${JSON.stringify(v)}`);
    else out.syncSchedule = v;
  }
  if (obj.conflictPolicy !== undefined) {
    const v = obj.conflictPolicy;
    if (typeof v !== "string" || !(ConflictPolicies as readonly string[]).includes(v)) {
      throw bad(f("conflictPolicy"), `must be one of ${ConflictPolicies.join(", ")}`);
    }
    out.conflictPolicy = v as ConflictPolicy;
  }
  if (obj.namespaces !== undefined) {
    const v = obj.namespaces;
    if (!Array.isArray(v) || !v.every((n): n is string => typeof n === "string" && NAMESPACE.test(n))) {
      throw bad(f("namespaces"), "must be an array of namespace names (letters, digits, _ . -)");
    }
    out.namespaces = [...v];
  }
  if (obj.regex !== undefined) {
    const v = obj.regex;
    if (v !== null && typeof v !== "string") throw bad(f("regex"), "must be a regular expression string or null");
    if (typeof v === "string") {
      try {
        new RegExp(v, "u");
      } catch (err) {
        throw bad(f("regex"), `is not a valid regular expression: ${(err as Error).message}`);
      }
    }
    out.regex = v;
  }
  if (obj.rootServer !== undefined) {
    if (typeof obj.rootServer !== "string") throw bad(f("rootServer"), `must be a "host:port" string`);
    out.rootServer = parseHostPort(obj.rootServer, f("rootServer"));
  }
  if (obj.ca !== undefined) {
    const v = obj.ca;
    if (v !== null && (typeof v !== "string" || v === "")) throw bad(f("ca"), "must be the path of a PEM file or null");
    out.ca = v;
  }
  return out;
}

/** Validates a parsed config file; throws ConfigError naming the bad field. */
export function parseDaemonConfig(raw: unknown): DaemonConfig {
  if (!isRecord(raw)) throw new ConfigError(ConfigErrorCode.InvalidField, "the config file must hold a JSON object");
  const cfg = defaultConfig();
  const sync = Object.fromEntries(Object.entries(raw).filter(([k]) => (SYNC_FIELDS as readonly string[]).includes(k)));
  const unknownTop = Object.keys(raw).find((k) => !TOP_FIELDS.has(k));
  if (unknownTop !== undefined) {
    throw new ConfigError(ConfigErrorCode.UnknownField, `config field "${unknownTop}" is not known (allowed: ${[...TOP_FIELDS].join(", ")})`, unknownTop);
  }
  cfg.defaults = { ...cfg.defaults, ...parseSyncFields(sync, "", new Set(SYNC_FIELDS)) };
  if (raw.logLevel !== undefined) {
    if (typeof raw.logLevel !== "string" || !(LogLevels as readonly string[]).includes(raw.logLevel)) {
      throw bad("logLevel", `must be one of ${LogLevels.join(", ")}`);
    }
    cfg.logLevel = raw.logLevel as LogLevel;
  }
  if (raw.web !== undefined && raw.web !== false) {
    const port = raw.web === true ? DEFAULT_WEB_PORT : raw.web;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) throw bad("web", "must be true, false or a port (1-65535)");
    cfg.webPort = port;
  }
  if (raw.atSigns !== undefined) {
    if (!isRecord(raw.atSigns)) throw bad("atSigns", `must be an object keyed by atSign, e.g. {"@alice": {...}}`);
    for (const [name, entry] of Object.entries(raw.atSigns)) {
      const field = `atSigns.${name}`;
      if (!isRecord(entry)) throw bad(field, "must be an object");
      const atSign = normalizeAtSignName(name);
      if (atSign.length < 2 || /[\s:]/u.test(atSign)) throw bad(field, "is not an atSign");
      if (cfg.atSigns[atSign] !== undefined) throw bad(field, `repeats ${atSign}`);
      cfg.atSigns[atSign] = parseSyncFields(entry, `${field}.`, new Set(SYNC_FIELDS));
    }
  }
  return cfg;
}

/** The effective settings of one atSign: its overrides over the defaults. */
export function configFor(config: DaemonConfig, atSign: string): AtSignConfig {
  const own = config.atSigns[normalizeAtSignName(atSign)] ?? {};
  const merged = { ...config.defaults, ...own };
  return { ...merged, namespaces: [...merged.namespaces], rootServer: { ...merged.rootServer } };
}
