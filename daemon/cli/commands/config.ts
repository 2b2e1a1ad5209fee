// `atsyncd config path|get|set|unset`: the daemon's config file, edited with the daemon's own
// validation. Changes take effect when the daemon (re)starts.
import { JSON_OPTION, SOCKET_OPTION, parseCommandArgs, usageError } from "../args.js";
import { PATH_OPTIONS } from "../cliPaths.js";
import { daemonPaths } from "../daemonPaths.js";
import { ExitCode, type CliIO, type Command } from "../Command.js";
import {
  editConfig, effectiveConfig, effectiveValue, FIELD_HELP, parseFieldRef, parseValue, readRawConfig, validateConfig, writeRawConfig,
  type FieldRef,
} from "../configFile.js";

const USAGE = `Usage: atsyncd config path
       atsyncd config get [FIELD] [--json]
       atsyncd config set FIELD VALUE
       atsyncd config unset FIELD
  (each also takes --data-dir DIR and --config FILE, as \`atsyncd run\` does; without them,
   the file of the daemon running on --socket PATH or $ATSYNCD_SOCKET, else the default)

Shows or edits the daemon's config file. "get" shows effective values (defaults and
per-atSign overrides applied). VALUE is JSON when it parses as JSON (null, ["wavi"]),
else text. Every change is checked before it is written; the daemon reads the file
when it starts, so restart it afterwards.
FIELD is ${FIELD_HELP}.
Examples:
  atsyncd config set syncSchedule "*/10 * * * *"
  atsyncd config set atSigns.@alice.namespaces '["wavi"]'
  atsyncd config set conflictPolicy remote-wins
`;

function fieldOperand(name: string | undefined): FieldRef {
  const ref = parseFieldRef(name ?? "");
  if (!ref) throw usageError(`${JSON.stringify(name ?? "")} is not a config field`, USAGE);
  return ref;
}

function print(io: CliIO, value: unknown, json: boolean): void {
  io.stdout.write(typeof value === "string" && !json ? `${value}\n` : `${JSON.stringify(value, null, 2)}\n`);
}

const config: Command = {
  name: "config",
  summary: "show or change the daemon's settings (config path|get|set|unset)",
  usage: USAGE,
  async run(args, io) {
    const [sub, ...rest] = args;
    const { values, positionals } = parseCommandArgs(rest, { ...PATH_OPTIONS, ...JSON_OPTION, ...SOCKET_OPTION }, USAGE, { min: 0, max: 2 });
    const { paths, from } = await daemonPaths(io, { dataDir: values["data-dir"], configFile: values.config, socket: values.socket });
    const file = paths.configFile;
    const whose = from === "daemon" ? " (the running daemon's config file)" : "";
    const json = values.json === true;
    switch (sub) {
      case "path":
        if (positionals.length > 0) throw usageError("config path takes no arguments", USAGE);
        io.stdout.write(`${file}\n`);
        return ExitCode.Ok;
      case "get": {
        if (positionals.length > 1) throw usageError("config get takes at most one FIELD", USAGE);
        const cfg = validateConfig(readRawConfig(file));
        if (positionals[0] === undefined) print(io, effectiveConfig(cfg), true);
        else print(io, effectiveValue(cfg, fieldOperand(positionals[0])), json);
        return ExitCode.Ok;
      }
      case "set":
      case "unset": {
        const want = sub === "set" ? 2 : 1;
        if (positionals.length !== want) throw usageError(sub === "set" ? "config set needs FIELD and VALUE" : "config unset needs FIELD", USAGE);
        const ref = fieldOperand(positionals[0]);
        const next = editConfig(readRawConfig(file), ref, sub === "set" ? parseValue(positionals[1] ?? "") : undefined);
        const cfg = validateConfig(next);
        writeRawConfig(file, next);
        const shown = effectiveValue(cfg, ref);
        io.stdout.write(`${positionals[0]} is now ${JSON.stringify(shown)} in ${file}${whose}; restart atsyncd for it to take effect.\n`);
        return ExitCode.Ok;
      }
      default:
        throw usageError(sub === undefined ? "config needs path, get, set or unset" : `unknown config command ${JSON.stringify(sub)}`, USAGE);
    }
  },
};

export default config;
