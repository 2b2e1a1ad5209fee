// The human form of `atsyncd doctor`: one line per check, the fix indented below a failure.
import { columns } from "../format/textWidth.js";
import type { CheckResult } from "./Check.js";

const LABEL: Record<CheckResult["status"], string> = { ok: "ok", warn: "WARN", fail: "FAIL", skip: "skip" };

export function formatChecks(checks: readonly CheckResult[]): string[] {
  const out: string[] = [];
  const rows = columns(checks.map((c) => [LABEL[c.status].padEnd(4), c.name, c.message]));
  checks.forEach((c, i) => {
    out.push(rows[i] ?? "");
    if (c.fix !== undefined && c.status !== "ok") out.push(`      → ${c.fix}`);
  });
  const failed = checks.filter((c) => c.status === "fail").length;
  const warned = checks.filter((c) => c.status === "warn").length;
  out.push("", failed === 0 && warned === 0 ? "Everything looks fine." : `${failed} failed, ${warned} to look at.`);
  return out;
}
