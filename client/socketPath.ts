// The socket the client uses when none is given: the same rule as the daemon's
// (shared/paths.ts), fed from this process's environment.

import { homedir } from "node:os";
import { defaultSocketPath } from "../shared/paths.js";

export function resolveSocketPath(explicit?: string): string {
  if (explicit) return explicit;
  return defaultSocketPath({
    platform: process.platform,
    env: process.env,
    uid: typeof process.getuid === "function" ? process.getuid() : 0,
    home: homedir(),
  });
}
