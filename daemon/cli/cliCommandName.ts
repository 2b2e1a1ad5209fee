// How a user runs this atsyncd from a shell, for the hints the CLI prints (run --dev's
// banner): `atsyncd` when the atsyncd found on PATH is this one, `npx atsyncd` inside the
// checkout it belongs to (`npm start` from a clone puts nothing on PATH), else its full path.
import { realpathSync } from "node:fs";
import { delimiter, dirname, join, relative, isAbsolute } from "node:path";

const real = (p: string): string | undefined => {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
};

export function cliCommandName(bin: string, env: NodeJS.ProcessEnv, cwd: string): string {
  const self = real(bin) ?? bin;
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "" || !isAbsolute(dir)) continue;
    const found = real(join(dir, "atsyncd"));
    if (found !== undefined) return found === self ? "atsyncd" : self; // another atsyncd comes first on PATH
  }
  const root = dirname(dirname(self));
  const rel = relative(root, real(cwd) ?? cwd);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel)) ? "npx atsyncd" : self;
}
