// Whether one atSign's atServer can be reached, from the two connections that would know: the
// monitor (its heartbeat) and the command connection (its last request). A change of either is
// a change of the status: listeners recompute it.
import type { Clock, Disposable } from "../ports.js";
import type { MonitorHealth, MonitorState } from "../remote/Monitor.js";
import type { CommandFailure } from "./HealthTrackingRemote.js";

export interface HealthFacts {
  monitor: MonitorHealth;
  /** The command connection's last request failed for the network and nothing answered since. */
  commandFailure: CommandFailure | null;
  /** When the monitor was first online since the worker started; null before. */
  firstOnlineAt: number | null;
}

export interface MonitorHealthSource {
  health(): MonitorHealth;
  onStateChange(fn: (s: MonitorState) => void): Disposable;
}

export interface CommandHealthSource {
  readonly lastFailure: CommandFailure | null;
  onChange(fn: () => void): Disposable;
}

export class ConnectionHealth {
  private firstOnlineAt: number | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly subs: Disposable[];

  constructor(private readonly monitor: MonitorHealthSource, private readonly command: CommandHealthSource, private readonly clock: Clock) {
    this.subs = [
      monitor.onStateChange((s) => {
        if (s === "online") this.firstOnlineAt ??= this.clock.now();
        this.changed();
      }),
      command.onChange(() => this.changed()),
    ];
  }

  facts(): HealthFacts {
    return { monitor: this.monitor.health(), commandFailure: this.command.lastFailure, firstOnlineAt: this.firstOnlineAt };
  }

  onChange(fn: () => void): Disposable {
    this.listeners.add(fn);
    return { dispose: () => void this.listeners.delete(fn) };
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.listeners.clear();
  }

  private changed(): void {
    for (const fn of [...this.listeners]) fn();
  }
}

/** Health for engines without a monitor (the simulator, unit tests): always reachable. */
export function alwaysReachable(): HealthFacts {
  return { monitor: { state: "online", since: 0, attempt: 0, nextAttemptAt: null, reason: null }, commandFailure: null, firstOnlineAt: 0 };
}
