// install-service / uninstall-service: write the rendered unit or plist, then tell systemd or
// launchd about it. The plan (files and commands) is computed first, so --dry-run can print
// it and tests can check it; commands go through an injectable CommandRunner.
import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  LAUNCHD_LABEL,
  LAUNCHD_PLIST_FILE,
  SYSTEM_UNIT_TEMPLATE,
  SYSUSERS_TEMPLATE,
  USER_UNIT_FILE,
  findTemplatesRoot,
  readTemplate,
  renderLaunchdPlist,
  renderSystemUnit,
  renderUserUnit,
} from "./renderUnits.js";
import { runCommand, type CommandRunner } from "./runCommand.js";
import { dataHiddenByUnit, hiddenByUnit, resolvedPath, unreadableByOthers } from "./sandboxCheck.js";
import { ServiceError, ServiceErrorCode } from "./ServiceError.js";

export interface ServiceOptions {
  /** The system-wide systemd variant (as root) instead of the per-user service. */
  system?: boolean;
  platform: NodeJS.Platform;
  home: string;
  /** The node binary the service runs (process.execPath). */
  execPath: string;
  /** The atsyncd entry script (bin/atsyncd). */
  binPath: string;
  /** The per-user data dir (ignored by the system variant, which uses /var/lib/atsyncd). */
  dataDir: string;
  /** The config file the user service reads (the one `atsyncd run` reads with the same --data-dir); the data dir's config.json when absent. */
  configFile?: string;
  /** Compute and return the plan without writing or running anything. */
  dryRun?: boolean;
  /** For `launchctl … gui/<uid>`; defaults to process.getuid(). */
  uid?: number;
  run?: CommandRunner;
  /** Where systemd/ and launchd/ are (defaults to the installed package). */
  templatesRoot?: string;
  /** The system unit directory (tests); defaults to /etc/systemd/system. */
  systemUnitDir?: string;
  /** The sysusers.d directory (tests); defaults to /etc/sysusers.d. */
  sysusersDir?: string;
  /**
   * Refuse node and atsyncd paths the unit's sandbox hides (default true; tests of other
   * things, whose checkout or node may live under /tmp, turn it off).
   */
  sandboxCheck?: boolean;
}

/** One step of a plan, carried out in order. */
export type ServiceStep =
  | { kind: "mkdir"; path: string; mode: number }
  | { kind: "write"; path: string; content: string; mode: number }
  | { kind: "remove"; path: string }
  /** `mayFail`: a failure that does not stop the plan (stopping a service that is not loaded). */
  | { kind: "run"; cmd: string; args: string[]; mayFail?: boolean }
  /** Run before anything is written (in a dry run too): a failure stops the plan with `failure`, its `{why}` filled with what the command said. */
  | { kind: "check"; cmd: string; args: string[]; failure: string };

export interface ServicePlan {
  manager: "systemd-user" | "systemd-system" | "launchd-agent";
  /** The unit or plist path. */
  unitPath: string;
  steps: ServiceStep[];
  /** Sentences for the user after the plan ran. */
  notes: string[];
  /** Why the plan cannot work, one sentence each: refused, or printed by a dry run. */
  problems: string[];
}

/** A problem with the code of the ServiceError it becomes. */
interface Problem {
  code: ServiceErrorCode;
  message: string;
}

export async function installService(opts: ServiceOptions): Promise<ServicePlan> {
  const { plan, problems } = planWithProblems(opts);
  const run = opts.run ?? runCommand;
  problems.push(...(await runChecks(plan, run)));
  plan.problems = problems.map((p) => p.message);
  const first = problems[0];
  if (opts.dryRun) return plan;
  if (first !== undefined) throw new ServiceError(first.code, first.message);
  await carryOut(plan, run);
  return plan;
}

export async function uninstallService(opts: ServiceOptions): Promise<ServicePlan> {
  const plan = planUninstall(opts);
  if (!opts.dryRun) await carryOut(plan, opts.run ?? runCommand);
  return plan;
}

const mkdirStep = (path: string, mode: number): ServiceStep => ({ kind: "mkdir", path, mode });
const writeStep = (path: string, content: string): ServiceStep => ({ kind: "write", path, content, mode: 0o644 });
const runStep = (cmd: string, args: string[], mayFail = false): ServiceStep =>
  mayFail ? { kind: "run", cmd, args, mayFail } : { kind: "run", cmd, args };

