// `atsyncd ls @atSign [REGEX] [--json]`: the keys of the local copy, one per line, printed page by
// page as the daemon sends them (a million keys start printing at once, in bounded memory).
import { JSON_OPTION, SOCKET_OPTION, parseCommandArgs } from "../args.js";
import { ExitCode, type Command } from "../Command.js";
import { atSignOperand } from "../operands.js";
import { printable } from "../format/printable.js";
import { withClient } from "../withClient.js";

const USAGE = `Usage: atsyncd ls @atSign [REGEX] [--namespace NS] [--hidden] [--json] [--socket PATH]

Lists the keys in the atSign's local copy, optionally those matching REGEX (a Unicode
regular expression matched against the whole atKey), in key order. Keys are printed as
they arrive, a page at a time; keys written meanwhile may or may not be listed, none twice.
A control or bidi character in a key is printed as \\u{…} (--json gives keys as they are).
  --namespace NS  only keys of this namespace ("wavi")
  --hidden        include hidden keys (_… and public:_…)
  --json          print a JSON array (streamed as well)
  --socket PATH   the daemon's socket
`;

/**
 * Writes to stdout, waiting for it to drain when its buffer is full (a slow reader holds the
 * listing, not memory). A reader that went away (`atsyncd ls @a | head`: EPIPE) ends the listing.
 */
class Output {
  private gone = false;
  private wake: (() => void) | undefined;
  private readonly onError = (): void => {
    this.gone = true;
    this.wake?.();
  };

  constructor(private readonly out: NodeJS.WritableStream) {
    out.on("error", this.onError);
  }

  get closed(): boolean {
    return this.gone;
  }

  async write(text: string): Promise<void> {
    if (this.gone || this.out.write(text)) return;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      this.out.once("drain", resolve);
    });
    this.out.off("drain", this.wake ?? (() => undefined));
    this.wake = undefined;
  }

  dispose(): void {
    this.out.off("error", this.onError);
  }
}

const ls: Command = {
  name: "ls",
  summary: "list the keys of an atSign's local copy",
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      namespace: { type: "string" }, hidden: { type: "boolean" }, ...JSON_OPTION, ...SOCKET_OPTION,
    }, USAGE, { min: 1, max: 2 });
    const atSign = atSignOperand(positionals[0] ?? "", USAGE);
    const regex = positionals[1];
    const query = {
      ...(regex !== undefined ? { regex } : {}),
      ...(values.namespace !== undefined ? { namespace: values.namespace } : {}),
      ...(values.hidden === true ? { showHidden: true } : {}),
    };
    const json = values.json === true;
    const out = new Output(io.stdout);
    let printed = 0;
    try {
      await withClient(values.socket, io, { atSign }, async (c) => {
        for await (const page of c.listPages(atSign, query)) {
          if (out.closed) break;
          if (page.length === 0) continue;
          // The same text as JSON.stringify(keys, null, 2), a page at a time.
          const text = json ? `${printed === 0 ? "[\n" : ",\n"}${page.map((k) => `  ${JSON.stringify(k)}`).join(",\n")}` : `${page.map(printable).join("\n")}\n`;
          printed += page.length;
          await out.write(text);
        }
      });
      if (json) await out.write(printed === 0 ? "[]\n" : "\n]\n");
    } finally {
      out.dispose();
    }
    return ExitCode.Ok;
  },
};

export default ls;
