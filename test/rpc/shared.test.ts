import { expect } from "chai";
import { keyNamespace, keyOwner, parseAtKey } from "../../shared/atKey.js";
import { AtsyncError, ErrorCode, errorCodeName } from "../../shared/errors.js";
import { compileFilter, EventKinds, type AtsyncEvent } from "../../shared/events.js";
import { EventsSubscribe, KeysPut, KeysPutMany, Methods } from "../../shared/methods.js";
import { defaultSocketPath } from "../../shared/paths.js";
import { parseClientFrame, parseDaemonFrame } from "../../shared/protocol.js";
import { utf8ByteLength } from "../../shared/schema.js";
import { statusEquals, SyncStateKinds, type SyncStatus } from "../../shared/status.js";
import { thrown } from "../support/thrown.js";
import { syncStatus } from "../support/statusFixture.js";

describe("shared/errors", () => {
  it("has unique codes, app codes outside JSON-RPC's reserved range", () => {
    const codes = Object.values(ErrorCode) as number[];
    expect(new Set(codes).size).to.equal(codes.length);
    const standard = [-32700, -32600, -32601, -32602, -32603];
    for (const c of codes) {
      if (standard.includes(c)) continue;
      expect(c >= -32768 && c <= -32000, `code ${c} is in the reserved range`).to.equal(false);
    }
  });

  it("round-trips through the wire form, without the stack", () => {
    const e = new AtsyncError(ErrorCode.KeyNotFound, "phone.wavi@alice🛠 not found", { key: "phone.wavi@alice🛠" });
    const wire = JSON.parse(JSON.stringify(e)) as unknown;
    expect(wire).to.deep.equal({ code: 3001, message: "phone.wavi@alice🛠 not found", data: { key: "phone.wavi@alice🛠" } });
    const back = AtsyncError.fromJSON(wire);
    expect(back).to.be.instanceOf(AtsyncError);
    expect(AtsyncError.is(back, ErrorCode.KeyNotFound)).to.equal(true);
    expect(AtsyncError.is(back, ErrorCode.Internal)).to.equal(false);
    expect(errorCodeName(back.code)).to.equal("KeyNotFound");
  });

  it("recognises a structured clone (another realm) and maps unknown codes to Internal", () => {
    expect(AtsyncError.is(structuredClone({ name: "AtsyncError", code: 2001, message: "m" }), ErrorCode.NotOnboarded)).to.equal(true);
    expect(AtsyncError.is({ name: "Error", code: 2001, message: "m" })).to.equal(false);
    const e = AtsyncError.fromJSON({ code: 99999, message: "from the future" });
    expect(e.code).to.equal(ErrorCode.Internal);
    expect(e.data).to.deep.equal({ code: 99999, data: undefined });
  });
});

