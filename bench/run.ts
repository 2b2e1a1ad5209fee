// `npm run bench [-- <word>...]`: runs every bench/*.ts (except this file), or those whose name
// contains a word, each in its own process one after another, so one benchmark's heap and
// sockets never skew the next. Each prints its own lines, passed through here, and a line
// `BENCH-FIGURE {json}` per figure (bench/support/figure.ts), gathered here with the machine and
// its load before and after into bench/results.json, from which BENCHMARKS.md is written. A
// partial run replaces only the records of the benchmarks it ran; both files are rewritten after
// each benchmark, so an interrupted run keeps what it finished.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, release, totalmem, type as osType } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FIGURE_PREFIX, parseFigures, type Figure } from "./support/figure.js";
import { figureLine, formatReport, mergeResults, parseResults, type BenchRecord, type Load, type Machine } from "./support/report.js";

const dir = dirname(fileURLToPath(import.meta.url));
const root = dirname(dir);
const resultsPath = join(dir, "results.json");
const reportPath = join(root, "BENCHMARKS.md");

const only = process.argv.slice(2);
const benches = readdirSync(dir).filter((f) => f.endsWith(".ts") && f !== "run.ts").sort();
const files = benches.filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
const command = `npm run bench${only.length === 0 ? "" : ` -- ${only.join(" ")}`}`;

function machine(): Machine {
  let distro = "";
  try {
    distro = /^PRETTY_NAME="?([^"\n]*)"?$/mu.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "";
  } catch {
    // not Linux, or no os-release: the kernel line alone
  }
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    ramGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${distro === "" ? "" : `${distro}, `}${osType()} ${release()} ${process.arch}`,
  };
}

const load = (): Load => loadavg().map((l) => Math.round(l * 100) / 100) as Load;

/** Runs one benchmark: its stderr as it is, its stdout passed through line by line with each figure line shown readably. */
function runOne(file: string): Promise<{ exit: number | string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(dir, file)], { stdio: ["inherit", "pipe", "inherit"] });
    let stdout = "";
    let partial = "";
    const show = (line: string): void => {
      if (!line.startsWith(FIGURE_PREFIX)) process.stdout.write(`${line}\n`);
      else {
        try {
          for (const f of parseFigures(line)) process.stdout.write(`${figureLine(f)}\n`);
        } catch {
          process.stdout.write(`${line}   (not a figure: its JSON does not parse)\n`);
        }
      }
    };
    child.stdout.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      stdout += text;
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) show(l);
    });
    child.once("error", reject);
    child.once("close", (code, signal) => {
      if (partial !== "") show(partial);
      resolve({ exit: code ?? signal ?? "unknown", stdout });
    });
  });
}

/** The figures of a benchmark's stdout, a line that does not parse left out (and said). */
function figuresOf(file: string, stdout: string): Figure[] {
  const out: Figure[] = [];
  for (const line of stdout.split("\n")) {
    try {
      out.push(...parseFigures(line));
    } catch {
      process.stdout.write(`${file}: a ${FIGURE_PREFIX.trim()} line whose JSON does not parse, left out\n`);
    }
  }
  return out;
}

function save(fresh: BenchRecord[]): void {
  const old = parseResults(existsSync(resultsPath) ? readFileSync(resultsPath, "utf8") : undefined);
  const merged = mergeResults(old, fresh, benches);
  for (const [path, text] of [[resultsPath, `${JSON.stringify(merged, null, 2)}\n`], [reportPath, formatReport(merged, benches)]] as const) {
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
  }
}

const m = machine();
let failed = 0;
for (const f of files) {
  process.stdout.write(`\n== ${f}\n`);
  const loadBefore = load();
  const startedAt = new Date();
  const r = await runOne(f);
  const seconds = (Date.now() - startedAt.getTime()) / 1000;
  if (r.exit !== 0) {
    failed++;
    process.stdout.write(`${f} failed (exit ${r.exit})\n`);
  }
  save([{ bench: f, command, startedAt: startedAt.toISOString(), seconds, loadBefore, loadAfter: load(), exit: r.exit, machine: m, figures: figuresOf(f, r.stdout) }]);
}
if (files.length === 0) process.stdout.write(`no benchmark in bench/ matches ${only.join(" ")}\n`);
else process.stdout.write(`\n${files.length - failed} of ${files.length} benchmarks ran; BENCHMARKS.md and bench/results.json updated\n`);
process.exitCode = failed === 0 && files.length > 0 ? 0 : 1;
