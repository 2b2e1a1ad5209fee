// Finds daemon/cli/commands/<name>.js (or .ts when run from source) and runs it: `main`
// without the process around it, so tests can call it with their own streams.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CliError, ExitCode, type CliIO, type Command } from "./Command.js";
import { parseCommandArgs, SOCKET_OPTION } from "./args.js";
import { didYouMean } from "./didYouMean.js";
import { versionLines } from "./versionText.js";

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), "commands");
const NAME = /^[a-z][a-z-]*$/;
// From dist/ the commands are .js; from source (tsx, in tests) they are .ts.
const EXT = fileURLToPath(import.meta.url).endsWith(".ts") ? ".ts" : ".js";

function commandNames(): string[] {
  return readdirSync(commandsDir)
    .filter((f) => f.endsWith(EXT) && !f.endsWith(".d.ts"))
    .map((f) => f.slice(0, -EXT.length))
    .filter((n) => NAME.test(n))
    .sort();
}

async function loadCommand(name: string): Promise<Command | undefined> {
  if (!NAME.test(name) || !commandNames().includes(name)) return undefined;
  const mod = (await import(pathToFileURL(join(commandsDir, `${name}${EXT}`)).href)) as { default: Command };
  return mod.default;
}

async function help(io: CliIO): Promise<void> {
  const lines = ["Usage: atsyncd <command> [options]", "       atsyncd --version [--socket PATH]", "", "Commands:"];
  for (const name of commandNames()) {
    const cmd = await loadCommand(name);
    if (cmd) lines.push(`  ${name.padEnd(18)} ${cmd.summary}`);
  }
  lines.push("", "Run `atsyncd help <command>` (or `atsyncd <command> --help`) for the options of one command.");
  io.stdout.write(lines.join("\n") + "\n");
}

const VERSION_WORDS = new Set(["--version", "-V"]);

function unknownCommand(name: string, io: CliIO): number {
  // `atsyncd version` (-v, --Version) is a common habit: --version is what it means.
  const guess = /^-{0,2}v(ersion)?$/iu.test(name) ? "--version" : didYouMean(name, commandNames());
  const hint = guess !== undefined ? ` Did you mean \`atsyncd ${guess}\`?` : "";
  io.stderr.write(`atsyncd: unknown command '${name}'.${hint} Run \`atsyncd --help\` for the list.\n`);
  return ExitCode.Usage;
}

function printUsage(cmd: Pick<Command, "usage">, io: CliIO): number {
  io.stdout.write(cmd.usage.endsWith("\n") ? cmd.usage : cmd.usage + "\n");
  return ExitCode.Ok;
}

const VERSION_USAGE = `Usage: atsyncd --version [--socket PATH]

Prints this CLI's version and the running daemon's (with a warning when they differ).
`;

/** `--version [--socket PATH]`: it always prints, so the exit is 0 unless the words are off. */
async function version(args: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs(args, SOCKET_OPTION, VERSION_USAGE, { min: 0, max: 0 });
  io.stdout.write(`${(await versionLines(values.socket, io)).join("\n")}\n`);
  return ExitCode.Ok;
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...args] = argv;
  const topic = args[0];
  if (name === "help" && topic !== undefined && topic !== "help") {
    if (VERSION_WORDS.has(topic)) return printUsage({ usage: VERSION_USAGE }, io);
    const cmd = await loadCommand(topic);
    return cmd ? printUsage(cmd, io) : unknownCommand(topic, io);
  }
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    await help(io);
    return name === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  const isVersion = VERSION_WORDS.has(name);
  const cmd = isVersion ? undefined : await loadCommand(name);
  if (!cmd && !isVersion) return unknownCommand(name, io);
  if (cmd && (args.includes("--help") || args.includes("-h"))) return printUsage(cmd, io);
  try {
    return await (cmd ? cmd.run(args, io) : version(args, io));
  } catch (err) {
    const label = cmd ? `atsyncd ${name}` : "atsyncd";
    if (CliError.is(err)) {
      io.stderr.write(`${label}: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr.write(`${label}: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.Failure;
  }
}
