// Finds an atSign's atServer through the root directory (atprotocol.md §1.1): one TLS
// lookup, then `@exit`. Answers are cached for an hour like the Dart SDK, and concurrent
// lookups of one atSign share a single connection.
import { normalizeAtSign } from "../../protocol/atKey.js";
import type { Clock } from "../ports.js";
import { AtConnection } from "./AtConnection.js";
import { connectTls } from "./connectTls.js";
import { LocalProtocolError, RemoteUnavailableError } from "./errors.js";

export interface SecondaryAddress {
  host: string;
  port: number;
}

export interface RootResolverOptions {
  root: string;
  ca?: string;
  clock: Clock;
  cacheTtlMs?: number;
  timeoutMs?: number;
}

const DEFAULT_TTL_MS = 60 * 60 * 1000;
const DEFAULT_TIMEOUT_MS = 10_000;

export function parseHostPort(text: string): SecondaryAddress | undefined {
  const m = /^\[?([^\]\s]+?)\]?:(\d{1,5})$/u.exec(text.trim());
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1], port };
}

export class RootResolver {
  private readonly root: SecondaryAddress;
  private readonly cache = new Map<string, { address: SecondaryAddress; expiresAt: number }>();
  private readonly inFlight = new Map<string, Promise<SecondaryAddress>>();
  private readonly ttlMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly opts: RootResolverOptions) {
    const root = parseHostPort(opts.root);
    if (!root) throw new RangeError(`root must be host:port, got ${JSON.stringify(opts.root)}`);
    this.root = root;
    this.ttlMs = opts.cacheTtlMs ?? DEFAULT_TTL_MS;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** host:port of the atSign's atServer; AtProtocolError AT0007 (a LocalProtocolError) when the root knows none. */
  async resolve(atSign: string): Promise<SecondaryAddress> {
    const key = normalizeAtSign(atSign);
    const hit = this.cache.get(key);
    if (hit && hit.expiresAt > this.opts.clock.now()) return { ...hit.address };
    const running = this.inFlight.get(key);
    if (running) return { ...(await running) };
    const lookup = this.lookup(key).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, lookup);
    const address = await lookup;
    this.cache.set(key, { address, expiresAt: this.opts.clock.now() + this.ttlMs });
    return { ...address };
  }

  /** Forgets a cached answer, e.g. after the atServer it named refused connections. */
  invalidate(atSign: string): void {
    this.cache.delete(normalizeAtSign(atSign));
  }

  private async lookup(atSign: string): Promise<SecondaryAddress> {
    const { clock } = this.opts;
    const socket = await connectTls({
      host: this.root.host,
      port: this.root.port,
      clock,
      timeoutMs: this.timeoutMs,
      ...(this.opts.ca !== undefined ? { ca: this.opts.ca } : {}),
    }).catch((err: unknown) => {
      throw err instanceof RemoteUnavailableError ? new RemoteUnavailableError("root", `root directory: ${err.message}`) : err;
    });
    const conn = new AtConnection(socket, clock);
    try {
      const reply = await conn.request(atSign.slice(1), { timeoutMs: this.timeoutMs });
      conn.send("@exit");
      if (reply.trim() === "null") throw new LocalProtocolError("AT0007", `secondary not found for ${atSign}`);
      const address = parseHostPort(reply);
      if (!address) throw new LocalProtocolError("AT0007", `root directory gave no address for ${atSign}`);
      return address;
    } catch (err) {
      if (err instanceof RemoteUnavailableError) throw new RemoteUnavailableError("root", `root directory: ${err.message}`);
      throw err;
    } finally {
      await conn.close();
    }
  }
}
