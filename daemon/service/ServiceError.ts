// Failures of install-service / uninstall-service: one sentence saying what failed and what to do.

export const ServiceErrorCode = {
  Unsupported: "SERVICE_UNSUPPORTED",
  BadPath: "SERVICE_BAD_PATH",
  TemplateMissing: "SERVICE_TEMPLATE_MISSING",
  Io: "SERVICE_IO",
  CommandFailed: "SERVICE_COMMAND_FAILED",
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