const HIDDEN_FIX = {
  node: "; use a node installed where every service can see it (your distribution's, or one under /usr/local or /opt).",
  // The README's install command: without --allow-scripts, npm 12 leaves better-sqlite3 unbuilt.
  atsyncd: "; install atsyncd where it can (`npm install -g --allow-scripts=better-sqlite3 atsyncd`, or from a clone `npm install -g --allow-scripts=better-sqlite3 \"$(npm pack --silent)\"`, with npm's prefix outside the hidden directories: `npm config get prefix`) and run that atsyncd's install-service.",
} as const;

/** The sandbox of `unit` hides node or atsyncd, or (system unit) the user atsyncd cannot run them. */
function sandboxProblems(unit: string, paths: { execPath: string; binPath: string }, system: boolean): Problem[] {
  const out: Problem[] = [];
  for (const [what, path] of [["node", paths.execPath], ["atsyncd", paths.binPath]] as const) {
    const why = hiddenByUnit(unit, what, path) ?? (system ? unreadableByOthers(what, path) : undefined);
    if (why !== undefined) out.push({ code: ServiceErrorCode.BadPath, message: why + HIDDEN_FIX[what] });
  }
  return out;
}

const DATA_FIX = "; give install-service a data dir outside /tmp and /var/tmp (`--data-dir DIR`; the default is ~/.local/share/atsyncd, or under $XDG_DATA_HOME).";
const CONFIG_FIX = "; keep the config file outside /tmp and /var/tmp (the default is ~/.config/atsyncd/config.json, or under $XDG_CONFIG_HOME).";

/** The user unit's data dir or config file where its sandbox gives the service a private copy (PrivateTmp=yes). */
function dataProblems(unit: string, paths: { dataDir: string; configFile?: string }): Problem[] {
  const out: Problem[] = [];
  const data = dataHiddenByUnit(unit, "data dir", resolvedPath(paths.dataDir));
  if (data !== undefined) out.push({ code: ServiceErrorCode.BadPath, message: data + DATA_FIX });
  const config = paths.configFile === undefined ? undefined : dataHiddenByUnit(unit, "config file", resolvedPath(paths.configFile));
  if (config !== undefined) out.push({ code: ServiceErrorCode.BadPath, message: config + CONFIG_FIX });
  return out;
}

const NO_USER_MANAGER =
  "No systemd user manager runs for you{why}, so a user service cannot start: log in with a session that starts one (a desktop or ssh login, not su or sudo -u), keep one running with `loginctl enable-linger $USER`, or install the system-wide service with `sudo atsyncd install-service --system`.";
const NO_SYSTEMD = "systemd does not run this machine{why}, so it cannot start a service: run `atsyncd run` under the supervisor that does.";

const checkStep = (cmd: string, args: string[], failure: string): ServiceStep => ({ kind: "check", cmd, args, failure });

export function planInstall(opts: ServiceOptions): ServicePlan {
  const { plan, problems } = planWithProblems(opts);
  plan.problems = problems.map((p) => p.message);
  return plan;
}

