// A Logger that drops everything, for tests and for callers that have none.
import type { Logger } from "../ports.js";

const noop = (): void => undefined;

export const nullLogger: Logger = Object.freeze({
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: (): Logger => nullLogger,
});
