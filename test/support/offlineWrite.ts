// A write made on a device while its daemon is stopped: encrypted and stored exactly as the worker
// would on a put, straight into the stopped daemon's store file. Tests use it to make a change the
// server has not seen, against a newer change from another device (a conflict).
import { readFileSync } from "node:fs";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import type { CipherContext } from "../../daemon/crypto/CipherContext.js";
import { ValueCipher } from "../../daemon/crypto/ValueCipher.js";
import { SqliteStore } from "../../daemon/store/SqliteStore.js";
import { storePath } from "../../daemon/worker/storePath.js";
import { decodeAtKeysFile } from "../../protocol/atKeysFile.js";
import type { AtMetadata } from "../../protocol/metadata.js";
import type { TestDaemon } from "./daemon.js";

/** Self keys need no network to encrypt; anything else is out of scope here. */
const noNetwork: CipherContext = {
  now: () => Date.now(),
  listLocal: () => Promise.resolve([]),
  lookupPublicKey: () => Promise.reject(new Error("offlineWrite: self keys only")),
  getLocal: () => Promise.resolve(undefined),
  putLocal: () => Promise.reject(new Error("offlineWrite: self keys only")),
  fetchRemote: () => Promise.resolve(undefined),
};

export async function writeWhileStopped(
  daemon: { dataDir: string },
  atSign: string,
  atKeysPath: string,
  key: string,
  plaintext: string,
): Promise<void> {
  const keys = decodeAtKeysFile(readFileSync(atKeysPath, "utf8"), atSign);
  const enc = await new ValueCipher(keys, noNetwork).encryptForPut(key, plaintext);
  const store = SqliteStore.open({ path: storePath(daemon.dataDir, atSign), clock: new SystemClock() });
  try {
    store.putLocal(key, enc.value, enc.metadata as AtMetadata);
  } finally {
    store.close();
  }
}

export interface ConflictValues {
  base: string;
  /** What the other device writes while `device` is stopped. */
  theirs: string;
  /** What `device` writes while stopped (after the other device's). */
  mine: string;
}

/**
 * A conflict on `key` for `device`, the way it comes about: both devices have `base`; `device`
 * stops; the other device writes `theirs` and syncs; `device` writes `mine` while stopped (and
 * `whileStopped` runs, for more of the same); `device` restarts. Resolves with the restarted daemon.
 */
export async function makeConflict(
  device: TestDaemon, other: TestDaemon, atKeysPath: string, atSign: string, key: string, v: ConflictValues, whileStopped?: () => void,
): Promise<TestDaemon> {
  await device.client.put(atSign, key, v.base);
  await device.client.syncNow({ atSign, wait: true });
  await other.client.syncNow({ atSign, wait: true });
  await device.stop();
  await other.client.put(atSign, key, v.theirs);
  await other.client.syncNow({ atSign, wait: true });
  await writeWhileStopped(device, atSign, atKeysPath, key, v.mine);
  whileStopped?.();
  return device.restart();
}
