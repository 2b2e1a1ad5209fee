// Failures of install-service / uninstall-service: one sentence saying what failed and what to do.
import { InternalCode } from "../../shared/errors.js";

/** The service installer's codes; what each means is in shared/errors.ts. */
export const ServiceErrorCode = {
  Unsupported: InternalCode.SERVICE_UNSUPPORTED,
  BadPath: InternalCode.SERVICE_BAD_PATH,
  TemplateMissing: InternalCode.SERVICE_TEMPLATE_MISSING,
  Io: InternalCode.SERVICE_IO,
  CommandFailed: InternalCode.SERVICE_COMMAND_FAILED,
} as const;
export type ServiceErrorCode = (typeof ServiceErrorCode)[keyof typeof ServiceErrorCode];

export class ServiceError extends Error {
  constructor(
    readonly code: ServiceErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ServiceError";
  }
}
