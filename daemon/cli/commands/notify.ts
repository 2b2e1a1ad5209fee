// `atsyncd notify @atSign @to (--text TEXT | KEY [VALUE] [--delete])`: sends a notification to
// another atSign, encrypted for it. It is kept first, so it goes out on reconnect when offline.
import { JSON_OPTION, SOCKET_OPTION, intOption, parseCommandArgs, usageError } from "../args.js";
import { ExitCode, type Command } from "../Command.js";
import { atSignOperand } from "../operands.js";
import { withClient } from "../withClient.js";
import type { NotificationsSendParams } from "../../../shared/types.js";

const USAGE = `Usage: atsyncd notify @atSign @to --text TEXT [options]
       atsyncd notify @atSign @to KEY [VALUE] [--delete] [options]

Sends @to a notification from @atSign, encrypted for @to with the key @atSign shares with
it: a text, or a key ("k.wavi" means "@to:k.wavi@atSign") with its value. Prints the
notification id and where it stands: "sent", or "queued" when the atServer cannot be
reached (it goes out when the connection is back).
  --text TEXT     a text notification (one line, no "@")
  --delete        notify that KEY was deleted
  --ttr SECONDS   @to's atServer keeps a copy of the value that long (-1: forever; write --ttr=-1)
  --ccd           that copy goes when the key is deleted
  --ttln MS       how long @to's atServer keeps trying to deliver it
  --wait          return once delivered (exit 1 when it is not)
  --json          print {notificationId, status}
  --socket PATH   the daemon's socket
`;

const notify: Command = {
  name: "notify",
  summary: "send another atSign a key or text notification",
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      text: { type: "string" }, delete: { type: "boolean" }, ttr: { type: "string" }, ccd: { type: "boolean" }, ttln: { type: "string" },
      wait: { type: "boolean" }, ...JSON_OPTION, ...SOCKET_OPTION,
    }, USAGE, { min: 2, max: 4 });
    const atSign = atSignOperand(positionals[0] ?? "", USAGE);
    const to = atSignOperand(positionals[1] ?? "", USAGE);
    const p: Omit<NotificationsSendParams, "atSign"> = { to };
    if (values.text !== undefined) {
      if (positionals.length > 2) throw usageError("give either --text or a KEY, not both", USAGE);
      p.text = values.text;
    } else {
      if (positionals[2] === undefined) throw usageError("give --text TEXT or a KEY", USAGE);
      p.key = positionals[2];
      if (values.delete === true) p.delete = true;
      else if (positionals[3] !== undefined) p.value = positionals[3];
    }
    const ttr = intOption(values.ttr, "ttr", USAGE, -1);
    const ttln = intOption(values.ttln, "ttln", USAGE, 1);
    if (ttr !== undefined) p.ttr = ttr;
    if (ttln !== undefined) p.ttln = ttln;
    if (values.ccd === true) p.ccd = true;
    if (values.wait === true) p.wait = true;
    const r = await withClient(values.socket, io, { atSign }, (c) => c.notify(atSign, p));
    io.stdout.write(values.json === true ? `${JSON.stringify(r, null, 2)}\n` : `${r.notificationId} ${r.status}\n`);
    return ExitCode.Ok;
  },
};

export default notify;
