// `atsyncd apps list|allow|deny|revoke`: the user's answer to browser apps asking for access on
// the web listener (`atsyncd run --web`): who waits, who is allowed, and for what.
import { AppsAllow, AppsDeny, AppsList, AppsRevoke } from "../../../shared/methods.js";
import type { AllowedApp, AppsListResult, PendingApp } from "../../../shared/types.js";
import { JSON_OPTION, SOCKET_OPTION, parseCommandArgs, usageError } from "../args.js";
import { ExitCode, type Command } from "../Command.js";
import { printable } from "../format/printable.js";
import { withClient } from "../withClient.js";

const USAGE = `Usage: atsyncd apps list [--json] [--socket PATH]
       atsyncd apps allow REQUEST [--always] [--socket PATH]
       atsyncd apps deny REQUEST [--socket PATH]
       atsyncd apps revoke APP [--socket PATH]

Browser apps ask for access on the web listener (atsyncd run --web); each waits until you answer.
  list            the apps waiting (REQUEST ids) and the apps allowed (APP ids)
  allow REQUEST   let it in, for the atSigns and namespaces it asked for: until the daemon
                  stops, or with --always across restarts (its token is kept hashed, 0600)
  deny REQUEST    refuse it
  revoke APP      end an app's access; its open connections close
  --json          print the list as JSON
  --socket PATH   the daemon's socket
`;

const OPTIONS = { ...SOCKET_OPTION, ...JSON_OPTION, always: { type: "boolean" } } as const;

function scopeText(a: PendingApp | AllowedApp): string {
  return `${a.atSigns.join(", ")} [${a.namespaces.join(", ")}]`;
}

function listText(r: AppsListResult): string {
  const lines: string[] = [];
  lines.push(r.pending.length === 0 ? "No app is waiting." : "Waiting for your answer (atsyncd apps allow|deny REQUEST):");
  for (const p of r.pending) lines.push(`  ${p.requestId}  "${printable(p.name)}" from ${p.origin} asks for ${scopeText(p)}`);
  lines.push(r.allowed.length === 0 ? "No app is allowed." : "Allowed (atsyncd apps revoke APP):");
  for (const a of r.allowed) lines.push(`  ${a.appId}  "${printable(a.name)}" from ${a.origin}: ${scopeText(a)}${a.always ? "" : " (until the daemon stops)"}`);
  return lines.join("\n") + "\n";
}

const apps: Command = {
  name: "apps",
  summary: "answer browser apps asking for access: list, allow, deny, revoke",
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, OPTIONS, USAGE, { min: 1, max: 2 });
    const [verb, id] = positionals;
    const needId = (): string => {
      if (id === undefined || id === "") throw usageError(`apps ${verb ?? ""} needs an id (see atsyncd apps list)`, USAGE);
      return id;
    };
    if (verb !== "list" && positionals.length !== 2) needId();
    switch (verb) {
      case "list": {
        if (positionals.length !== 1) throw usageError("apps list takes no id", USAGE);
        const r = await withClient(values.socket, io, {}, (c) => c.call(AppsList, {}));
        io.stdout.write(values.json === true ? `${JSON.stringify(r, null, 2)}\n` : listText(r));
        return ExitCode.Ok;
      }
      case "allow": {
        const a = await withClient(values.socket, io, {}, (c) => c.call(AppsAllow, { requestId: needId(), always: values.always === true }));
        io.stdout.write(`Allowed "${printable(a.name)}" (${a.origin}) as ${a.appId}: ${scopeText(a)}${a.always ? "" : ", until the daemon stops"}.\n`);
        return ExitCode.Ok;
      }
      case "deny":
        await withClient(values.socket, io, {}, (c) => c.call(AppsDeny, { requestId: needId() }));
        io.stdout.write(`Denied ${needId()}.\n`);
        return ExitCode.Ok;
      case "revoke": {
        const r = await withClient(values.socket, io, {}, (c) => c.call(AppsRevoke, { appId: needId() }));
        io.stdout.write(r.revoked ? `Revoked ${needId()}: its token no longer works.\n` : `No app ${needId()} is allowed.\n`);
        return r.revoked ? ExitCode.Ok : ExitCode.Failure;
      }
      default:
        throw usageError(`apps takes list, allow, deny or revoke, not ${JSON.stringify(verb)}`, USAGE);
    }
  },
};

export default apps;
