// Shared by install-service and uninstall-service: their options, the ServiceOptions they
// build, and the plan printed as shell-like steps (what was done, or would be with --dry-run).
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { commandLine, type ServiceOptions, type ServicePlan, type ServiceStep } from "../service/installService.js";
import { ServiceError } from "../service/ServiceError.js";
import { JSON_OPTION } from "./args.js";
import { cliPaths } from "./cliPaths.js";
import { CliError, ExitCode, type CliIO } from "./Command.js";

export const SERVICE_OPTIONS = {
  system: { type: "boolean" }, "dry-run": { type: "boolean" }, "data-dir": { type: "string" }, ...JSON_OPTION,
} as const;

/** bin/atsyncd of this installation, found upwards from this file (source or dist/). */
export function atsyncdBin(start = dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "bin", "atsyncd");
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new CliError(`cannot find bin/atsyncd above ${start}; reinstall atsyncd`, ExitCode.Failure);
}

export function serviceOptions(io: CliIO, v: { system?: boolean | undefined; "dry-run"?: boolean | undefined; "data-dir"?: string | undefined }): ServiceOptions {
  if (v.system === true && v["data-dir"] !== undefined) {
    throw new CliError("--system keeps its data in /var/lib/atsyncd (the unit's StateDirectory=): leave out --data-dir", ExitCode.Usage);
  }
  // The data dir and config file `atsyncd run` would use with the same --data-dir, named in
  // ExecStart= as they are: the service reads the config file `atsyncd config` edits.
  const paths = cliPaths(io, { dataDir: v["data-dir"] });
  return {
    platform: process.platform,
    home: io.env.HOME ?? homedir(),
    execPath: process.execPath,
    binPath: atsyncdBin(),
    dataDir: paths.dataDir,
    configFile: paths.configFile,
    ...(v.system === true ? { system: true } : {}),
    ...(v["dry-run"] === true ? { dryRun: true } : {}),
  };
}

export function stepText(s: ServiceStep): string {
  switch (s.kind) {
    case "mkdir":
      return `mkdir -p -m ${s.mode.toString(8)} ${s.path}`;
    case "write":
      return `write ${s.path} (mode ${s.mode.toString(8)}, ${s.content.split("\n").length} lines)`;
    case "remove":
      return `rm -f ${s.path}`;
    case "run":
      return commandLine(s) + (s.mayFail ? "   (a failure here is fine)" : "");
    case "check":
      return `${commandLine(s)}   (checked first: nothing is written if it fails)`;
  }
}

const MANAGER: Record<ServicePlan["manager"], string> = {
  "systemd-user": "the systemd user service",
  "systemd-system": "the system-wide systemd service",
  "launchd-agent": "the launchd LaunchAgent",
};

export function printPlan(io: CliIO, plan: ServicePlan, verb: "Installed" | "Uninstalled", dryRun: boolean, json: boolean): void {
  if (json) {
    io.stdout.write(`${JSON.stringify({ dryRun, ...plan }, null, 2)}\n`);
    return;
  }
  const head = dryRun
    ? `Would ${verb === "Installed" ? "install" : "uninstall"} ${MANAGER[plan.manager]} (${plan.unitPath}) by:`
    : `${verb} ${MANAGER[plan.manager]} (${plan.unitPath}):`;
  const lines = [head, ...plan.steps.map((s) => `  ${stepText(s)}`)];
  if (plan.problems.length > 0) lines.push("", "It would fail:", ...plan.problems.map((p) => `  ${p}`));
  if (!dryRun && plan.notes.length > 0) lines.push("", ...plan.notes);
  io.stdout.write(`${lines.join("\n")}\n`);
}

export function explainServiceError(err: unknown): unknown {
  return err instanceof ServiceError ? new CliError(err.message, ExitCode.Failure) : err;
}
