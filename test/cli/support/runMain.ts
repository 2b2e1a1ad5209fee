// Runs the CLI's main() in this process with captured streams (the unit-level path; the
// end-to-end tests run bin/atsyncd as a child process instead).
import { Readable, Writable } from "node:stream";
import { SystemClock } from "../../../daemon/adapters/SystemClock.js";
import type { CliIO } from "../../../daemon/cli/Command.js";
import { main } from "../../../daemon/cli/dispatch.js";

export interface MainResult {
  code: number;
  stdout: string;
  stderr: string;
}

function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}

export async function runMain(argv: string[], env: NodeJS.ProcessEnv = {}, stdin?: string): Promise<MainResult> {
  const out = sink();
  const err = sink();
  const io: CliIO = {
    stdout: out.stream,
    stderr: err.stream,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    clock: new SystemClock(),
    ...(stdin !== undefined ? { stdin: Readable.from([Buffer.from(stdin)]) } : {}),
  };
  const code = await main(argv, io);
  return { code, stdout: out.text(), stderr: err.text() };
}
