// SIGTERM/SIGINT run the daemon's shutdown once (finish in-flight work, close every store);
// a second signal while it runs means "now": exit at once with 128+signo, as shells expect.
import type { Disposable, Logger } from "../ports.js";

export type ShutdownSignal = "SIGTERM" | "SIGINT";

const SIGNO: Record<ShutdownSignal, number> = { SIGINT: 2, SIGTERM: 15 };

/** The slice of `process` this needs, injectable for tests. */
export interface SignalSource {
  on(event: ShutdownSignal, fn: () => void): unknown;
  off(event: ShutdownSignal, fn: () => void): unknown;
  exit(code: number): void;
}

export function onShutdownSignal(
  shutdown: (signal: ShutdownSignal) => Promise<void>,
  logger: Logger,
  proc: SignalSource = process,
): Disposable {
  let running = false;
  const handlers = new Map<ShutdownSignal, () => void>();
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    const fn = (): void => {
      if (running) {
        logger.warn("second signal during shutdown; exiting now", { signal });
        proc.exit(128 + SIGNO[signal]);
        return;
      }
      running = true;
      logger.info("shutting down", { signal });
      shutdown(signal).then(
        () => proc.exit(0),
        (err: unknown) => {
          logger.error("shutdown failed", { signal, error: err });
          proc.exit(1);
        },
      );
    };
    handlers.set(signal, fn);
    proc.on(signal, fn);
  }
  return {
    dispose: () => {
      for (const [signal, fn] of handlers) proc.off(signal, fn);
    },
  };
}
