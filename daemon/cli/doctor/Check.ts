// One finding of `atsyncd doctor`: what was checked, how it went, and what to do about it.
export type CheckStatus = "ok" | "warn" | "fail" | "skip";

export interface CheckResult {
  /** What was checked: "key store", "daemon", "@alice", "clock". */
  name: string;
  status: CheckStatus;
  /** What was found, one sentence. */
  message: string;
  /** What to do about it, when something is wrong. */
  fix?: string;
}

export function check(name: string, status: CheckStatus, message: string, fix?: string): CheckResult {
  return fix === undefined ? { name, status, message } : { name, status, message, fix };
}
