// `atsyncd run`: the daemon in the foreground (what the service units start). `--dev` also
// runs an embedded dev-server (root + atServers) with @alice and @bob onboarded: `npm start`.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DataDirInUseError, startDevServer, type DevServer } from "../../../atserver/index.js";
import { parseHostPort } from "../../config/DaemonConfig.js";
import type { Daemon, DaemonOptions } from "../../Daemon.js";
import { runDaemon } from "../../main.js";
import { DEFAULT_WEB_PORT } from "../../web/WebListener.js";
import { parseCommandArgs, usageError } from "../args.js";
import { alreadyRunningMessage, daemonLockHolder, shownDir } from "../alreadyRunning.js";
import { cliCommandName } from "../cliCommandName.js";
import { cliPaths } from "../cliPaths.js";
import { atsyncdBin } from "../servicePlanText.js";
import { sqliteAddonProblem } from "../sqliteAddon.js";
import { CliError, ExitCode, type CliIO, type Command } from "../Command.js";
import { editConfig, readRawConfig, validateConfig, writeRawConfig } from "../configFile.js";

const USAGE = `Usage: atsyncd run [--data-dir DIR] [--socket PATH] [--config FILE] [--key-store keychain|file] [--dev] [--web [PORT]]

Runs the daemon in the foreground until SIGTERM or SIGINT.
  --data-dir DIR     stores, key file and lock (config then defaults to DIR/config.json)
  --socket PATH      the RPC socket (default: $XDG_RUNTIME_DIR/atsyncd/atsyncd.sock)
  --config FILE      the config file
  --key-store KIND   "file" keeps keys in DIR/keys.json instead of the OS keychain
  --dev              also run a local dev-server with @alice and @bob onboarded
                     (data under DIR, default ./.atsyncd-dev; keys in the file store)
  --web [PORT]       also serve browser apps on ws://127.0.0.1:PORT (default 64640;
                     each app needs the user's consent: atsyncd apps)
`;

export const DEV_ATSIGNS = ["@alice", "@bob"] as const;

interface RunArgs {
  opts: DaemonOptions;
  dev: boolean;
}

const OPTIONS = {
  "data-dir": { type: "string" },
  socket: { type: "string" },
  config: { type: "string" },
  "key-store": { type: "string" },
  dev: { type: "boolean" },
} as const;

/** `--web`, `--web PORT` or `--web=PORT` (parseArgs has no optional values): the port and the other args. */
function takeWebOption(args: string[]): { port: number | undefined; rest: string[] } {
  const rest: string[] = [];
  let port: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    if (a === "--") {
      rest.push(...args.slice(i));
      break;
    }
    if (a !== "--web" && !a.startsWith("--web=")) {
      rest.push(a);
      continue;
    }
    let text = a.startsWith("--web=") ? a.slice("--web=".length) : undefined;
    if (text === undefined && /^\d+$/u.test(args[i + 1] ?? "")) text = args[++i];
    port = text === undefined ? DEFAULT_WEB_PORT : Number(text);
    if (!/^\d+$/u.test(text ?? "0") || !Number.isInteger(port) || port > 65535) throw usageError(`--web takes a port (0-65535), not ${JSON.stringify(text)}`, USAGE);
  }
  return { port, rest };
}

export function parseRunArgs(args: string[], env: NodeJS.ProcessEnv): RunArgs {
  const web = takeWebOption(args);
  const { values } = parseCommandArgs(web.rest, OPTIONS, USAGE, { min: 0, max: 0 });
  const opts: DaemonOptions = { env, testHooks: env.ATSYNCD_TEST_HOOKS === "1" };
  if (web.port !== undefined) opts.webPort = web.port;
  for (const [name, v] of [["data-dir", values["data-dir"]], ["socket", values.socket], ["config", values.config]] as const) {
    if (v === "") throw usageError(`--${name} needs a value`, USAGE);
  }
  if (values["data-dir"] !== undefined) opts.dataDir = values["data-dir"];
  if (values.socket !== undefined) opts.socket = values.socket;
  if (values.config !== undefined) opts.configFile = values.config;
  const keyStore = values["key-store"];
  if (keyStore !== undefined) {
    if (keyStore !== "keychain" && keyStore !== "file") throw usageError(`--key-store is "keychain" or "file", not ${JSON.stringify(keyStore)}`, USAGE);
    opts.keyStore = keyStore;
  }
  return { opts, dev: values.dev === true };
}

