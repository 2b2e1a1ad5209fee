// Whether better-sqlite3's native module loads in this node, checked by `atsyncd run` before
// anything starts. It does not where npm skipped its install script (npm 12 runs a
// dependency's install script only when allowed: `--allow-scripts=better-sqlite3`; or
// `--ignore-scripts`), nor after node moved to another major version than the one it was
// built for. Unchecked, every worker died at once with "StoreCorrupt", restarted for ever,
// and `run --dev` printed the loader's raw 13-line list of paths.
import { createRequire } from "node:module";
import { dirname } from "node:path";

/** The directory holding the node_modules/better-sqlite3 this atsyncd loads (its package root). */
export function packageRootOfAddon(): string | undefined {
  try {
    // …/node_modules/better-sqlite3/lib/index.js → … (where `npm rebuild better-sqlite3` runs)
    return dirname(dirname(dirname(dirname(createRequire(import.meta.url).resolve("better-sqlite3")))));
  } catch {
    return undefined;
  }
}

const quote = (dir: string): string => (/^[\w@%+=:,./-]+$/u.test(dir) ? dir : `'${dir.replaceAll("'", "'\\''")}'`);

/** The sentence for a load failure: what is wrong and the command that fixes it. */
export function sqliteAddonMessage(err: unknown, root: string | undefined, nodeVersion = process.version): string {
  const text = err instanceof Error ? err.message : String(err);
  const rebuild = root === undefined ? "`npm rebuild better-sqlite3` where atsyncd is installed" : `\`cd ${quote(root)} && npm rebuild better-sqlite3\``;
  if (/Could not locate the bindings file/u.test(text)) {
    return `the native module of better-sqlite3 (its SQLite) was never built, because npm skipped its install script (npm 12 does unless told \`--allow-scripts=better-sqlite3\`; so does --ignore-scripts): install again with \`npm install -g --allow-scripts=better-sqlite3 atsyncd\`, or build it with ${rebuild}`;
  }
  const abi = /NODE_MODULE_VERSION (\d+)\. This version of Node\.js requires\s+NODE_MODULE_VERSION (\d+)/u.exec(text);
  if (abi !== null) {
    return `the native module of better-sqlite3 (its SQLite) was built for another Node.js (NODE_MODULE_VERSION ${abi[1]}, not ${abi[2]} as node ${nodeVersion} needs), as happens when node is upgraded under an installed atsyncd: rebuild it with ${rebuild}, or install atsyncd again with this node`;
  }
  const first = text.split("\n")[0] ?? text;
  return `the native module of better-sqlite3 (its SQLite) does not load in node ${nodeVersion} (${first}): rebuild it with ${rebuild}, or install atsyncd again with this node`;
}

/** undefined when better-sqlite3 opens a database here; else the sentence to print (after "atsyncd run: "). */
export async function sqliteAddonProblem(open?: () => void): Promise<string | undefined> {
  try {
    if (open !== undefined) open();
    else {
      const { default: Database } = await import("better-sqlite3");
      new Database(":memory:").close(); // the native module is loaded by the first open
    }
    return undefined;
  } catch (err) {
    return sqliteAddonMessage(err, packageRootOfAddon());
  }
}
