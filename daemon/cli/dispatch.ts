// Finds daemon/cli/commands/<name>.js (or .ts when run from source) and runs it: `main`
// without the process around it, so tests can call it with their own streams.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CliError, ExitCode, type CliIO, type Command } from "./Command.js";

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
  const lines = ["Usage: atsyncd <command> [options]", "", "Commands:"];
  for (const name of commandNames()) {
    const cmd = await loadCommand(name);
    if (cmd) lines.push(`  ${name.padEnd(18)} ${cmd.summary}`);
  }
  lines.push("", "Run `atsyncd <command> --help` for the options of one command.");
  io.stdout.write(lines.join("\n") + "\n");
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    await help(io);
    return name === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  const cmd = await loadCommand(name);
  if (!cmd) {
    io.stderr.write(`atsyncd: unknown command '${name}'. Run \`atsyncd --help\` for the list.\n`);
    return ExitCode.Usage;
  }
  if (args.includes("--help") || args.includes("-h")) {
    io.stdout.write(cmd.usage.endsWith("\n") ? cmd.usage : cmd.usage + "\n");
    return ExitCode.Ok;
  }
  try {
    return await cmd.run(args, io);
  } catch (err) {
    if (CliError.is(err)) {
      io.stderr.write(`atsyncd ${name}: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr.write(`atsyncd ${name}: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.Failure;
  }
}

