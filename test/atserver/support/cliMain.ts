// Runs atserver/cli.ts as its own process from source, as `atsyncd dev-server` would.
import { runDevServerCli, UsageError } from "../../../atserver/cli.js";

try {
  process.exitCode = await runDevServerCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
} catch (err) {
  process.stderr.write(`dev-server: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = err instanceof UsageError ? 2 : 1;
}
