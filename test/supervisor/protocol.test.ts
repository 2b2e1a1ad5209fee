import { expect } from "chai";
import {
  exitCodeName, NO_RESTART_EXIT_CODES, parseMainToWorker, parseWorkerData, parseWorkerToMain, WorkerExitCode, WorkerProtocolError,
} from "../../daemon/worker/protocol.js";
import { configFor, defaultConfig } from "../../daemon/config/DaemonConfig.js";
import { fakeKeys } from "./helpers.js";

function refuses(f: () => unknown, re: RegExp): void {
  expect(f).to.throw(WorkerProtocolError, re);
}

describe("worker protocol", function () {
  it("parses every message main sends, and refuses malformed ones", function () {
    expect(parseMainToWorker({ type: "request", id: 1, method: "keys.get", params: { key: "k" } })).to.deep.equal({ type: "request", id: 1, method: "keys.get", params: { key: "k" } });
    expect(parseMainToWorker({ type: "cancel", id: 4 })).to.deep.equal({ type: "cancel", id: 4 });
    expect(parseMainToWorker({ type: "trigger", reason: "network" })).to.deep.equal({ type: "trigger", reason: "network" });
    expect(parseMainToWorker({ type: "shutdown", extra: 1 })).to.deep.equal({ type: "shutdown" });
    refuses(() => parseMainToWorker(null), /not an object/);
    refuses(() => parseMainToWorker({ type: "request", id: -1, method: "m" }), /integer `id`/);
    refuses(() => parseMainToWorker({ type: "request", id: 1.5, method: "m" }), /integer `id`/);
    refuses(() => parseMainToWorker({ type: "request", id: 1 }), /string `method`/);
    refuses(() => parseMainToWorker({ type: "trigger", reason: "whim" }), /reason/);
    refuses(() => parseMainToWorker({ type: "reply", id: 1, result: 1 }), /unknown message type "reply" from main/);
  });

  it("parses every message a worker sends, and refuses malformed ones", function () {
    expect(parseWorkerToMain({ type: "ready" })).to.deep.equal({ type: "ready" });
    expect(parseWorkerToMain({ type: "reply", id: 2, result: null })).to.deep.equal({ type: "reply", id: 2, result: null });
    expect(parseWorkerToMain({ type: "reply", id: 2, error: { code: 3001, message: "no key", data: { k: 1 } } }))
      .to.deep.equal({ type: "reply", id: 2, error: { code: 3001, message: "no key", data: { k: 1 } } });
    const event = { kind: "key.changed", atSign: "@a", key: "x.ns@a", origin: "remote", op: "delete" };
    expect(parseWorkerToMain({ type: "event", event })).to.deep.equal({ type: "event", event });
    const status = { atSign: "@a", state: { kind: "online", since: 1 } };
    expect(parseWorkerToMain({ type: "status", status })).to.deep.equal({ type: "status", status });
    refuses(() => parseWorkerToMain({ type: "reply", id: 2 }), /exactly one/);
    refuses(() => parseWorkerToMain({ type: "reply", id: 2, result: 1, error: { code: 1, message: "m" } }), /exactly one/);
    refuses(() => parseWorkerToMain({ type: "reply", id: 2, error: { code: "E", message: "m" } }), /integer `code`/);
    refuses(() => parseWorkerToMain({ type: "event", event: { kind: "snapshot", atSign: "@a" } }), /known `kind`/);
    refuses(() => parseWorkerToMain({ type: "event", event: { kind: "key.changed" } }), /atSign/);
    refuses(() => parseWorkerToMain({ type: "status", status: { atSign: "@a" } }), /SyncStatus/);
    refuses(() => parseWorkerToMain({ type: "shutdown" }), /from worker/);
  });

  it("checks workerData without ever quoting key material", function () {
    const keys = fakeKeys("@alice");
    const good = { atSign: "@alice", dataDir: "/d", keys, config: configFor(defaultConfig(), "@alice") };
    expect(parseWorkerData(good)).to.equal(good);
    const { selfEncryptionKey: _gone, ...partial } = keys;
    let message = "";
    try {
      parseWorkerData({ ...good, keys: { ...partial, encryptionPrivateKey: keys.encryptionPrivateKey } });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.equal("workerData.keys.selfEncryptionKey is missing");
    expect(message).to.not.include(keys.encryptionPrivateKey.slice(0, 20));
    refuses(() => parseWorkerData({ ...good, atSign: "alice" }), /atSign/);
    refuses(() => parseWorkerData({ ...good, config: {} }), /AtSignConfig/);
  });

  it("names exit codes and keeps the no-restart set to failures a restart cannot fix", function () {
    expect(exitCodeName(WorkerExitCode.SchemaTooNew)).to.equal("SchemaTooNew");
    expect(exitCodeName(99)).to.equal("exit code 99");
    expect([...NO_RESTART_EXIT_CODES].map(exitCodeName).sort()).to.deep.equal(["ConfigInvalid", "KeysInvalid", "SchemaTooNew"]);
  });
});
