// `atsyncd run`: the daemon in the foreground (what the service units start). `--dev` also
// runs an embedded dev-server (root + atServers) with @alice and @bob onboarded: `npm start`.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { startDevServer, type DevServer } from "../../../atserver/index.js";
import { parseHostPort } from "../../config/DaemonConfig.js";
import type { Daemon, DaemonOptions } from "../../Daemon.js";
import { runDaemon } from "../../main.js";
import { CliError, ExitCode, type CliIO, type Command } from "../Command.js";
import { editConfig, readRawConfig, validateConfig, writeRawConfig } from "../configFile.js";

const USAGE = `Usage: atsyncd run [--data-dir DIR] [--socket PATH] [--config FILE] [--key-store keychain|file] [--dev]

Runs the daemon in the foreground until SIGTERM or SIGINT.
  --data-dir DIR     stores, key file and lock (config then defaults to DIR/config.json)
  --socket PATH      the RPC socket (default: $XDG_RUNTIME_DIR/atsyncd/atsyncd.sock)
  --config FILE      the config file
  --key-store KIND   "file" keeps keys in DIR/keys.json instead of the OS keychain
  --dev              also run a local dev-server with @alice and @bob onboarded
                     (data under DIR, default ./.atsyncd-dev; keys in the file store)
`;

export const DEV_ATSIGNS = ["@alice", "@bob"] as const;

interface RunArgs {
  opts: DaemonOptions;
  dev: boolean;
}

export function parseRunArgs(args: string[], env: NodeJS.ProcessEnv): RunArgs {
  const opts: DaemonOptions = { env, testHooks: env.ATSYNCD_TEST_HOOKS === "1" };
  let dev = false;
  const rest = [...args];
  while (rest.length > 0) {
    const arg = rest.shift() ?? "";
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const value = (): string => {
      const v = eq === -1 ? rest.shift() : arg.slice(eq + 1);
      if (v === undefined || v === "") throw new CliError(`${name} needs a value\n${USAGE}`, ExitCode.Usage);
      return v;
    };
    switch (name) {
      case "--data-dir":
        opts.dataDir = value();
        break;
      case "--socket":
        opts.socket = value();
        break;
      case "--config":
        opts.configFile = value();
        break;
      case "--key-store": {
        const v = value();
        if (v !== "keychain" && v !== "file") throw new CliError(`--key-store is "keychain" or "file", not ${JSON.stringify(v)}`, ExitCode.Usage);
        opts.keyStore = v;
        break;
      }
      case "--dev":
        dev = true;
        break;
      default:
        throw new CliError(`unknown option ${JSON.stringify(arg)}\n${USAGE}`, ExitCode.Usage);
    }
  }
  return { opts, dev };
}

async function onboardDemo(daemon: Daemon, dev: DevServer): Promise<void> {
  for (const atSign of DEV_ATSIGNS) {
    if ((await daemon.keyStore.get(atSign)) !== undefined) continue;
    const file = dev.info.atSigns[atSign]?.atKeys;
    if (file === undefined) throw new Error(`the dev-server does not serve ${atSign}`);
    await daemon.identities.onboard(atSign, readFileSync(file, "utf8"));
  }
}

function banner(daemon: Daemon, dev: DevServer): string {
  const lines = [
    "",
    "atsyncd is running with a local dev-server.",
    `  socket     ${daemon.socketPath}`,
    `  data dir   ${daemon.paths.dataDir}`,
    `  root       ${dev.info.root}  (CA ${dev.info.ca})`,
    ...Object.entries(dev.info.atSigns).map(([a, s]) => `  ${a.padEnd(10)} atServer ${s.secondary}, keys ${s.atKeys}`),
    "",
    "Try, in another terminal:",
    `  export ATSYNCD_SOCKET=${daemon.socketPath}`,
    "  atsyncd status",
    "  atsyncd put @alice phone.wavi 123 && atsyncd get @alice phone.wavi",
    "  atsyncd watch        (events as they happen; try a put from another terminal)",
    "or from code: import { AtsyncClient } from \"atsyncd/client\";",
    "  const c = await AtsyncClient.connect(); await c.put(\"@alice\", \"phone.wavi@alice\", \"123\");",
    "Stop with Ctrl-C.",
    "",
  ];
  return lines.join("\n");
}

/** Points the config file's defaults at the dev-server's root and CA, keeping everything else. */
export function writeDevConfig(file: string, dev: Pick<DevServer, "info">): void {
  const raw = readRawConfig(file);
  const edited = editConfig(editConfig(raw, { field: "rootServer" }, dev.info.root), { field: "ca" }, dev.info.ca);
  validateConfig(edited);
  writeRawConfig(file, edited);
}

async function runDev(parsed: RunArgs, io: CliIO): Promise<number> {
  const dataDir = resolve(parsed.opts.dataDir ?? ".atsyncd-dev");
  const dev = await startDevServer({ dataDir: join(dataDir, "dev-server"), atSigns: [...DEV_ATSIGNS], statsIntervalMs: 15_000 });
  try {
    // In the config file, not only in memory: `atsyncd doctor`, `config get` and any later
    // daemon on this data dir must see the dev root and CA too.
    writeDevConfig(parsed.opts.configFile ?? join(dataDir, "config.json"), dev);
    const opts: DaemonOptions = {
      ...parsed.opts,
      dataDir,
      keyStore: parsed.opts.keyStore ?? "file",
      defaultsOverride: { rootServer: parseHostPort(dev.info.root, "root"), ca: dev.info.ca },
    };
    return await runDaemon(opts, io, async (daemon) => {
      await onboardDemo(daemon, dev);
      io.stderr.write(banner(daemon, dev) + "\n");
    });
  } finally {
    await dev.stop();
  }
}

const run: Command = {
  name: "run",
  summary: "run the daemon in the foreground (--dev: with a local dev-server and demo atSigns)",
  usage: USAGE,
  async run(args, io) {
    const parsed = parseRunArgs(args, io.env);
    const code = parsed.dev ? await runDev(parsed, io) : await runDaemon(parsed.opts, io);
    // Everything is closed; a handle some library left open must not keep a stopped daemon alive.
    setTimeout(() => process.exit(code), 3000).unref();
    return code;
  },
};

export default run;
