// `atsyncd dev-server [--host H] [--root-port N] [--data-dir DIR] [--atsign @a]... [--import-atkeys F]...`
// and `atsyncd dev-server reset @alice --data-dir DIR`. When ready it prints exactly one JSON
// line on stdout; SIGTERM or SIGINT stop it cleanly (exit 0).
import { homedir } from "node:os";
import { join } from "node:path";
import { resetAtSignStore, startDevServer, type DevServerOptions } from "./DevServer.js";

export interface DevServerCliIO {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
}

export const DEV_SERVER_USAGE = `Usage:
  atsyncd dev-server [--host 127.0.0.1] [--root-port N] [--data-dir DIR]
                     [--atsign @alice]... [--import-atkeys FILE]...
                     [--stats-interval-ms N] [--expiry-interval-ms N]
  atsyncd dev-server reset @alice --data-dir DIR

Runs a local root directory and one atServer per atSign, over TLS with a CA created in the
data dir. When ready, prints one JSON line on stdout: {"root":..,"ca":..,"atSigns":{..}};
everything else goes to stderr. Stops on SIGTERM/SIGINT (exit 0).
One dev-server per data dir: a second one on the same dir is refused.
\`reset\` wipes one atSign's keys and commit log, as a server restored from an old backup
(commit ids start again from 0). It is refused while a dev-server runs on the data dir
(a running server would keep serving with a stale commit counter): stop it, reset, restart.

Limits, as a real atServer or tighter: 10,240,000 bytes per command (AT0005, close);
200 connections per atServer (AT0012; idle ones are reaped as the pool fills up);
64 MiB of replies a client leaves unread (close); client regexes run in linear time where
V8 can, otherwise with a 1 s budget per request (AT0003; a monitor is closed).
Writes survive a crash of the process (SQLite WAL), not a crash of the machine.
`;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

interface Parsed {
  opts: DevServerOptions;
  reset?: string;
}

function defaultDataDir(env: NodeJS.ProcessEnv): string {
  return join(env["XDG_DATA_HOME"] ?? join(homedir(), ".local", "share"), "atsyncd", "dev-server");
}

function intArg(name: string, v: string): number {
  if (!/^\d+$/.test(v)) throw new UsageError(`${name} needs a whole number, got '${v}'`);
  return Number(v);
}

export function parseDevServerArgs(args: string[], env: NodeJS.ProcessEnv): Parsed {
  const opts: DevServerOptions = { dataDir: defaultDataDir(env), atSigns: [], importAtKeys: [] };
  let reset: string | undefined;
  const rest = [...args];
  if (rest[0] === "reset") {
    rest.shift();
    reset = rest.shift();
    if (reset === undefined || reset.startsWith("--")) throw new UsageError("reset needs the atSign to wipe, e.g. `dev-server reset @alice --data-dir DIR`");
  }
  while (rest.length > 0) {
    const arg = rest.shift() ?? "";
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const value = (): string => {
      const v = eq === -1 ? rest.shift() : arg.slice(eq + 1);
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case "--host":
        opts.host = value();
        break;
      case "--root-port":
        opts.rootPort = intArg(name, value());
        break;
      case "--data-dir":
        opts.dataDir = value();
        break;
      case "--atsign":
        opts.atSigns?.push(value());
        break;
      case "--import-atkeys":
        opts.importAtKeys?.push(value());
        break;
      case "--stats-interval-ms":
        opts.statsIntervalMs = intArg(name, value());
        break;
      case "--expiry-interval-ms":
        opts.expiryIntervalMs = intArg(name, value());
        break;
      default:
        throw new UsageError(`unknown option '${arg}'`);
    }
  }
  return reset === undefined ? { opts } : { opts, reset };
}

/** Waits for SIGTERM or SIGINT, then removes its listeners. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      process.off("SIGTERM", on);
      process.off("SIGINT", on);
      resolve(sig);
    };
    process.on("SIGTERM", on);
    process.on("SIGINT", on);
  });
}

/** Runs the command; resolves with the exit code once the server has stopped. */
export async function runDevServerCli(args: string[], io: DevServerCliIO, stopSignal: () => Promise<unknown> = untilSignal): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.stdout.write(DEV_SERVER_USAGE);
    return 0;
  }
  const { opts, reset } = parseDevServerArgs(args, io.env);
  if (reset !== undefined) {
    resetAtSignStore(opts.dataDir, reset);
    io.stderr.write(`dev-server: wiped the store and commit log of ${reset} in ${opts.dataDir}\n`);
    return 0;
  }
  // Listen for the signal before starting, so one that arrives during start-up still stops us.
  const stopped = stopSignal();
  const dev = await startDevServer(opts);
  const { root, ca, atSigns } = dev.info;
  io.stdout.write(JSON.stringify({ root, ca, atSigns }) + "\n");
  await stopped;
  await dev.stop();
  return 0;
}
