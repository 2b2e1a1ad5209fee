// Where atsyncd keeps its config, data and socket. Pure: everything it needs comes in
// through PathEnv, so every platform's answer is testable on any machine.
import { posix } from "node:path";
import { defaultSocketPath } from "../../shared/paths.js";
import { ConfigError, ConfigErrorCode } from "./ConfigError.js";

export interface PathEnv {
  platform: NodeJS.Platform;
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  uid: number;
}

export interface PathOverrides {
  /** `--data-dir`: also moves the config file to `<dataDir>/config.json` unless `configFile` is given. */
  dataDir?: string;
  /** `--socket` */
  socket?: string;
  /** `--config` */
  configFile?: string;
}

export interface DaemonPaths {
  configFile: string;
  dataDir: string;
  socketPath: string;
  /** The directory holding the socket; the daemon creates it 0700 (see ensurePrivateDir). */
  socketDir: string;
}

const APP = "atsyncd";

/** Bytes a socket path may have, without the NUL terminator (sizeof sun_path - 1). */
export function maxSocketPathBytes(platform: NodeJS.Platform): number {
  return platform === "linux" ? 107 : 103;
}

export function socketPathFits(path: string, platform: NodeJS.Platform): boolean {
  return Buffer.byteLength(path, "utf8") <= maxSocketPathBytes(platform);
}

function nonEmpty(v: string | undefined): string | undefined {
  // XDG says a relative value is invalid and must be ignored.
  return v !== undefined && v !== "" && posix.isAbsolute(v) ? v : undefined;
}

/** Resolves config, data and socket locations; `--data-dir`/`--socket` win over everything. */
export function resolvePaths(pe: PathEnv, overrides: PathOverrides = {}): DaemonPaths {
  let configDir: string;
  let dataDir: string;
  if (pe.platform === "darwin") {
    configDir = posix.join(pe.home, "Library", "Application Support", APP);
    dataDir = configDir;
  } else {
    configDir = posix.join(nonEmpty(pe.env.XDG_CONFIG_HOME) ?? posix.join(pe.home, ".config"), APP);
    dataDir = posix.join(nonEmpty(pe.env.XDG_DATA_HOME) ?? posix.join(pe.home, ".local", "share"), APP);
  }
  let configFile = posix.join(configDir, "config.json");
  if (overrides.dataDir !== undefined) {
    dataDir = posix.resolve(overrides.dataDir);
    configFile = posix.join(dataDir, "config.json");
  }
  if (overrides.configFile !== undefined) configFile = posix.resolve(overrides.configFile);

  // The default comes from shared/ so the client finds the socket the daemon listens on
  // (including $ATSYNCD_SOCKET); a default too long for sun_path is an error, not a silent
  // fallback the client would not know about.
  const fromFlag = overrides.socket !== undefined;
  const socketPath = fromFlag ? posix.resolve(overrides.socket as string) : defaultSocketPath(pe);
  if (!socketPathFits(socketPath, pe.platform)) {
    throw new ConfigError(
      ConfigErrorCode.SocketPathTooLong,
      `socket path is ${Buffer.byteLength(socketPath)} bytes, more than the ${maxSocketPathBytes(pe.platform)} a Unix socket allows: ${socketPath}` +
        (fromFlag ? "" : "; pass a shorter --socket (or set ATSYNCD_SOCKET for daemon and apps alike)"),
      "socket",
    );
  }
  return { configFile, dataDir, socketPath, socketDir: posix.dirname(socketPath) };
}
