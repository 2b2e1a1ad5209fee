// The atServer of the driver tests: the simulator's SimServer (sim/SimServer.ts, the dev-server's
// own verb dispatcher and store, kept honest by test/contracts/runRemoteContract.ts) behind an
// AtRemote, with what a test scripts around it: the commands it was sent, connections that drop,
// batch items that fail or go missing, replies that lie, and another client's writes. Every
// reply comes from that server: nothing here answers a verb.
import { buildMeta } from "../../../atserver/store/buildMeta.js";
import type { AtRemote, Clock } from "../../../daemon/ports.js";
import { AtErrorDescriptions, AtProtocolError } from "../../../protocol/errors.js";
import { parseReply } from "../../../protocol/framing.js";
import { SimClock } from "../../../sim/SimClock.js";
import { SimConnection, type Fault } from "../../../sim/SimConnection.js";
import { SimServer } from "../../../sim/SimServer.js";

type RequestOptions = { timeoutMs?: number; signal?: AbortSignal };

/** One connection: its requests reach the server in turn, each delivered with its fault. */
class Line {
  private turn: Promise<unknown> = Promise.resolve();

  constructor(readonly conn: SimConnection) {}

  send(command: string, fault: Fault, opts?: RequestOptions): Promise<string> {
    const reply = this.conn.request(command, opts);
    this.turn = this.turn.then(() => this.conn.deliver(fault));
    return reply;
  }
}

interface BatchItem {
  id: number;
  command: string;
}

export class ScriptedServer implements AtRemote {
  readonly sim: SimServer;
  /** Every command sent, on every connection, in order (failed ones too). */
  readonly commands: string[] = [];
  readonly connected = true;
  /** The connection drops under the next N requests, before the server sees them. */
  failNext = 0;
  /**
   * Asked for each item of a batch: an AT code fails the item, "omit" leaves it out of the reply.
   * Either way the server never runs it; the others it runs as one batch.
   */
  itemFault: (command: string) => string | "omit" | undefined = () => undefined;
  /** Lets a test make the server lie: replaces a reply (what follows `data:`) before the client sees it. */
  rewrite: ((command: string, reply: string) => string | Promise<string>) | null = null;

  private readonly clock = new SimClock();
  private readonly main: Line;

  /** The server's time follows `worldClock` (the driver's): it moves to it before each command. */
  constructor(private readonly atSign: string, private readonly worldClock: Clock) {
    this.sim = new SimServer({ atSign, clock: this.clock });
    this.main = new Line(new SimConnection(this.sim, this.clock, this));
  }

  /** What every atServer holds from onboarding, at commit 0 of a fresh log: the atSign's public key. */
  get identityKey(): string {
    return `public:publickey${this.atSign}`;
  }

  request(command: string, opts?: RequestOptions): Promise<string> {
    return this.send(this.main, command, opts);
  }

  close(): Promise<void> {
    return this.main.conn.close();
  }

  /** Another connection of the same client (a pull lane), scripted as this one. */
  connect(): AtRemote {
    const line = new Line(new SimConnection(this.sim, this.clock, this));
    return { connected: true, request: (c, o) => this.send(line, c, o), close: () => line.conn.close() };
  }

  /** Another client of the atSign writes the key; resolves with its commit id. */
  put(atKey: string, value: string): Promise<number> {
    return this.other(`update:${atKey} ${value}`);
  }

  remove(atKey: string): Promise<number> {
    return this.other(`delete:${atKey}`);
  }

  /**
   * A log entry that `sync:from` counts in its window of 25 but does not send: a key that does
   * not parse (no owner). No client command can write one, so it goes into the server's store.
   */
  invalidEntry(key: string): number {
    this.sync();
    return this.sim.store.put(key, "invalid", buildMeta(this.atSign, undefined, {}, this.sim.now()), "*");
  }

  value(atKey: string): string | undefined {
    return this.sim.store.get(atKey)?.value;
  }

  has(atKey: string): boolean {
    return this.sim.store.get(atKey) !== undefined;
  }

  keyCount(): number {
    return this.sim.store.allKeys().length;
  }

  /** The key's latest commit id, if the log holds one. */
  commitIdOf(atKey: string): number | undefined {
    return this.sim.store.commitLog().find((e) => e.key === atKey)?.id;
  }

  lastCommitId(): number | null {
    return this.sim.store.lastCommitId();
  }

  /** The dev-server's reset: keys and log wiped, the identity's public key written again (commit 0). */
  reset(): void {
    this.sim.wipe();
  }

  /** Nothing left at all, not even the identity: the commit log is empty (stats:3 says null). */
  empty(): void {
    this.sim.store.wipe();
  }

  dispose(): void {
    this.sim.close();
  }

  private sync(): void {
    this.clock.moveTo(this.worldClock.now());
  }

  private async other(command: string): Promise<number> {
    this.sync();
    const reply = parseReply(await this.sim.other(command));
    if (reply.kind === "error") throw new AtProtocolError(reply.code, reply.message);
    return Number(reply.data);
  }

  private async send(line: Line, command: string, opts?: RequestOptions): Promise<string> {
    this.commands.push(command);
    this.sync();
    let fault: Fault = "ok";
    if (this.failNext > 0) {
      this.failNext--;
      fault = "drop";
    }
    const batch = command.startsWith("batch:") ? this.withItemFaults(command) : undefined;
    const data = await line.send(batch?.command ?? command, fault, opts);
    const reply = batch ? batch.reply(data) : data;
    return this.rewrite ? this.rewrite(command, reply) : reply;
  }

  /** The batch the server runs (the faulted items left out) and the reply the client gets back. */
  private withItemFaults(command: string): { command: string; reply: (data: string) => string } | undefined {
    const items = JSON.parse(command.slice("batch:".length)) as BatchItem[];
    const faults = items.map((it) => this.itemFault(it.command));
    if (faults.every((f) => f === undefined)) return undefined;
    return {
      command: `batch:${JSON.stringify(items.filter((_, i) => faults[i] === undefined))}`,
      reply: (data) => {
        const ran = new Map((JSON.parse(data) as Array<{ id: number }>).map((r) => [r.id, r]));
        return JSON.stringify(items.flatMap((it, i) => {
          const f = faults[i];
          if (f === "omit") return [];
          // Worded as the real batch words an item's error: the code's description only.
          if (f !== undefined) return [{ id: it.id, response: { error_code: f, error_message: AtErrorDescriptions[f] ?? "" } }];
          const r = ran.get(it.id);
          return r === undefined ? [] : [r];
        }));
      },
    };
  }
}
