import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeAtKeysFile } from "../../protocol/atKeysFile.js";
import { cramDigest, rsaSign } from "../../protocol/crypto.js";
import { fixturesDir, readFixture } from "../support/fixtures.js";
import { ALICE, BOB, demoCramKey, demoKeys } from "./support/demo.js";
import type { RawClient } from "./support/RawClient.js";
import { useDemoServer } from "./support/harness.js";

describe("dev-server authentication (§2)", function () {
  const h = useDemoServer(this, () => ({ cramSecrets: { [ALICE]: demoCramKey(ALICE) } }));
  const open = (atSign?: string): Promise<RawClient> => h().open(atSign);

  it("the demo keys sign the fixture challenge exactly as the fixture signatures", function () {
    const keys = demoKeys("alice");
    const challenge = readFixture("pkam/challenge.txt").trim();
    expect(rsaSign(keys.pkamPrivateKey ?? "", challenge, "sha256")).to.equal(readFixture("pkam/sig_sha256.b64").trim());
    expect(rsaSign(keys.pkamPrivateKey ?? "", challenge, "sha512")).to.equal(readFixture("pkam/sig_sha512.b64").trim());
  });

  it("greets with @ and answers from with a challenge, with or without the @", async function () {
    const c = await open();
    const a = await c.raw(`from:${ALICE}`);
    expect(a).to.match(/^data:_[0-9a-f-]{36}@alice🛠:[0-9a-f-]{36}\n@$/u);
    const b = await c.raw(`from:${ALICE.slice(1)}`);
    expect(b).to.match(/^data:_[0-9a-f-]{36}@alice🛠:[0-9a-f-]{36}\n@$/u);
    // The session id is the connection's; the secret after it is new each time.
    expect(b.split(ALICE)[0]).to.equal(a.split(ALICE)[0]);
    expect(b).to.not.equal(a);
    const sessionId = a.slice("data:".length).split(ALICE)[0] ?? "";
    expect(await c.cmd("from:@bob🛠")).to.match(new RegExp(`^data:proof:${sessionId}@bob🛠:[0-9a-f-]{36}$`, "u"));
  });

  it("logs in with pkam in the signingAlgo form (SHA-256 and SHA-512) and the legacy form", async function () {
    const keys = demoKeys("alice");
    const c1 = await open();
    expect(await c1.pkamLogin(ALICE, keys.pkamPrivateKey ?? "", "sha256")).to.equal("data:success");
    expect(await c1.raw("noop:0")).to.equal(`data:ok\n${ALICE}@`);
    const c2 = await open();
    expect(await c2.pkamLogin(ALICE, keys.pkamPrivateKey ?? "", "sha512")).to.equal("data:success");
    const c3 = await open();
    const challenge = (await c3.cmd(`from:${ALICE}`)).slice(5);
    expect(await c3.raw(`pkam:${rsaSign(keys.pkamPrivateKey ?? "", challenge, "sha256")}`)).to.equal(`data:success\n${ALICE}@`);
  });

  it("refuses a bad signature with AT0401 and keeps the connection usable", async function () {
    const c = await open();
    await c.cmd(`from:${ALICE}`);
    const bad = rsaSign(demoKeys("bob").pkamPrivateKey ?? "", "not the challenge", "sha256");
    expect(await c.raw(`pkam:signingAlgo:rsa2048:hashingAlgo:sha256:${bad}`)).to.equal(
      "error:AT0401-Exception: pkam authentication failed\n@",
    );
    expect(await c.pkamLogin(ALICE, demoKeys("alice").pkamPrivateKey ?? "")).to.equal("data:success");
  });

  it("refuses pkam without a from, and another atSign's keys", async function () {
    const c = await open();
    const sig = rsaSign(demoKeys("alice").pkamPrivateKey ?? "", "x", "sha256");
    expect(await c.cmd(`pkam:${sig}`)).to.equal("error:AT0401-Exception: pkam authentication failed");
    expect(await c.pkamLogin(ALICE, demoKeys("bob").pkamPrivateKey ?? "")).to.equal("error:AT0401-Exception: pkam authentication failed");
    const onBob = await open(BOB);
    expect(await onBob.pkamLogin(BOB, demoKeys("bob").pkamPrivateKey ?? "")).to.equal("data:success");
  });

  it("logs in with cram: lowercase hex SHA-512 of secret + challenge", async function () {
    const c = await open();
    const challenge = (await c.cmd(`from:${ALICE}`)).slice(5);
    expect(await c.raw(`cram:${cramDigest("wrong", challenge)}`)).to.equal("error:AT0401-Exception: Authentication failed\n@");
    const again = (await c.cmd(`from:${ALICE}`)).slice(5);
    expect(await c.raw(`cram:${cramDigest(demoCramKey(ALICE), again)}`)).to.equal(`data:success\n${ALICE}@`);
  });

  it("uses the three error formats: legacy before auth, described after, JSON for clients above 3.0.37", async function () {
    const c = await open();
    expect(await c.raw("llookup:phone.wavi@alice🛠")).to.equal("error:AT0401-Exception: Command cannot be executed without auth\n@");
    expect(await c.raw("bogus")).to.equal("error:AT0003-Exception: invalid command\n@");
    await c.pkamLogin(ALICE, demoKeys("alice").pkamPrivateKey ?? "");
    expect(await c.raw("bogus")).to.equal(`error:AT0003-Invalid syntax : invalid command\n${ALICE}@`);
    expect(await c.raw(`llookup:nothere.wavi${ALICE}`)).to.equal(
      `error:AT0015-key not found : nothere.wavi${ALICE} does not exist in keystore\n${ALICE}@`,
    );

    const j = await open();
    await j.cmd(`from:${ALICE}:clientConfig:{"version":"3.3.0","clientId":"x"}`);
    expect(await j.cmd("bogus")).to.equal('error:{"errorCode":"AT0003","errorDescription":"Exception: invalid command"}');
    const old = await open();
    await old.cmd(`from:${ALICE}:clientConfig:{"version":"3.0.37"}`);
    expect(await old.cmd("bogus")).to.equal("error:AT0003-Exception: invalid command");
    const broken = await open();
    expect(await broken.cmd(`from:${ALICE}:clientConfig:{not json}`)).to.equal(
      "error:AT0011-Exception: FormatException: clientConfig is not valid JSON",
    );
    await broken.waitClosed();
  });

  it("refuses every requiresAuth verb before authentication, and serves the others", async function () {
    const c = await open();
    const needAuth = [
      `update:x.wavi${ALICE} v`, `update:meta:x.wavi${ALICE}:ttl:1`, `delete:x.wavi${ALICE}`, `llookup:x.wavi${ALICE}`,
      "stats:3", "sync:from:-1:limit:1", 'batch:[{"id":1,"command":"noop:0"}]', "monitor", `notify:${BOB}:x.wavi${ALICE}`,
      "notify:status:x", "notify:fetch:x", "notify:remove:x",
    ];
    for (const cmd of needAuth) {
      expect(await c.raw(cmd), cmd).to.equal("error:AT0401-Exception: Command cannot be executed without auth\n@");
    }
    expect(await c.raw("noop:0")).to.equal("data:ok\n@");
    expect(await c.raw(`plookup:publickey${ALICE}`)).to.match(/^data:MII[^\n]+\n@$/u);
    expect(await c.raw(`lookup:publickey${ALICE}`)).to.match(/^data:MII[^\n]+\n@$/u);
    expect(await c.raw("scan")).to.match(/^data:\[[^\n]*\]\n@$/u);
    expect(await c.raw("notify:list")).to.equal("data:null\n@");
    expect(await c.raw("info:brief")).to.match(/^data:\{"version":"[^"]+","uptimeAsMillis":\d+\}\n@$/u);
  });

  it("answers at_c's empty line right after connect with AT0003", async function () {
    const c = await open();
    c.write("\r\n");
    expect(await c.nextReply()).to.equal("error:AT0003-Exception: invalid command\n@");
    expect(await c.raw("noop:0")).to.equal("data:ok\n@");
  });
});

describe("dev-server APKAM login with an imported enrollment (§2.2)", function () {
  const apkamPath = (): string => join(fixturesDir, "atkeys", "alice_apkam.atKeys");
  const h = useDemoServer(this, { importAtKeys: [apkamPath()] });

  it("accepts pkam with the file's enrollmentId, and answers AT0028 for an unknown one", async function () {
    const keys = decodeAtKeysFile(readFileSync(apkamPath(), "utf8"));
    const c = await h().open();
    const sign = async (): Promise<string> => rsaSign(keys.pkamPrivateKey ?? "", (await c.cmd(`from:${ALICE}`)).slice(5), "sha256");
    expect(await c.raw(`pkam:signingAlgo:rsa2048:hashingAlgo:sha256:enrollmentId:nope:${await sign()}`)).to.equal(
      "error:AT0028:enrollment_id: nope is expired or invalid\n@",
    );
    expect(await c.raw(`pkam:signingAlgo:rsa2048:hashingAlgo:sha256:enrollmentId:${keys.enrollmentId ?? ""}:${await sign()}`)).to.equal(
      `data:success\n${ALICE}@`,
    );
  });
});
