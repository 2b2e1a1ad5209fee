// Reads the config file; a missing file means all defaults (a fresh install has none).
import { readFileSync } from "node:fs";
import { ConfigError, ConfigErrorCode } from "./ConfigError.js";
import { defaultConfig, parseDaemonConfig, type DaemonConfig } from "./DaemonConfig.js";

export function loadConfig(file: string): DaemonConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return defaultConfig();
    throw new ConfigError(ConfigErrorCode.Unreadable, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(ConfigErrorCode.InvalidJson, `${file} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return parseDaemonConfig(raw);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.code, `${file}: ${err.message}`, err.field);
    throw err;
  }
}
