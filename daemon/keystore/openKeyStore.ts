// Chooses the key store: the OS keychain when it answers within a short time, else the 0600
// file in the data dir, with a reason that `onboard`, `status` and `doctor` show the user.
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import type { KeyStore } from "./KeyStore.js";
import { FileKeyStore } from "./FileKeyStore.js";
import { KEYRING_ENTRY_OPTIONS, KEYRING_PROBE_ACCOUNT, KeyringKeyStore, keychainName } from "./KeyringKeyStore.js";

export interface OpenKeyStoreOptions {
  dataDir: string;
  /**
   * "file" uses the file store without probing; "keychain" uses the keychain even when a key
   * file from an earlier fallback exists, and fails over to the file only when none answers.
   */
  prefer?: "keychain" | "file";
  /** How long the keychain may take to answer the probe. */
  probeTimeoutMs?: number;
  /** Keychain service name (tests). */
  service?: string;
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
}

export interface OpenedKeyStore {
  store: KeyStore;
  /** Set when the file store is used although the keychain was wanted; one sentence for the user. */
  fallbackReason?: string;
}

export const DEFAULT_PROBE_TIMEOUT_MS = 3000;

export async function openKeyStore(opts: OpenKeyStoreOptions): Promise<OpenedKeyStore> {
  const file = new FileKeyStore({ dataDir: opts.dataDir });
  if (opts.prefer === "file") return { store: file };

  // Keys stored by an earlier fallback stay readable: switching stores under them would
  // un-onboard those atSigns silently.
  if (opts.prefer !== "keychain" && (await file.hasKeys())) {
    return {
      store: file,
      fallbackReason:
        `keys are kept in the file ${file.path} because they were stored there when no keychain answered; ` +
        `offboard and onboard again to move them into the keychain`,
    };
  }

  const platform = opts.platform ?? process.platform;
  const keychain = new KeyringKeyStore({ service: opts.service, platform });
  const problem = await probeKeychain({
    service: keychain.service,
    platform,
    env: opts.env ?? process.env,
    timeoutMs: opts.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
  });
  if (problem === undefined) return { store: keychain };
  return {
    store: file,
    fallbackReason: `${problem}, so keys are kept in the file ${file.path} (0600)`,
  };
}

/**
 * Resolves undefined when the keychain answers, else a phrase saying why it does not.
 * The probe runs in a child process: the keyring library connects to D-Bus synchronously, and a
 * bus that accepts but never answers would freeze this process beyond any timer's reach.
 */
export async function probeKeychain(opts: {
  service: string;
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}): Promise<string | undefined> {
  const name = keychainName(opts.platform);
  if (opts.platform !== "darwin" && opts.platform !== "win32" && !opts.env.DBUS_SESSION_BUS_ADDRESS) {
    // Without a session bus the library would try X11 autolaunch; there is no Secret Service to find.
    return `no ${name} answers (DBUS_SESSION_BUS_ADDRESS is not set: no D-Bus session)`;
  }
  const modulePath = createRequire(import.meta.url).resolve("@napi-rs/keyring");
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["-e", PROBE_SCRIPT, modulePath, opts.service, KEYRING_PROBE_ACCOUNT],
      { env: opts.env, timeout: opts.timeoutMs, killSignal: "SIGKILL", windowsHide: true, maxBuffer: 64 * 1024 },
      (err, _stdout, stderr) => {
        if (!err) resolve(undefined);
        else if (err.killed || err.signal === "SIGKILL") resolve(`the ${name} did not answer within ${opts.timeoutMs} ms`);
        else resolve(`the ${name} is not usable (${firstLine(stderr) || err.message})`);
      },
    );
  });
}

// Stores, reads back and removes a throw-away entry: reading alone succeeds on a locked keyring
// or one without a collection (a missing item reads as null), where every write then fails.
// Only the error message leaves the child.
const PROBE_SCRIPT = `
const [modulePath, service, account] = process.argv.slice(1);
const { AsyncEntry } = require(modulePath);
(async () => {
  const entry = new AsyncEntry(service, account, ${JSON.stringify(KEYRING_ENTRY_OPTIONS)});
  const token = String(process.pid) + ":" + String(Date.now());
  await entry.setPassword(token);
  const back = await entry.getPassword();
  await entry.deleteCredential();
  if (back !== token) throw new Error("an entry written could not be read back");
})().then(
  () => process.exit(0),
  (e) => { process.stderr.write(String(e && e.message ? e.message : e) + "\\n"); process.exit(1); },
);
`;

function firstLine(s: string): string {
  return s.split("\n").find((l) => l.trim() !== "")?.trim() ?? "";
}