describe("shared/methods", () => {
  it("keeps the method table sorted, each entry under its own wire name", () => {
    const names = Object.keys(Methods);
    expect(names).to.deep.equal([...names].sort());
    for (const [name, d] of Object.entries(Methods)) expect(d.name).to.equal(name);
    for (const name of names) expect(name).to.match(/^[a-z]+\.[a-z][A-Za-z]*$/);
  });

  it("keeps EventKinds and SyncStateKinds sorted", () => {
    expect([...EventKinds]).to.deep.equal([...EventKinds].sort());
    expect([...SyncStateKinds]).to.deep.equal([...SyncStateKinds].sort());
  });

  it("validates keys.put: types, metadata, ownership, cached keys, emoji", () => {
    const ok = KeysPut.validate({ atSign: "@alice🛠", key: "@bob🛠:phone.wavi@alice🛠", value: "v", metadata: { ttl: 1000, ttr: -1, ccd: true } }, "");
    expect(ok).to.deep.equal({ atSign: "@alice🛠", key: "@bob🛠:phone.wavi@alice🛠", value: "v", metadata: { ttl: 1000, ttr: -1, ccd: true } });
    expect(thrown(() => KeysPut.validate({ atSign: "@alice", key: "x.wavi@alice", value: "v", metadata: { ttl: -5 } }, "")).message)
      .to.equal("invalid params: 'metadata.ttl' must be an integer ≥ 0 (got -5)");
    expect(thrown(() => KeysPut.validate({ atSign: "@alice", key: "cached:@alice:x.wavi@bob", value: "v" }, "")).code).to.equal(ErrorCode.ReadOnlyKey);
    expect(thrown(() => KeysPut.validate("nope", "")).message).to.equal("invalid params: 'params' must be an object (got \"nope\")");
    expect(thrown(() => KeysPut.validate({ atSign: "@alice", key: "a b@alice", value: "v" }, "")).code).to.equal(ErrorCode.InvalidAtKey);
    expect(thrown(() => KeysPut.validate({ atSign: "@alice", key: `${"k".repeat(250)}@alice`, value: "v" }, "")).code).to.equal(ErrorCode.InvalidAtKey);
  });

  it("validates keys.putMany item by item, naming the bad one", () => {
    const p = KeysPutMany.validate({ atSign: "@alice", items: [{ op: "put", key: "a.x@alice", value: "1" }, { op: "delete", key: "b.x@alice" }] }, "");
    expect(p.items).to.have.length(2);
    expect(thrown(() => KeysPutMany.validate({ atSign: "@alice", items: [{ op: "put", key: "a.x@alice", value: "1" }, { op: "move", key: "b.x@alice" }] }, "")).message)
      .to.include("'items[1].op' must be one of \"put\", \"delete\"");
    expect(thrown(() => KeysPutMany.validate({ atSign: "@alice", items: [{ op: "delete", key: "b.x@bob" }] }, "")).message)
      .to.include("'items[0].key' belongs to @bob");
    expect(thrown(() => KeysPutMany.validate({ atSign: "@alice", items: [] }, "")).code).to.equal(ErrorCode.InvalidParams);
  });

  it("validates the subscribe filter (regex compiled with the u flag)", () => {
    expect(EventsSubscribe.validate({ regex: "^🛠.$", kinds: ["key.changed"] }, "")).to.deep.equal({ regex: "^🛠.$", kinds: ["key.changed"] });
    expect(thrown(() => EventsSubscribe.validate({ regex: "\\p{Nope}" }, "")).code).to.equal(ErrorCode.InvalidRegex);
  });
});

describe("shared/atKey", () => {
  it("parses every key form, emoji atSigns included", () => {
    expect(parseAtKey("public:phone.wavi@alice🛠")).to.deep.equal({ cached: false, scope: "public", entity: "phone.wavi", owner: "@alice🛠" });
    expect(parseAtKey("@bob🛠:phone.wavi@alice🛠")).to.deep.equal({ cached: false, scope: "@bob🛠", entity: "phone.wavi", owner: "@alice🛠" });
    expect(parseAtKey("cached:@alice:phone.wavi@bob")).to.deep.equal({ cached: true, scope: "@alice", entity: "phone.wavi", owner: "@bob" });
    expect(parseAtKey("privatekey:at_pkam_publickey")).to.equal(undefined);
    expect(keyNamespace("@bob:phone.wavi@alice")).to.equal("wavi");
    expect(keyNamespace("public:publickey@alice")).to.equal(undefined);
    expect(keyOwner("_secret.x@alice🛠")).to.equal("@alice🛠");
  });
});

describe("shared/schema utf8ByteLength", () => {
  it("agrees with Buffer.byteLength, lone surrogates included", () => {
    const samples = ["", "a", "é", "☎", "🛠", "@alice🛠", "\ud800", "x\udc00y", "\ud83d\udee0\ud83d"];
    for (let i = 0; i < 200; i++) {
      let s = "";
      for (let j = 0; j < 20; j++) s += String.fromCharCode(Math.floor(Math.random() * 0x10000));
      samples.push(s);
    }
    for (const s of samples) expect(utf8ByteLength(s), JSON.stringify(s)).to.equal(Buffer.byteLength(s));
  });
});

