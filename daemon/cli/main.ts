// The `atsyncd` entry point (bin/atsyncd imports it): runs one command with this process's streams.
import { SystemClock } from "../adapters/SystemClock.js";
import type { CliIO } from "./Command.js";
import { main } from "./dispatch.js";

const io: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env, clock: new SystemClock(), stdin: process.stdin };
process.exitCode = await main(process.argv.slice(2), io);
