// The command connection's health, as the status needs it: an AtRemote that passes every request
// through and remembers whether the last one failed for the network (no reply: a closed socket,
// a timeout, a connect that failed) with nothing answered since. Any reply, `error:` ones too,
// proves the atServer answers.
import { AtProtocolError } from "../../protocol/errors.js";
import type { AtRemote, Clock, Disposable } from "../ports.js";
import { RemoteUnavailableError } from "../remote/errors.js";

export interface CommandFailure {
  at: number;
  message: string;
}

export class HealthTrackingRemote implements AtRemote {
  private failure: CommandFailure | null = null;
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
        if (err instanceof AtProtocolError) this.set(null);
        // An abort is ours (a stop, a cancelled run), not the network's.
        else if (err instanceof RemoteUnavailableError && opts?.signal?.aborted !== true && err.message !== "request aborted") {
          this.set({ at: this.clock.now(), message: err.message });
        }
        throw err;
      },
    );
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private set(f: CommandFailure | null): void {
    if (f === null && this.failure === null) return;
    this.failure = f;
    for (const fn of [...this.listeners]) fn();
  }
}