describe("shared/paths defaultSocketPath", () => {
  const base = { uid: 1000, home: "/home/al" };
  it("honours ATSYNCD_SOCKET, then XDG_RUNTIME_DIR, then /tmp/atsyncd-<uid>", () => {
    expect(defaultSocketPath({ ...base, platform: "linux", env: { ATSYNCD_SOCKET: "/x/y.sock", XDG_RUNTIME_DIR: "/run/user/1000" } })).to.equal("/x/y.sock");
    expect(defaultSocketPath({ ...base, platform: "linux", env: { XDG_RUNTIME_DIR: "/run/user/1000/" } })).to.equal("/run/user/1000/atsyncd/atsyncd.sock");
    expect(defaultSocketPath({ ...base, platform: "linux", env: {} })).to.equal("/tmp/atsyncd-1000/atsyncd.sock");
    expect(defaultSocketPath({ ...base, platform: "linux", env: { XDG_RUNTIME_DIR: "relative" } })).to.equal("/tmp/atsyncd-1000/atsyncd.sock");
  });
  it("uses Application Support on macOS unless the path would be too long", () => {
    expect(defaultSocketPath({ ...base, home: "/Users/al", platform: "darwin", env: {} })).to.equal("/Users/al/Library/Application Support/atsyncd/atsyncd.sock");
    const longHome = "/Users/" + "🛠".repeat(12);
    expect(defaultSocketPath({ uid: 501, home: longHome, platform: "darwin", env: { TMPDIR: "/var/folders/ab/T/" } })).to.equal("/var/folders/ab/T/atsyncd-501/atsyncd.sock");
  });
});

describe("shared/protocol frame parsing", () => {
  it("classifies client frames", () => {
    expect(parseClientFrame({ jsonrpc: "2.0", id: 1, method: "m", params: {} }).kind).to.equal("request");
    expect(parseClientFrame({ jsonrpc: "2.0", method: "$/cancel", params: { id: 1 } }).kind).to.equal("notification");
    expect(parseClientFrame({ jsonrpc: "2.0", id: 1, method: "m", params: 5 })).to.deep.equal({ kind: "invalid", id: 1, message: "'params' must be an object" });
    expect(parseClientFrame(null)).to.deep.include({ kind: "invalid", id: null });
  });
  it("classifies daemon frames", () => {
    expect(parseDaemonFrame({ jsonrpc: "2.0", id: 3, result: null }).kind).to.equal("response");
    expect(parseDaemonFrame({ jsonrpc: "2.0", id: null, error: { code: 1003, message: "x" } }).kind).to.equal("response");
    expect(parseDaemonFrame({ jsonrpc: "2.0", method: "events.event", params: {} }).kind).to.equal("notification");
    expect(parseDaemonFrame({ jsonrpc: "2.0", id: 3 }).kind).to.equal("invalid");
  });
});

describe("shared/status and event filters", () => {
  const s: SyncStatus = syncStatus({
    state: { kind: "backoff", untilMs: 10, attempt: 2, lastError: { code: 4002, message: "down", at: 5 } },
    inSync: false, connected: false, pendingUploads: 2, lastSyncedAt: 1, lastReceivedCommitId: 4, serverCommitId: 9, keyStore: "keychain",
  });
  it("statusEquals compares deeply", () => {
    expect(statusEquals(s, structuredClone(s))).to.equal(true);
    expect(statusEquals(s, { ...s, pendingUploads: 3 })).to.equal(false);
    expect(statusEquals(s, { ...s, rejectedUploads: 1 })).to.equal(false);
    expect(statusEquals({ ...s, rejectedUploads: 1 }, { ...s, rejectedUploads: 1 })).to.equal(true);
    expect(statusEquals(s, { ...s, lastRejected: { key: "k@alice🛠", code: "AT0003", reason: "r", at: 1 } })).to.equal(false);
    expect(statusEquals(s, { ...s, state: { ...s.state, attempt: 3 } as SyncStatus["state"] })).to.equal(false);
  });
  it("compileFilter: key filters narrow key events only, case-insensitive atSigns", () => {
    const f = compileFilter({ atSigns: ["@ALICE🛠"], namespaces: ["wavi"] });
    const key = (k: string): AtsyncEvent => ({ kind: "key.changed", seq: 1 as never, at: 0, atSign: "@alice🛠", key: k, origin: "remote", op: "delete" });
    expect(f(key("phone.wavi@alice🛠"))).to.equal(true);
    expect(f(key("phone.buzz@alice🛠"))).to.equal(false);
    expect(f({ kind: "sync.started", seq: 2 as never, at: 0, atSign: "@alice🛠" })).to.equal(true);
    expect(f({ kind: "sync.started", seq: 2 as never, at: 0, atSign: "@bob" })).to.equal(false);
  });
});
