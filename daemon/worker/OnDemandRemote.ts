// A connection that exists only while there is work for it: made (and logged in) on the first
// request, dropped by release(). The extra pull connections are these: a long pull spreads
// over them, then they close, so an idle atSign holds one sync connection and its monitor.
import type { AtRemote } from "../ports.js";
import { RemoteUnavailableError } from "../remote/errors.js";

export class OnDemandRemote implements AtRemote {
  private inner: AtRemote | undefined;
  private closed = false;

  constructor(private readonly make: () => AtRemote) {}

  get connected(): boolean {
    return this.inner?.connected ?? false;
  }

  request(command: string, opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<string> {
    if (this.closed) return Promise.reject(new RemoteUnavailableError("closed", "remote is closed"));
    this.inner ??= this.make();
    return this.inner.request(command, opts);
  }

  /** Closes the connection, if any; the next request makes a new one. */
  async release(): Promise<void> {
    const inner = this.inner;
    this.inner = undefined;
    await inner?.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.release();
  }
}
