// The command connection's health, as the status needs it: an AtRemote that passes every request
// through and remembers whether the last one failed for the network (no reply: a closed socket,
// a timeout, a connect that failed) with nothing answered since. Any reply of the atServer,
// `error:` ones too, proves it answers; an AT error raised on this side (a command refused before
// it is sent, a root that names no atServer) proves nothing either way, and neither does a
// request we ended ourselves (an abort, close()).
import { AtProtocolError } from "../../protocol/errors.js";
import type { AtRemote, Clock, Disposable } from "../ports.js";
import { LocalProtocolError, RemoteUnavailableError } from "../remote/errors.js";

export interface CommandFailure {
  at: number;
  message: string;
}

export class HealthTrackingRemote implements AtRemote {
  private failure: CommandFailure | null = null;
  private closing = false;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly inner: AtRemote, private readonly clock: Clock) {}

  get connected(): boolean {
    return this.inner.connected;
  }

  /** The last request's network failure, or null when it (or a later one) got a reply. */
  get lastFailure(): CommandFailure | null {
    return this.failure;
  }

  onChange(fn: () => void): Disposable {
    this.listeners.add(fn);
    return { dispose: () => void this.listeners.delete(fn) };
  }

  request(command: string, opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<string> {
    return this.inner.request(command, opts).then(
      (reply) => {
        this.set(null);
        return reply;
      },
      (err: unknown) => {
        if (err instanceof AtProtocolError) {
          if (!(err instanceof LocalProtocolError)) this.set(null);
        } else if (err instanceof RemoteUnavailableError && !this.closing && opts?.signal?.aborted !== true && err.message !== "request aborted") {
          // An abort or a close is ours (a stop, a cancelled run), not the network's.
          this.set({ at: this.clock.now(), message: err.message });
        }
        throw err;
      },
    );
  }

  close(): Promise<void> {
    this.closing = true;
    return this.inner.close();
  }

  private set(f: CommandFailure | null): void {
    if (f === null && this.failure === null) return;
    this.failure = f;
    for (const fn of [...this.listeners]) fn();
  }
}
