// What a rendered unit's sandbox hides, and whether the node and atsyncd its ExecStart= names
// are among it: PrivateTmp=yes gives the service an empty /tmp and /var/tmp, ProtectHome=yes
// (or tmpfs) empty /home, /root and /run/user, so a checkout or a node there cannot start. The
// system unit also runs as the user atsyncd, who must be able to read and run both.
import { realpathSync, statSync } from "node:fs";
import { basename, dirname, join, sep } from "node:path";

export interface HiddenDir {
  dir: string;
  setting: string;
}

/** The directories the unit's settings hide from its service, read from the unit itself. */
export function hiddenDirs(unit: string): HiddenDir[] {
  const set = (key: string): string | undefined => new RegExp(`^${key}=(.*)$`, "mu").exec(unit)?.[1]?.trim();
  const out: HiddenDir[] = [];
  if (set("PrivateTmp") === "yes" || set("PrivateTmp") === "true") {
    for (const dir of ["/tmp", "/var/tmp"]) out.push({ dir, setting: `PrivateTmp=${set("PrivateTmp")}` });
  }
  const home = set("ProtectHome");
  if (home === "yes" || home === "true" || home === "tmpfs") {
    for (const dir of ["/home", "/root", "/run/user"]) out.push({ dir, setting: `ProtectHome=${home}` });
  }
  return out;
}

const within = (path: string, dir: string): boolean => path === dir || path.startsWith(dir + sep);

/**
 * The path with its symlinks resolved, as the service would reach it: where it does not exist
 * yet (a data dir install-service is about to make), its nearest existing parent resolved.
 */
export function resolvedPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const up = dirname(path);
    return up === path ? path : join(resolvedPath(up), basename(path));
  }
}

/** Why the service could not reach `path` (the node or the atsyncd of ExecStart=), or undefined. */
export function hiddenByUnit(unit: string, what: string, path: string): string | undefined {
  const hit = hiddenDirs(unit).find((h) => within(path, h.dir));
  if (hit === undefined) return undefined;
  return `The service cannot start ${what} ${path}: the unit's ${hit.setting} hides ${hit.dir} from it`;
}

/**
 * Why the service would not keep its data (or read its config) at `path`, or undefined: a
 * private /tmp is empty at each start and thrown away at each stop, so the service would run
 * without the keys and stores there and lose what it wrote, without a word.
 */
export function dataHiddenByUnit(unit: string, what: string, path: string): string | undefined {
  const hit = hiddenDirs(unit).find((h) => within(path, h.dir));
  if (hit === undefined) return undefined;
  return `The service would not see the ${what} ${path}: the unit's ${hit.setting} gives it a ${hit.dir} of its own, empty at each start and removed at each stop, so it would run without what is there and lose what it writes`;
}

/** Why a user other than the owner (the system unit's User=atsyncd) could not run `path`, or undefined. */
export function unreadableByOthers(what: string, path: string): string | undefined {
  let st;
  try {
    st = statSync(path);
  } catch {
    return undefined; // not there: systemd says so when the unit starts (a test's made-up path)
  }
  if ((st.mode & 0o005) !== 0o005) return `The service runs as the user atsyncd, who cannot run ${what} ${path} (mode ${(st.mode & 0o777).toString(8)})`;
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    try {
      const d = statSync(dir);
      if ((d.mode & 0o001) === 0) return `The service runs as the user atsyncd, who cannot enter ${dir} (mode ${(d.mode & 0o777).toString(8)}) to reach ${what} ${path}`;
    } catch {
      return undefined;
    }
    if (dirname(dir) === dir) return undefined;
  }
}