function planWithProblems(opts: ServiceOptions): { plan: ServicePlan; problems: Problem[] } {
  const where = locate(opts);
  const root = opts.templatesRoot ?? findTemplatesRoot();
  // ExecStart= names the files themselves: a symlink (a global install's bin/atsyncd) may lead
  // where the sandbox hides, and the unit must not break when the link changes.
  const paths = {
    execPath: resolvedPath(opts.execPath),
    binPath: resolvedPath(opts.binPath),
    dataDir: opts.dataDir,
    ...(opts.configFile !== undefined ? { configFile: opts.configFile } : {}),
  };
  const check = opts.sandboxCheck !== false;
  switch (where.manager) {
    case "systemd-user": {
      const unit = renderUserUnit(readTemplate(root, "systemd", USER_UNIT_FILE), paths);
      return { problems: check ? [...sandboxProblems(unit, paths, false), ...dataProblems(unit, paths)] : [], plan: {
        ...where,
        problems: [],
        steps: [
          checkStep("systemctl", ["--user", "show-environment"], NO_USER_MANAGER),
          mkdirStep(dirname(where.unitPath), 0o755),
          // ReadWritePaths= only opens a path that exists when the service starts.
          mkdirStep(opts.dataDir, 0o700),
          writeStep(where.unitPath, unit),
          runStep("systemctl", ["--user", "daemon-reload"]),
          runStep("systemctl", ["--user", "enable", "--now", USER_UNIT_FILE]),
        ],
        notes: [
          "atsyncd runs while you are logged in; to keep it running after logout, run `loginctl enable-linger $USER`.",
          "Check it with `atsyncd status` or `systemctl --user status atsyncd`.",
        ],
      } };
    }
    case "systemd-system": {
      const sysusersDir = opts.sysusersDir ?? "/etc/sysusers.d";
      const sysusers = join(sysusersDir, "atsyncd.conf");
      const unit = renderSystemUnit(readTemplate(root, "systemd", SYSTEM_UNIT_TEMPLATE), paths);
      return { problems: check ? sandboxProblems(unit, paths, true) : [], plan: {
        ...where,
        problems: [],
        steps: [
          checkStep("systemctl", ["show-environment"], NO_SYSTEMD),
          mkdirStep(sysusersDir, 0o755),
          writeStep(sysusers, readTemplate(root, "systemd", SYSUSERS_TEMPLATE)),
          runStep("systemd-sysusers", [sysusers]),
          mkdirStep(dirname(where.unitPath), 0o755),
          writeStep(where.unitPath, unit),
          runStep("systemctl", ["daemon-reload"]),
          runStep("systemctl", ["enable", "--now", USER_UNIT_FILE]),
        ],
        notes: [
          "Add the users whose apps may use atsyncd to its group: `usermod -aG atsyncd <user>` (then log in again).",
          "Check it with `systemctl status atsyncd`.",
        ],
      } };
    }
    case "launchd-agent": {
      const logDir = join(opts.home, "Library", "Logs", "atsyncd");
      const target = `gui/${uidOf(opts)}`;
      const plist = renderLaunchdPlist(readTemplate(root, "launchd", LAUNCHD_PLIST_FILE), { ...paths, logDir });
      return { problems: [], plan: {
        ...where,
        problems: [],
        steps: [
          mkdirStep(dirname(where.unitPath), 0o755),
          mkdirStep(logDir, 0o700),
          mkdirStep(opts.dataDir, 0o700),
          // A loaded older copy would make bootstrap fail; unloading one that is not there fails harmlessly.
          runStep("launchctl", ["bootout", `${target}/${LAUNCHD_LABEL}`], true),
          writeStep(where.unitPath, plist),
          runStep("launchctl", ["enable", `${target}/${LAUNCHD_LABEL}`]),
          runStep("launchctl", ["bootstrap", target, where.unitPath]),
        ],
        notes: [`Logs are in ${logDir}.`, "Check it with `atsyncd status`."],
      } };
    }
  }
}

export function planUninstall(opts: ServiceOptions): ServicePlan {
  const where = locate(opts);
  const keep = `Your data and keys stay in ${opts.dataDir} and the key store; \`atsyncd offboard\` removes an atSign's keys.`;
  switch (where.manager) {
    case "systemd-user":
      return {
        ...where,
        steps: [
          // Disable while the unit file still exists, so its [Install] symlinks are found and removed.
          runStep("systemctl", ["--user", "disable", "--now", USER_UNIT_FILE], true),
          { kind: "remove", path: where.unitPath },
          // Without a running user manager nothing has the unit loaded: with its file gone, it is gone.
          runStep("systemctl", ["--user", "daemon-reload"], true),
        ],
        notes: [keep],
        problems: [],
      };
    case "systemd-system":
      return {
        ...where,
        steps: [
          runStep("systemctl", ["disable", "--now", USER_UNIT_FILE], true),
          { kind: "remove", path: where.unitPath },
          runStep("systemctl", ["daemon-reload"], true),
        ],
        problems: [],
        notes: ["The atsyncd user and /var/lib/atsyncd (data and keys) are kept; remove them by hand if you no longer need them."],
      };
    case "launchd-agent":
      return {
        ...where,
        steps: [
          runStep("launchctl", ["bootout", `gui/${uidOf(opts)}/${LAUNCHD_LABEL}`], true),
          { kind: "remove", path: where.unitPath },
        ],
        notes: [keep],
        problems: [],
      };
  }
}

