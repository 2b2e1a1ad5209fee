// The keys a worker receives are a structured clone of main's: plain again, so a log or an
// inspect of them would print every key. receiveWorkerData (what the worker runs on arrival)
// protects them. Run through a real worker thread, from the compiled daemon.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { expect } from "chai";
import { protectAtKeys } from "../../protocol/protectAtKeys.js";
import { projectRoot } from "../support/fixtures.js";
import { requireBuild } from "../support/daemon.js";

const SECRETS = {
  pkamPrivateKey: "PKAM-PRIVATE-SECRET-1",
  encryptionPrivateKey: "ENC-PRIVATE-SECRET-2",
  selfEncryptionKey: "SELF-ENC-SECRET-3",
};

interface Printed {
  inspected: string;
  json: string;
  str: string;
  plainInspected: string;
}

function printInWorker(data: unknown): Promise<Printed> {
  const url = pathToFileURL(join(projectRoot, "dist", "daemon", "worker", "protocol.js")).href;
  const code = `
    const { workerData, parentPort } = require("node:worker_threads");
    const { inspect } = require("node:util");
    const plainInspected = inspect(workerData.keys);
    import(${JSON.stringify(url)}).then((m) => {
      const d = m.receiveWorkerData(workerData);
      parentPort.postMessage({ inspected: inspect(d), json: JSON.stringify(d), str: String(d.keys), plainInspected });
    });`;
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: data });
    w.once("message", (m: Printed) => {
      resolve(m);
      void w.terminate();
    });
    w.once("error", reject);
  });
}

describe("e2e: keys in a worker", function () {
  before(function () {
    requireBuild();
  });

  it("print redacted in the worker, though the clone that arrives is plain", async function () {
    const keys = protectAtKeys({
      atSign: "@alice🛠", pkamPublicKey: "pkam-pub", encryptionPublicKey: "enc-pub", ...SECRETS,
    });
    const data = {
      atSign: "@alice🛠", dataDir: "/tmp/x", keys,
      config: { rootServer: { host: "127.0.0.1", port: 64 }, conflictPolicy: "local-wins", namespaces: [], regex: null, ca: null, syncSchedule: null },
    };
    const out = await printInWorker(data);
    // What arrives is plain: without the protection these would print the keys.
    expect(out.plainInspected).to.include(SECRETS.selfEncryptionKey);
    for (const printed of [out.inspected, out.json, out.str]) {
      for (const secret of Object.values(SECRETS)) expect(printed).to.not.include(secret);
    }
    expect(out.str).to.equal("AtKeys(@alice🛠, redacted)");
  });
});
