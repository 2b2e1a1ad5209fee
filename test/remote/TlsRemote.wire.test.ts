import { expect } from "chai";
import type { TLSSocket } from "node:tls";
import { decodeAtKeysFile, type AtKeys } from "../../protocol/atKeysFile.js";
import { rsaVerify } from "../../protocol/crypto.js";
import { TlsRemote } from "../../daemon/remote/TlsRemote.js";
import { RootResolver } from "../../daemon/remote/RootResolver.js";
import { AuthFailedError, RemoteUnavailableError } from "../../daemon/remote/errors.js";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { nullLogger } from "../../daemon/adapters/nullLogger.js";
import { fixturesOrSkip, readFixture } from "../support/fixtures.js";
import { rootNaming, startSilentAtServer } from "./support/scriptedAtServer.js";
import { ScriptedTlsServer, selfSignedCert, type SelfSigned } from "./support/scriptedTlsServer.js";
import { rejectionOf } from "./support/waitFor.js";

const CHALLENGE = "_5a1b0c4e-0000-4000-8000-000000000000@alice🛠:9f0e";

// Scripted atServer: a fixed challenge, then whatever `pkamReply` says.
function atServer(material: SelfSigned, pkamReply: () => string): ScriptedTlsServer {
  return new ScriptedTlsServer(material, (line: string, socket: TLSSocket) => {
    if (line.startsWith("from:")) socket.write(`data:${CHALLENGE}\n@`);
    else if (line.startsWith("pkam:")) socket.write(`${pkamReply()}\n@alice🛠@`);
    else socket.write("data:[]\n@alice🛠@");
  });
}

describe("remote/TlsRemote on the wire", function () {
  let material: SelfSigned;
  let apkamKeys: AtKeys;
  let root: ScriptedTlsServer;
  let server: ScriptedTlsServer;
  let pkamReply = "data:success";
  const clock = new SystemClock();
  const remotes: TlsRemote[] = [];

  before(async function () {
    fixturesOrSkip(this);
    apkamKeys = decodeAtKeysFile(readFixture("atkeys/alice_apkam.atKeys"));
    material = await selfSignedCert();
    server = atServer(material, () => pkamReply);
    await server.listen();
    root = new ScriptedTlsServer(material, rootNaming(() => server.port));
    await root.listen();
  });
  after(async function () {
    await Promise.all(remotes.map((r) => r.close()));
    await server?.close();
    await root?.close();
  });

  function remote(keys: AtKeys): TlsRemote {
    const resolver = new RootResolver({ root: `127.0.0.1:${root.port}`, ca: material.cert, clock });
    const r = new TlsRemote({ atSign: "@alice🛠", keys, resolver, ca: material.cert, clock, logger: nullLogger });
    remotes.push(r);
    return r;
  }

  it("sends from with clientConfig, then the APKAM pkam form with the enrollmentId", async function () {
    server.commands.length = 0;
    pkamReply = "data:success";
    expect(await remote(apkamKeys).request("scan")).to.equal("[]");
    const [from, pkam, scan] = server.commands;
    expect(from).to.match(/^from:@alice🛠:clientConfig:\{.+\}$/u);
    const config = JSON.parse((from ?? "").slice("from:@alice🛠:clientConfig:".length)) as Record<string, unknown>;
    expect(config["version"]).to.equal("3.3.0");
    const m = /^pkam:signingAlgo:rsa2048:hashingAlgo:sha256:enrollmentId:([^:]+):(.+)$/u.exec(pkam ?? "");
    expect(m, pkam).to.not.equal(null);
    expect(m?.[1]).to.equal(apkamKeys.enrollmentId);
    expect(rsaVerify(apkamKeys.pkamPublicKey, CHALLENGE, m?.[2] ?? "", "sha256")).to.equal(true);
    expect(scan).to.equal("scan");
  });

  it("sends the legacy pkam form without an enrollmentId", async function () {
    server.commands.length = 0;
    const { enrollmentId: _e, ...legacy } = apkamKeys;
    await remote(legacy).request("scan");
    expect(server.commands[1]).to.match(/^pkam:signingAlgo:rsa2048:hashingAlgo:sha256:[A-Za-z0-9+/=]+$/u);
  });

  for (const [reply, code] of [
    ["error:AT0025:enrollment_id: 352b is denied", "AT0025"],
    ['error:{"errorCode":"AT0401","errorDescription":"Client authentication failed"}', "AT0401"],
    ["error:AT0027-enrollment revoked", "AT0027"],
  ] as const) {
    it(`turns ${code} on pkam into AuthFailedError`, async function () {
      pkamReply = reply;
      const err = await rejectionOf(remote(apkamKeys).request("scan"));
      expect(err).to.be.instanceOf(AuthFailedError);
      expect(err).to.include({ atCode: code, retryable: false });
    });
  }

  it("times out a connect to a server that never completes the TLS handshake", async function () {
    const silent = await startSilentAtServer(material);
    try {
      const resolver = new RootResolver({ root: `127.0.0.1:${silent.rootPort}`, ca: material.cert, clock });
      const r = new TlsRemote({ atSign: "@alice🛠", keys: apkamKeys, resolver, ca: material.cert, clock, logger: nullLogger, connectTimeoutMs: 150 });
      remotes.push(r);
      const err = await rejectionOf(r.request("scan"));
      expect(err).to.be.instanceOf(RemoteUnavailableError);
      expect(err).to.include({ reason: "timeout", retryable: true });
    } finally {
      await silent.close();
    }
  });
});
