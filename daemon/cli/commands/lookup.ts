// `atsyncd lookup @atSign KEY [--bypass-cache] [--json]`: another atSign's key, asked of its
// atServer through ours: a public key (its signature checked) or one it shared with @atSign
// (decrypted). Cached by its ttr; while offline the cached copy answers, said so on stderr.
import { JSON_OPTION, SOCKET_OPTION, parseCommandArgs } from "../args.js";
import { ExitCode, type Command } from "../Command.js";
import { atSignOperand } from "../operands.js";
import { withClient } from "../withClient.js";

const USAGE = `Usage: atsyncd lookup @atSign KEY [--bypass-cache] [--json] [--socket PATH]

Prints another atSign's KEY, as @atSign may read it:
  public:name.wavi@bob   a public key of @bob (its dataSignature is checked)
  @alice:k.wavi@bob      a key @bob shared with @alice (decrypted), also "k.wavi@bob"
A copy is kept by the key's ttr; while the atServer cannot be reached that copy answers,
and stderr says how old it is.
  --bypass-cache  ask the atServer even when the copy is fresh
  --json          print {key, value, metadata, source, ageMs, stale}
  --socket PATH   the daemon's socket
`;

function age(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

const lookup: Command = {
  name: "lookup",
  summary: "print another atSign's public key, or a key it shared with you",
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { "bypass-cache": { type: "boolean" }, ...JSON_OPTION, ...SOCKET_OPTION }, USAGE, { min: 2, max: 2 });
    const atSign = atSignOperand(positionals[0] ?? "", USAGE);
    const key = positionals[1] ?? "";
    const result = await withClient(values.socket, io, { atSign, key }, (c) => c.lookup(atSign, key, values["bypass-cache"] === true ? { bypassCache: true } : {}));
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return ExitCode.Ok;
    }
    io.stdout.write(`${result.value}\n`);
    if (result.source === "cache" && result.stale) io.stderr.write(`atsyncd: the atServer cannot be reached; this copy is ${age(result.ageMs)} old and past its time to refresh\n`);
    return ExitCode.Ok;
  },
};

export default lookup;