function locate(opts: ServiceOptions): { manager: ServicePlan["manager"]; unitPath: string } {
  if (opts.platform === "linux") {
    if (opts.system) return { manager: "systemd-system", unitPath: join(opts.systemUnitDir ?? "/etc/systemd/system", USER_UNIT_FILE) };
    return { manager: "systemd-user", unitPath: join(opts.home, ".config", "systemd", "user", USER_UNIT_FILE) };
  }
  if (opts.platform === "darwin") {
    if (opts.system) {
      throw new ServiceError(
        ServiceErrorCode.Unsupported,
        "A system-wide service is offered for systemd only; on macOS run `atsyncd install-service` without --system to install a LaunchAgent.",
      );
    }
    return { manager: "launchd-agent", unitPath: join(opts.home, "Library", "LaunchAgents", LAUNCHD_PLIST_FILE) };
  }
  throw new ServiceError(
    ServiceErrorCode.Unsupported,
    `atsyncd can install a service on Linux (systemd) and macOS (launchd), not on ${opts.platform}; run \`atsyncd run\` under your own supervisor.`,
  );
}

function uidOf(opts: ServiceOptions): number {
  const uid = opts.uid ?? process.getuid?.();
  if (uid === undefined) throw new ServiceError(ServiceErrorCode.Unsupported, "Cannot tell the user id for launchctl's gui/<uid> domain.");
  return uid;
}

/** The shell form of a run step, for --dry-run output and messages. */
export function commandLine(step: { cmd: string; args: readonly string[] }): string {
  return [step.cmd, ...step.args].map((w) => (/^[\w@%+=:,./-]+$/u.test(w) ? w : `'${w.replaceAll("'", "'\\''")}'`)).join(" ");
}

/** Runs the plan's check steps; the failures, as problems. */
async function runChecks(plan: ServicePlan, run: CommandRunner): Promise<Problem[]> {
  const out: Problem[] = [];
  for (const step of plan.steps) {
    if (step.kind !== "check") continue;
    const r = await run(step.cmd, step.args).catch((e: unknown) => ({ code: -1, stdout: "", stderr: e instanceof Error ? e.message : String(e) }));
    if (r.code === 0) continue;
    const said = r.stderr.trim().split("\n")[0] ?? "";
    out.push({ code: ServiceErrorCode.Unsupported, message: step.failure.replace("{why}", () => (said ? ` (\`${commandLine(step)}\`: ${said})` : "")) });
  }
  return out;
}

async function carryOut(plan: ServicePlan, run: CommandRunner): Promise<void> {
  for (const step of plan.steps) {
    if (step.kind === "check") continue; // run before anything was written
    if (step.kind === "run") {
      await runOne(step, run);
      continue;
    }
    try {
      if (step.kind === "mkdir") await mkdir(step.path, { recursive: true, mode: step.mode });
      else if (step.kind === "remove") await rm(step.path, { force: true });
      else {
        await writeFile(step.path, step.content, { mode: step.mode });
        await chmod(step.path, step.mode); // an existing file keeps its old mode through writeFile
      }
    } catch (e) {
      const code = typeof e === "object" && e !== null && "code" in e ? String(e.code) : "error";
      const hint = code === "EACCES" || code === "EPERM" ? "; --system needs root" : "";
      throw new ServiceError(ServiceErrorCode.Io, `Cannot ${step.kind} ${step.path} (${code}${hint}).`, { cause: e });
    }
  }
}

async function runOne(step: Extract<ServiceStep, { kind: "run" }>, run: CommandRunner): Promise<void> {
  const line = commandLine(step);
  let result;
  try {
    result = await run(step.cmd, step.args);
  } catch (e) {
    if (step.mayFail) return;
    throw new ServiceError(ServiceErrorCode.CommandFailed, `\`${line}\` could not be run (${e instanceof Error ? e.message : String(e)}).`, { cause: e });
  }
  if (result.code !== 0 && !step.mayFail) {
    const why = result.stderr.trim().split("\n")[0] ?? "";
    throw new ServiceError(ServiceErrorCode.CommandFailed, `\`${line}\` failed with exit code ${result.code}${why ? `: ${why}` : ""}.`);
  }
}
