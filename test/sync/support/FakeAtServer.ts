// An in-memory atServer speaking the few verbs sync uses, as an AtRemote, with the commit-log
// semantics of atprotocol.md §4.1 (one entry per key, 25-entry windows that count skipped
// entries) and hooks to inject faults. For driver unit tests; integration tests use the dev-server.
import { AtProtocolError } from "../../../protocol/errors.js";
import { FRAGMENT_FIELDS, metadataFromWire, type AtMetadata } from "../../../protocol/metadata.js";
import type { AtRemote } from "../../../daemon/ports.js";

export class FakeUnavailableError extends Error {
  readonly code = "REMOTE_UNAVAILABLE";
  readonly retryable = true;
}

interface LogEntry { commitId: number; atKey: string; op: string; skip?: boolean }
interface Stored { value: string; meta: Record<string, string> }

const FIELDS = new Set<string>(FRAGMENT_FIELDS);

function parseFragment(text: string): { meta: Record<string, string>; rest: string } {
  const meta: Record<string, string> = {};
  let rest = text;
  for (;;) {
    const m = /^:([A-Za-z]+):([^:@\s]+)/u.exec(rest);
    if (!m || !FIELDS.has(m[1]!)) break;
    meta[m[1]!] = m[2]!;
    rest = rest.slice(m[0].length);
  }
  return { meta, rest };
}

export class FakeAtServer implements AtRemote {
  readonly keys = new Map<string, Stored>();
  log: LogEntry[] = [];
  nextId = 0;
  readonly commands: string[] = [];
  connected = true;
  /** Fail the next N requests as a cut connection would. */
  failNext = 0;
  /** Called for each batch item command; return an error code to fail it, "omit" to leave it out. */
  itemFault: (command: string) => string | "omit" | undefined = () => undefined;

  async request(command: string): Promise<string> {
    await new Promise<void>((r) => setImmediate(r));
    this.commands.push(command);
    if (this.failNext > 0) {
      this.failNext--;
      throw new FakeUnavailableError("connection cut");
    }
    const reply = this.handle(command);
    return this.rewrite ? this.rewrite(command, reply) : reply;
  }

  /** Lets a test make the server lie: replaces a reply before the client sees it. */
  rewrite: ((command: string, reply: string) => string) | null = null;

  async close(): Promise<void> {}

  commit(atKey: string, op: string, skip = false): number {
    this.log = this.log.filter((e) => e.atKey !== atKey);
    const id = this.nextId++;
    this.log.push({ commitId: id, atKey, op, skip });
    return id;
  }

  put(atKey: string, value: string, meta: Record<string, string> = {}): number {
    const prev = this.keys.get(atKey);
    this.keys.set(atKey, { value, meta: { ...(prev?.meta ?? {}), ...meta, updatedAt: new Date().toISOString().replace("T", " ") } });
    return this.commit(atKey, "*");
  }

  remove(atKey: string): number {
    this.keys.delete(atKey);
    return this.commit(atKey, "-");
  }

  /** Wipes keys and log, as a server restored from nothing. */
  reset(): void {
    this.keys.clear();
    this.log = [];
    this.nextId = 0;
  }

  private handle(command: string): string {
    let m: RegExpExecArray | null;
    if ((m = /^stats:3(?::(.+))?$/u.exec(command))) {
      const re = m[1] ? new RegExp(m[1], "u") : undefined;
      const ids = this.log.filter((e) => !re || re.test(e.atKey)).map((e) => e.commitId);
      const v = ids.length ? String(Math.max(...ids)) : "null";
      return ` [{"id":"3","name":"lastCommitID","value":"${v}"}]`;
    }
    if ((m = /^stats:15(?::(.+))?$/u.exec(command))) {
      const re = m[1] ? new RegExp(m[1], "u") : undefined;
      const value: Record<string, [number, string]> = {};
      for (const e of this.log) if (!re || re.test(e.atKey)) value[e.atKey] = [e.commitId, e.op];
      return JSON.stringify([{ id: "15", name: "latestCommitEntryOfEachKey", value }]);
    }
    if ((m = /^sync:from:(-?\d+):limit:\d+(?::(.+))?$/u.exec(command))) {
      const from = Number(m[1]);
      const re = m[2] ? new RegExp(m[2], "u") : undefined;
      const window = this.log.filter((e) => e.commitId > from && (!re || re.test(e.atKey))).slice(0, 25);
      const out = window
        .filter((e) => !e.skip && (e.op === "-" || this.keys.has(e.atKey)))
        .map((e) => {
          const k = this.keys.get(e.atKey);
          return e.op === "-" || !k
            ? { atKey: e.atKey, value: null, metadata: null, commitId: e.commitId, operation: "-" }
            : { atKey: e.atKey, value: k.value, metadata: k.meta, commitId: e.commitId, operation: e.op };
        });
      return JSON.stringify(out);
    }
    if ((m = /^batch:(.+)$/su.exec(command))) {
      const items = JSON.parse(m[1]!) as Array<{ id: number; command: string }>;
      const out: unknown[] = [];
      for (const it of items) {
        const fault = this.itemFault(it.command);
        if (fault === "omit") continue;
        if (fault) {
          out.push({ id: it.id, response: { error_code: fault, error_message: "injected" } });
          continue;
        }
        try {
          out.push({ id: it.id, response: { data: this.handle(it.command.replace(/~NL~/gu, "\n")) } });
        } catch (err) {
          const e = err as AtProtocolError;
          out.push({ id: it.id, response: { error_code: e.code, error_message: e.serverMessage } });
        }
      }
      return JSON.stringify(out);
    }
    if ((m = /^update:meta:(.+)$/u.exec(command))) {
      const body = m[1]!;
      const at = body.lastIndexOf("@");
      const colon = body.indexOf(":", at);
      const atKey = colon < 0 ? body : body.slice(0, colon);
      const { meta } = parseFragment(colon < 0 ? "" : body.slice(colon));
      const prev = this.keys.get(atKey);
      if (!prev) throw new AtProtocolError("AT0015", `${atKey} does not exist`);
      prev.meta = { ...prev.meta, ...meta };
      return String(this.commit(atKey, "#"));
    }
    if ((m = /^update(:[^ ]*) (.+)$/su.exec(command))) {
      const { meta, rest } = parseFragment(m[1]!);
      const atKey = rest.slice(1);
      if (atKey.includes("bad")) throw new AtProtocolError("AT0016", "Invalid atKey");
      return String(this.put(atKey, m[2]!, meta));
    }
    if ((m = /^delete:(.+)$/u.exec(command))) {
      return String(this.remove(m[1]!));
    }
    throw new AtProtocolError("AT0003", "Invalid syntax");
  }

  metadataOf(atKey: string): AtMetadata | undefined {
    const k = this.keys.get(atKey);
    return k ? metadataFromWire(k.meta) : undefined;
  }
}
