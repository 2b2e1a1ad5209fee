// `atsyncd put @atSign KEY VALUE|-`: writes a key locally (durable when this returns); the
// daemon encrypts it and syncs it to the atServer in the background.
import { JSON_OPTION, SOCKET_OPTION, intOption, parseCommandArgs } from "../args.js";
import { CliError, ExitCode, type CliIO, type Command } from "../Command.js";
import { atKeyOperand, atSignOperand } from "../operands.js";
import { withClient } from "../withClient.js";
import type { PutMetadata } from "../../../shared/types.js";

const USAGE = `Usage: atsyncd put @atSign KEY VALUE [options]
       atsyncd put @atSign KEY - [options]      (VALUE from stdin)

Writes KEY in the atSign's local copy; it syncs to the atServer in the background.
KEY may leave out the owner ("phone.wavi" under @alice means "phone.wavi@alice");
"public:…" keys are stored in clear, others are encrypted. With "-" the value is read
from stdin, without its final newline. A VALUE starting with "-" goes after "--":
  atsyncd put @alice balance.wavi -- -5
  --ttl MS        expire after MS milliseconds (0: never)
  --ttb MS        become available after MS milliseconds
  --ttr MS        others may cache it for MS milliseconds (-1: forever; write --ttr=-1)
  --ccd           delete others' cached copies when this key is deleted
  --json          print the daemon's answer as JSON
  --socket PATH   the daemon's socket
`;

const MAX_STDIN_BYTES = 10 * 1024 * 1024;

export async function readStdinValue(io: CliIO): Promise<string> {
  const input = io.stdin ?? process.stdin;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const b = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : (chunk as Buffer);
    size += b.length;
    if (size > MAX_STDIN_BYTES) throw new CliError(`the value on stdin is over ${MAX_STDIN_BYTES} bytes, more than an atServer accepts`, ExitCode.Failure);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/u, "");
}

const put: Command = {
  name: "put",
  summary: "write a key (encrypted unless public:); it syncs in the background",
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      ttl: { type: "string" }, ttb: { type: "string" }, ttr: { type: "string" }, ccd: { type: "boolean" },
      ...JSON_OPTION, ...SOCKET_OPTION,
    }, USAGE, { min: 3, max: 3 });
    const atSign = atSignOperand(positionals[0] ?? "", USAGE);
    const key = atKeyOperand(atSign, positionals[1] ?? "");
    const meta: PutMetadata = {};
    const ttl = intOption(values.ttl, "ttl", USAGE);
    const ttb = intOption(values.ttb, "ttb", USAGE);
    const ttr = intOption(values.ttr, "ttr", USAGE, -1);
    if (ttl !== undefined) meta.ttl = ttl;
    if (ttb !== undefined) meta.ttb = ttb;
    if (ttr !== undefined) meta.ttr = ttr;
    if (values.ccd === true) meta.ccd = true;
    const raw = positionals[2] ?? "";
    const value = raw === "-" ? await readStdinValue(io) : raw;
    const result = await withClient(values.socket, io, { atSign, key }, (c) => c.put(atSign, key, value, Object.keys(meta).length > 0 ? meta : undefined));
    io.stdout.write(values.json === true ? `${JSON.stringify(result, null, 2)}\n` : `Stored ${result.key}; it syncs to the atServer in the background.\n`);
    return ExitCode.Ok;
  },
};

export default put;
