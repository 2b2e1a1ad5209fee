// Configuration and path failures: one class, a code to switch on, and the field at fault,
// so `atsyncd run` can print one clear sentence instead of a stack.

export const ConfigErrorCode = {
  Unreadable: "CONFIG_UNREADABLE",
  InvalidJson: "CONFIG_INVALID_JSON",
  InvalidField: "CONFIG_INVALID_FIELD",
  UnknownField: "CONFIG_UNKNOWN_FIELD",
  SocketPathTooLong: "SOCKET_PATH_TOO_LONG",
  RuntimeDirNotOurs: "RUNTIME_DIR_NOT_OURS",
} as const;
export type ConfigErrorCode = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];

export class ConfigError extends Error {
  constructor(
    readonly code: ConfigErrorCode,
    message: string,
    /** Dotted path of the offending field (e.g. `atSigns.@alice.syncSchedule`), when there is one. */
    readonly field?: string,
  ) {
    super(message);
    this.name = "ConfigError";
  }
}
