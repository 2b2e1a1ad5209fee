// Where one atSign's local secondary lives in the daemon's data dir.
import { join } from "node:path";

export function storePath(dataDir: string, atSign: string): string {
  return join(dataDir, "atsigns", `${atSign.toLowerCase()}.db`);
}
