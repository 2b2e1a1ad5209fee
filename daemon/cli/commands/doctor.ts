// `atsyncd doctor [--json]`: checks the key store, the daemon on its socket, each atSign's
// atServer (root lookup + TLS) and the clock, and says what to do about each failure.
// Exit 0 when nothing failed (warnings allowed), 5 otherwise.
import { configFor } from "../../config/DaemonConfig.js";
import { loadConfig } from "../../config/loadConfig.js";
import { JSON_OPTION, SOCKET_OPTION, parseCommandArgs, usageError } from "../args.js";
import { PATH_OPTIONS } from "../cliPaths.js";
import { daemonPaths } from "../daemonPaths.js";
import { ExitCode, type Command } from "../Command.js";
import { check, type CheckResult } from "../doctor/Check.js";
import { checkAtServer, checkClock, type AtServerFinding } from "../doctor/checkAtServer.js";
import { checkDaemon } from "../doctor/checkDaemon.js";
import { checkKeyStore } from "../doctor/checkKeyStore.js";
import { formatChecks } from "../doctor/formatChecks.js";
import { cliSocketPath } from "../withClient.js";

const USAGE = `Usage: atsyncd doctor [--json] [--socket PATH] [--data-dir DIR] [--config FILE] [--key-store keychain|file]

Checks what atsyncd needs and says what to do about each failure:
  the key store (OS keychain, or the file fallback), the daemon on its socket and the
  state of each atSign, each atSign's atServer (root lookup and TLS connect), the clock.
  --json              print the checks as JSON
  --socket PATH       the daemon's socket
  --data-dir, --config, --key-store   as given to \`atsyncd run\`; without --data-dir and
                      --config, the running daemon's data dir and config file (else the defaults)

Exit codes: 0 nothing failed (warnings allowed), 5 a check failed.
`;

const doctor: Command = {
  name: "doctor",
  summary: "check the key store, the daemon, the atServers and the clock",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, { ...PATH_OPTIONS, "key-store": { type: "string" }, ...JSON_OPTION, ...SOCKET_OPTION }, USAGE, { min: 0, max: 0 });
    const prefer = values["key-store"];
    if (prefer !== undefined && prefer !== "keychain" && prefer !== "file") throw usageError("--key-store is keychain or file", USAGE);
    const { paths, from } = await daemonPaths(io, { dataDir: values["data-dir"], configFile: values.config, socket: values.socket });
    const socketPath = cliSocketPath(values.socket, io);
    const checks: CheckResult[] = [];

    const keyStore = await checkKeyStore({ dataDir: paths.dataDir, prefer, env: io.env });
    checks.push(keyStore.result);
    const daemon = await checkDaemon(socketPath, io.clock);
    checks.push(...daemon.results);
    const onFile = daemon.statuses?.filter((s) => s.keyStore === "file").map((s) => s.atSign) ?? [];
    if (onFile.length > 0 && keyStore.result.status === "ok" && prefer !== "file") {
      checks.push(check("daemon key store", "warn", `the running daemon keeps the keys of ${onFile.join(", ")} in its file key store (started with --key-store file or --dev?)`,
        "restart it without --key-store file, then offboard and onboard each atSign to move its keys into the keychain"));
    }

    let config;
    try {
      config = loadConfig(paths.configFile);
      const whose = from === "daemon" ? " (the running daemon's)" : "";
      checks.push(check("config", "ok", `${paths.configFile}${whose} is valid (or absent: defaults)`));
    } catch (err) {
      checks.push(check("config", "fail", err instanceof Error ? err.message : String(err), "fix the named field (`atsyncd config set …`) or remove the file"));
    }
    // The daemon knows the atSigns it serves; without it, the key store does.
    const atSigns = daemon.statuses?.map((s) => s.atSign) ?? keyStore.atSigns;
    const findings: AtServerFinding[] = [];
    if (config !== undefined) {
      for (const atSign of atSigns) {
        const f = await checkAtServer(atSign, configFor(config, atSign), io.clock);
        findings.push(f);
        checks.push(f.result);
      }
    }
    checks.push(checkClock(io.clock.now(), findings));

    if (values.json === true) io.stdout.write(`${JSON.stringify({ checks }, null, 2)}\n`);
    else io.stdout.write(`${formatChecks(checks).join("\n")}\n`);
    return checks.some((c) => c.status === "fail") ? ExitCode.NeedsAttention : ExitCode.Ok;
  },
};

export default doctor;
