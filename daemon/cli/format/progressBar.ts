// The progress bar `atsyncd sync --wait` draws on a TTY while a sync runs: the moving phase's bar,
// its figures (done/total, rate, time left), and the other phase's figures when it moved too.
import type { SyncProgress } from "../../../shared/status.js";
import { formatPhase } from "./statusText.js";
import { truncateDisplay } from "./textWidth.js";

/** `@alice downloading [############------------------] ↓ 4,000/10,000 commits (40%), 1,200/s, 5s left` */
export function renderProgressBar(label: string, p: SyncProgress, width = 30): string {
  const verb = p.direction === "upload" ? "uploading" : "downloading";
  const phase = p[p.direction];
  if (phase === null) return `${label} ${verb}…`;
  const ratio = phase.total > 0 ? Math.max(0, Math.min(1, phase.done / phase.total)) : 1;
  const filled = Math.round(ratio * width);
  const other = p.direction === "upload" ? p.download : p.upload;
  const rest = other !== null ? `; ${formatPhase(p.direction === "upload" ? "download" : "upload", other)}` : "";
  return `${label} ${verb} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${formatPhase(p.direction, phase)}${rest}`;
}

/**
 * One line redrawn in place (carriage return, erase to end of line), cut to the terminal's width:
 * a line that wrapped could not be redrawn by a carriage return.
 */
export class ProgressLine {
  private shown = false;

  constructor(private readonly out: NodeJS.WritableStream & { columns?: number }) {}

  update(text: string): void {
    const columns = this.out.columns;
    this.out.write(`\r${columns !== undefined && columns > 1 ? truncateDisplay(text, columns - 1) : text}\x1b[K`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) this.out.write("\r\x1b[K");
    this.shown = false;
  }
}
