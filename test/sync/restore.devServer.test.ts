// The atServer restored from an older backup (an operator's event): acknowledged writes and
// deletes made after the backup must survive on the device and come back to the server.
import { expect } from "chai";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevServer, type DevServer } from "../../atserver/DevServer.js";
import { Device, rawRemote, syncOk } from "./support/devHarness.js";

const ALICE = "@alice🛠";

describe("sync: the atServer restored from an older backup", function () {
  this.timeout(60_000);
  let dataDir = "";
  let backup = "";
  let devices = "";
  let dev: DevServer | undefined;
  let device: Device | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), "atsyncd-restore-"));
    backup = mkdtempSync(join(tmpdir(), "atsyncd-restore-backup-"));
    devices = mkdtempSync(join(tmpdir(), "atsyncd-restore-devices-"));
  });

  afterEach(async () => {
    await device?.close();
    await dev?.stop();
    for (const d of [dataDir, backup, devices]) rmSync(d, { recursive: true, force: true });
  });

  async function serverValue(atKey: string): Promise<string | null> {
    const raw = rawRemote(dev!, ALICE);
    try {
      return await raw.request(`llookup:${atKey}`);
    } catch {
      return null;
    } finally {
      await raw.close();
    }
  }

  /** Stops the dev-server, lets `between` touch its data dir, and starts it again on the same ports. */
  async function restart(between: () => void): Promise<void> {
    const rootPort = Number(dev!.info.root.split(":").at(-1));
    await dev!.stop();
    between();
    dev = await startDevServer({ dataDir, atSigns: [ALICE], rootPort, statsIntervalMs: 60_000 });
  }

  it("scenario: restoring the atServer from an older backup keeps note.x=v2 and leaves gone.x deleted, on the device and on the server", async () => {
    dev = await startDevServer({ dataDir, atSigns: [ALICE], statsIntervalMs: 60_000 });
    device = new Device(dev, ALICE, devices, "a");
    device.start();
    const note = `note.x${ALICE}`;
    const gone = `gone.x${ALICE}`;
    device.driver.local.put(note, "v1");
    device.driver.local.put(gone, "g");
    await syncOk(device);
    await restart(() => cpSync(dataDir, backup, { recursive: true }));
    device.driver.local.put(note, "v2");
    device.driver.local.delete(gone);
    await syncOk(device);
    await syncOk(device);
    expect(await serverValue(note)).to.equal("v2");
    await restart(() => {
      rmSync(dataDir, { recursive: true, force: true });
      cpSync(backup, dataDir, { recursive: true });
    });
    expect(await serverValue(note)).to.equal("v1");
    for (let i = 0; i < 3; i++) await syncOk(device);
    expect(device.store.get(note)?.value).to.equal("v2");
    expect(device.store.get(gone)).to.equal(undefined);
    expect(await serverValue(note)).to.equal("v2");
    expect(await serverValue(gone)).to.equal(null);
  });
});
