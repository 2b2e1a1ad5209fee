// Configuration and path failures: one class, a code to switch on, and the field at fault,
// so `atsyncd run` can print one clear sentence instead of a stack.
import { InternalCode } from "../../shared/errors.js";

/** The configuration's codes; what each means is in shared/errors.ts. */
export const ConfigErrorCode = {
  Unreadable: InternalCode.CONFIG_UNREADABLE,
  InvalidJson: InternalCode.CONFIG_INVALID_JSON,
  InvalidField: InternalCode.CONFIG_INVALID_FIELD,
  UnknownField: InternalCode.CONFIG_UNKNOWN_FIELD,
  SocketPathTooLong: InternalCode.SOCKET_PATH_TOO_LONG,
  RuntimeDirNotOurs: InternalCode.RUNTIME_DIR_NOT_OURS,
  DataDirNotOurs: InternalCode.DATA_DIR_NOT_OURS,
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
