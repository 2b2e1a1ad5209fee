// The progress bar `atsyncd sync --wait` draws on a TTY while a large sync runs.
import type { SyncProgress } from "../../../shared/status.js";
import { formatCount } from "./numbers.js";
import { formatProgress } from "./statusText.js";

/** `@alice [############------------------]  40% (4,000/10,000)`; without a total, no bar. */
export function renderProgressBar(label: string, p: SyncProgress, width = 30): string {
  const verb = p.direction === "upload" ? "uploading" : "downloading";
  if (p.total === null || p.total <= 0) return `${label} ${verb}…${p.done > 0 ? ` ${formatCount(p.done)} so far` : ""}`;
  const ratio = Math.max(0, Math.min(1, p.done / p.total));
  const filled = Math.round(ratio * width);
  return `${label} ${verb} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${formatProgress(p)}`;
}

/** One line redrawn in place (carriage return, erase to end of line). */
export class ProgressLine {
  private shown = false;

  constructor(private readonly out: NodeJS.WritableStream) {}

  update(text: string): void {
    this.out.write(`\r${text}\x1b[K`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) this.out.write("\r\x1b[K");
    this.shown = false;
  }
}
