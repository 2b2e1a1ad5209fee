// `atsyncd onboard @atSign --atkeys FILE`: checks the file here for a clear early error, then
// the daemon proves the keys with a PKAM login and stores them (keychain, or the file
// fallback, said loudly). Nothing is stored when any step fails.
import { readFile } from "node:fs/promises";
import { AtKeysError, decodeAtKeysFile } from "../../../protocol/atKeysFile.js";
import { JSON_OPTION, SOCKET_OPTION, parseCommandArgs, usageError } from "../args.js";
import { CliError, ExitCode, type Command } from "../Command.js";
import { atSignOperand } from "../operands.js";
import { withClient } from "../withClient.js";

const USAGE = `Usage: atsyncd onboard @atSign --atkeys FILE [--json] [--socket PATH]

Proves the keys of a .atKeys file with a login to the atSign's atServer, then keeps them
in the OS keychain (or, where no keychain runs, a 0600 file in the data dir) and starts
syncing the atSign. The .atKeys file can be deleted afterwards.
  --atkeys FILE   the atSign's .atKeys file
  --json          print the daemon's answer as JSON
  --socket PATH   the daemon's socket
`;

function sameAtSign(a: string, b: string): boolean {
  return a.normalize("NFC").toLowerCase() === b.normalize("NFC").toLowerCase();
}

/** Reads and checks the file; the sentence names the file and the problem, never key material. */
export async function readAtKeysFile(path: string, atSign: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    throw new CliError(`cannot read ${path} (${code}): give the path of the atSign's .atKeys file`, ExitCode.Failure);
  }
  try {
    const inFile = decodeAtKeysFile(text);
    if (!sameAtSign(inFile.atSign, atSign)) {
      throw new CliError(`${path} holds the keys of ${inFile.atSign}, not ${atSign}: give ${atSign}'s .atKeys file`, ExitCode.Failure);
    }
  } catch (err) {
    if (!(err instanceof AtKeysError)) throw err;
    // A file without an "@…" field is valid for the atSign given on the command line.
    if (err.code !== "ATKEYS_NO_ATSIGN") {
      throw new CliError(`${path} is not a usable .atKeys file (${err.message}): use the file exported when ${atSign} was activated, unchanged`, ExitCode.Failure);
    }
  }
  return text;
}

const onboard: Command = {
  name: "onboard",
  summary: "prove an atSign's .atKeys with its atServer and keep the keys in the OS keychain",
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { atkeys: { type: "string" }, ...JSON_OPTION, ...SOCKET_OPTION }, USAGE, { min: 1, max: 1 });
    const atSign = atSignOperand(positionals[0] ?? "", USAGE);
    if (values.atkeys === undefined) throw usageError("--atkeys FILE is required", USAGE);
    const text = await readAtKeysFile(values.atkeys, atSign);
    const result = await withClient(values.socket, io, { atSign }, (c) => c.onboard(atSign, text));
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else if (result.keyStore === "keychain") {
      io.stdout.write(`Onboarded ${result.atSign}: its atServer accepted the keys, and they are in the OS keychain. It is syncing now (\`atsyncd status\`).\n`);
    } else {
      io.stdout.write(`Onboarded ${result.atSign}: its atServer accepted the keys. It is syncing now (\`atsyncd status\`).\n`);
    }
    if (result.keyStore === "file") {
      io.stderr.write(`WARNING: the keys of ${result.atSign} are NOT in an OS keychain: ${result.fallbackReason ?? "the daemon was started with the file key store (--key-store file, or --dev)"}.\n` +
        "Anyone who can read that file as you (or as root) can act as this atSign. Run `atsyncd doctor` for how to get a keychain.\n");
    }
    return ExitCode.Ok;
  },
};

export default onboard;
