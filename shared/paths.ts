// The default socket path, as a pure function so daemon and client agree on it and
// tests can check every platform. Unix socket paths are limited to ~104 bytes
// (sun_path: 104 on macOS, 108 on Linux), counted in UTF-8 bytes.

import { utf8ByteLength } from "./schema.js";

export const SOCKET_FILE = "atsyncd.sock";
export const MAX_SOCKET_PATH_BYTES = 103;
/** The system-wide daemon's socket (systemd/atsyncd-system.service: RuntimeDirectory=atsyncd). */
export const SYSTEM_SOCKET_PATH = "/run/atsyncd/atsyncd.sock";

export interface SocketPathInput {
  platform: string;
  env: Record<string, string | undefined>;
  uid: number;
  home: string;
}

function join(dir: string, ...parts: string[]): string {
  return [dir.replace(/\/+$/u, ""), ...parts].join("/");
}

/**
 * `$ATSYNCD_SOCKET` if set; on Linux `$XDG_RUNTIME_DIR/atsyncd/atsyncd.sock`, or
 * `/tmp/atsyncd-<uid>/atsyncd.sock` without XDG_RUNTIME_DIR; on macOS under
 * `~/Library/Application Support/atsyncd`, or `$TMPDIR/atsyncd-<uid>/` when that is too long.
 */
export function defaultSocketPath({ platform, env, uid, home }: SocketPathInput): string {
  const override = env.ATSYNCD_SOCKET;
  if (override) return override;
  if (platform === "darwin") {
    const appSupport = join(home, "Library", "Application Support", "atsyncd", SOCKET_FILE);
    if (utf8ByteLength(appSupport) <= MAX_SOCKET_PATH_BYTES) return appSupport;
    return join(env.TMPDIR || "/tmp", `atsyncd-${uid}`, SOCKET_FILE);
  }
  if (platform === "win32") return `\\\\.\\pipe\\atsyncd-${uid}`;
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime && runtime.startsWith("/")) return join(runtime, "atsyncd", SOCKET_FILE);
  return join("/tmp", `atsyncd-${uid}`, SOCKET_FILE);
}
