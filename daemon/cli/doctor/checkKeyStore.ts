// doctor: which key store the daemon would use, and whether it is the OS keychain.
import { openKeyStore } from "../../keystore/openKeyStore.js";
import { check, type CheckResult } from "./Check.js";

const KEYCHAIN_FIX = process.platform === "darwin"
  ? "unlock the login keychain, then `atsyncd offboard` and `atsyncd onboard` each atSign to move its keys there"
  : "run atsyncd in a desktop session with a Secret Service (gnome-keyring or KeePassXC, unlocked), then `atsyncd offboard` and `atsyncd onboard` each atSign to move its keys there; on a headless server the 0600 file is the expected fallback";

export async function checkKeyStore(o: { dataDir: string; prefer?: "keychain" | "file" | undefined; env: NodeJS.ProcessEnv }): Promise<{ result: CheckResult; atSigns: string[] }> {
  let opened;
  try {
    opened = await openKeyStore({ dataDir: o.dataDir, env: o.env, ...(o.prefer ? { prefer: o.prefer } : {}) });
  } catch (err) {
    return { result: check("key store", "fail", err instanceof Error ? err.message : String(err), "fix what the message names (permissions of the data dir or key file)"), atSigns: [] };
  }
  let atSigns: string[] = [];
  try {
    atSigns = await opened.store.list();
  } catch (err) {
    return {
      result: check("key store", "fail", `${opened.store.description} cannot be read: ${err instanceof Error ? err.message : String(err)}`,
        opened.store.kind === "file" ? "make the key file yours and 0600 (`chmod 600`), or restore it from a backup" : "unlock the keychain and try again"),
      atSigns,
    };
  }
  const held = atSigns.length === 0 ? "no atSign onboarded" : `holds ${atSigns.join(", ")}`;
  if (opened.store.kind === "keychain") return { result: check("key store", "ok", `${opened.store.description}; ${held}`), atSigns };
  if (o.prefer === "file") return { result: check("key store", "ok", `${opened.store.description} (chosen with --key-store file); ${held}`), atSigns };
  return {
    result: check("key store", "warn", `${opened.fallbackReason ?? opened.store.description}; ${held}`, KEYCHAIN_FIX),
    atSigns,
  };
}
