// A failure a verb handler raises: the Dart exception it stands for decides the AT code, the
// wording of the reply and whether the connection survives (S:exception/global_exception_handler.dart).

export const ServerErrorKind = {
  InvalidSyntax: "AT0003",
  BufferOverflow: "AT0005",
  SecondaryNotFound: "AT0007",
  Unauthorized: "AT0009",
  Internal: "AT0011",
  KeyNotFound: "AT0015",
  InvalidAtKey: "AT0016",
  IllegalArgument: "AT0022",
  Unauthenticated: "AT0401",
} as const;
export type ServerErrorCode = (typeof ServerErrorKind)[keyof typeof ServerErrorKind];

/** Codes after which the real server closes the connection. */
const CLOSING: ReadonlySet<string> = new Set(["AT0005", "AT0011"]);

export class ServerError extends Error {
  readonly closesConnection: boolean;
  constructor(
    readonly code: ServerErrorCode | HandlerErrorCode,
    message: string,
    /**
     * A handler's own error (Response.isError), written as `error:AT0028:<message>` whatever
     * the client version, instead of going through the global exception handler.
     */
    readonly fromHandler = false,
  ) {
    super(message);
    this.name = "ServerError";
    this.closesConnection = CLOSING.has(code);
  }
}

/** Codes handlers set on their Response (APKAM status of pkam). */
export type HandlerErrorCode = "AT0025" | "AT0026" | "AT0027" | "AT0028";

export const syntaxError = (usage: string): ServerError =>
  new ServerError(ServerErrorKind.InvalidSyntax, `Invalid syntax. ${usage}`);