async function onboardDemo(daemon: Daemon, dev: DevServer): Promise<void> {
  for (const atSign of DEV_ATSIGNS) {
    if ((await daemon.keyStore.get(atSign)) !== undefined) continue;
    const file = dev.info.atSigns[atSign]?.atKeys;
    if (file === undefined) throw new Error(`the dev-server does not serve ${atSign}`);
    await daemon.identities.onboard(atSign, readFileSync(file, "utf8"));
  }
}

function banner(daemon: Daemon, dev: DevServer, env: NodeJS.ProcessEnv): string {
  const cli = cliCommandName(atsyncdBin(), env, process.cwd());
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
    `  ${cli} status`,
    `  ${cli} put @alice phone.wavi 123 && ${cli} get @alice phone.wavi`,
    `  ${cli} watch        (one line per sync; try a put from another terminal)`,
    `  ${cli} doctor       (checks against this dev-server: it asks the daemon for its data dir)`,
    "or from code (npm install @atsyncd/client): import { AtsyncClient } from \"@atsyncd/client\";",
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

/**
 * Says so and returns exit 6 when a live daemon holds `dataDir` (checked before anything starts:
 * `--dev` would otherwise meet its embedded dev-server's lock first, held by that daemon).
 */
async function refuseIfRunning(dataDir: string, opts: DaemonOptions, io: CliIO): Promise<number | undefined> {
  const pid = daemonLockHolder(dataDir);
  if (pid === undefined) return undefined;
  const socket = cliPaths(io, { dataDir, socket: opts.socket }).socketPath;
  io.stderr.write(`atsyncd: ${await alreadyRunningMessage(dataDir, pid, socket)}\n`);
  return ExitCode.AlreadyRunning;
}

async function startDemoServer(dataDir: string, io: CliIO): Promise<DevServer | number> {
  try {
    return await startDevServer({ dataDir: join(dataDir, "dev-server"), atSigns: [...DEV_ATSIGNS], statsIntervalMs: 15_000 });
  } catch (err) {
    if (!(err instanceof DataDirInUseError)) throw err;
    io.stderr.write(`atsyncd: the dev-server data of ${shownDir(dataDir)} is in use by pid ${err.pid} (a \`atsyncd dev-server\` on it, or another \`atsyncd run --dev\`); stop it first or choose another --data-dir\n`);
    return ExitCode.AlreadyRunning;
  }
}

async function runDev(parsed: RunArgs, io: CliIO): Promise<number> {
  const dataDir = resolve(parsed.opts.dataDir ?? ".atsyncd-dev");
  const refused = await refuseIfRunning(dataDir, parsed.opts, io);
  if (refused !== undefined) return refused;
  const dev = await startDemoServer(dataDir, io);
  if (typeof dev === "number") return dev;
  try {
    // In the config file, not only in memory: `atsyncd doctor`, `config get` and any later
    // daemon on this data dir must see the dev root and CA too.
    writeDevConfig(parsed.opts.configFile ?? join(dataDir, "config.json"), dev);
    const opts: DaemonOptions = {
      ...parsed.opts,
      dataDir,
      keyStore: parsed.opts.keyStore ?? "file",
      dev: true,
      defaultsOverride: { rootServer: parseHostPort(dev.info.root, "root"), ca: dev.info.ca },
    };
    return await runDaemon(opts, io, async (daemon) => {
      await onboardDemo(daemon, dev);
      io.stderr.write(banner(daemon, dev, io.env) + "\n");
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
    const addon = await sqliteAddonProblem();
    if (addon !== undefined) throw new CliError(addon, ExitCode.NotBuilt);
    const dataDir = parsed.opts.dataDir !== undefined ? resolve(parsed.opts.dataDir) : cliPaths(io, {}).dataDir;
    const code = parsed.dev ? await runDev(parsed, io) : (await refuseIfRunning(dataDir, parsed.opts, io)) ?? (await runDaemon(parsed.opts, io));
    // Everything is closed; a handle some library left open must not keep a stopped daemon alive.
    io.clock.setTimer(3000, () => process.exit(code));
    return code;
  },
};

export default run;
