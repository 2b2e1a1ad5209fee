// Secrecy by construction: every error class these modules throw, and every object that holds
// keys, formatted every way a log line or a crash report could format it (util.inspect,
// String, JSON.stringify, the stack), must show no key text, signature or decrypted value.
import { expect } from "chai";
import { inspect } from "node:util";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { AtKeysError, decodeAtKeysFile, type AtKeys } from "../../protocol/atKeysFile.js";
import { aesDecrypt, aesEncrypt, rsaDecrypt, rsaSign, type CryptoError } from "../../protocol/crypto.js";
import { AtProtocolError } from "../../protocol/errors.js";
import { TlsRemote } from "../../daemon/remote/TlsRemote.js";
import { Monitor } from "../../daemon/remote/Monitor.js";
import { RootResolver } from "../../daemon/remote/RootResolver.js";
import { AuthFailedError, RemoteUnavailableError } from "../../daemon/remote/errors.js";
import { ValueCipher } from "../../daemon/crypto/ValueCipher.js";
import { FileKeyStore } from "../../daemon/keystore/FileKeyStore.js";
import { KeyStoreError } from "../../daemon/keystore/KeyStore.js";
import { nullLogger } from "../../daemon/adapters/nullLogger.js";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { AtsyncError } from "../../shared/errors.js";
import { fixturesOrSkip, readDemoAtKeys, readFixture } from "../support/fixtures.js";
import { MemoryCipherContext } from "../crypto/memoryCipherContext.js";
import { ScriptedTlsServer, selfSignedCert, type SelfSigned } from "./support/scriptedTlsServer.js";
import { rejectionOf } from "./support/waitFor.js";

const ME = "@alice🛠";
const CHALLENGE = `_5a1b0c4e-0000-4000-8000-000000000000${ME}:9f0e`;

function formatted(x: unknown): string {
  const parts = [inspect(x, { depth: 12, showHidden: true, getters: true }), String(x)];
  try {
    parts.push(JSON.stringify(x) ?? "");
  } catch {
    /* circular: inspect covers it */
  }
  if (x instanceof Error) parts.push(x.stack ?? "", x.message);
  return parts.join("\n");
}

/** Fails when any 16-character window of a secret shows up. */
function expectNoSecret(x: unknown, secrets: Record<string, string>, what: string): void {
  const text = formatted(x);
  for (const [name, s] of Object.entries(secrets)) {
    for (let i = 0; i + 16 <= s.length; i += 16) {
      if (text.includes(s.slice(i, i + 16))) expect.fail(`${what} shows ${name} (at ${i})`);
    }
  }
}

describe("secrecy of errors and key holders", function () {
  let keys: AtKeys;
  let bob: AtKeys;
  let secrets: Record<string, string>;
  let material: SelfSigned;

  before(async function () {
    fixturesOrSkip(this);
    keys = decodeAtKeysFile(readFixture("atkeys/alice_apkam.atKeys"));
    bob = readDemoAtKeys("bob");
    secrets = {
      pkamPrivateKey: keys.pkamPrivateKey ?? "",
      encryptionPrivateKey: keys.encryptionPrivateKey,
      selfEncryptionKey: keys.selfEncryptionKey,
      apkamSymmetricKey: keys.apkamSymmetricKey ?? "",
      pkamSignature: rsaSign(keys.pkamPrivateKey ?? "", CHALLENGE, "sha256"),
      plaintext: "the plaintext value that must not leak 🛠 0123456789",
      bobPrivateKey: bob.encryptionPrivateKey,
    };
    material = await selfSignedCert();
  });

  it("AtKeys from the .atKeys decoder print as AtKeys(@atSign, redacted)", function () {
    // Compared as booleans, so a failure does not print the keys into the test log.
    expect(inspect(keys) === `AtKeys(${keys.atSign}, redacted)`, "inspect(keys)").to.equal(true);
    expect(String(keys) === `AtKeys(${keys.atSign}, redacted)`, "String(keys)").to.equal(true);
    expect(JSON.stringify({ keys }) === `{"keys":"AtKeys(${keys.atSign}, redacted)"}`, "JSON.stringify").to.equal(true);
    expectNoSecret(keys, secrets, "AtKeys");
    expectNoSecret({ nested: { keys } }, secrets, "an object holding AtKeys");
    // The fields themselves are intact, and copies are plain data.
    expect(keys.pkamPrivateKey).to.equal(secrets["pkamPrivateKey"]);
    expect(Object.keys(keys)).not.to.include("toJSON");
    expect(structuredClone(keys)).to.deep.equal({ ...keys });
  });

  it("AtKeys read back from a key store print redacted", async function () {
    const dir = mkdtempSync(join(tmpdir(), "atsyncd-secrecy-"));
    try {
      const store = new FileKeyStore({ dataDir: dir });
      await store.set(keys.atSign, keys);
      const back = await store.get(keys.atSign);
      expect(back).to.deep.equal({ ...keys });
      expectNoSecret(back, secrets, "stored AtKeys");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("objects that hold keys (TlsRemote, Monitor, ValueCipher) print redacted", async function () {
    const clock = new SystemClock();
    const resolver = new RootResolver({ root: "127.0.0.1:1", clock });
    const remote = new TlsRemote({ atSign: ME, keys, resolver, clock, logger: nullLogger });
    const monitor = new Monitor({ atSign: ME, keys, resolver, clock, logger: nullLogger });
    const ctx = new MemoryCipherContext();
    ctx.publicKeys.set("@bob🛠", bob.encryptionPublicKey);
    const cipher = new ValueCipher(keys, ctx);
    const put = await cipher.encryptForPut(`@bob🛠:x.wavi${ME}`, secrets["plaintext"] ?? "");
    expect(await cipher.decryptForGet(`@bob🛠:x.wavi${ME}`, put.value, put.metadata)).to.equal(secrets["plaintext"]);
    for (const [what, obj] of [["TlsRemote", remote], ["Monitor", monitor], ["ValueCipher", cipher]] as const) {
      expectNoSecret(obj, secrets, what);
      expect(inspect(obj)).to.contain(ME);
    }
    await remote.close();
    await monitor.stop();
  });

  it("every error class, produced by real failures, shows no secret", async function () {
    const errors: Array<[string, unknown]> = [];
    const grab = (what: string, fn: () => unknown): void => {
      try {
        fn();
        expect.fail(`${what} did not throw`);
      } catch (e) {
        errors.push([what, e]);
      }
    };
    grab("AtKeysError", () => decodeAtKeysFile(JSON.stringify({ ...JSON.parse(readFixture("atkeys/alice_apkam.atKeys")) as object, selfEncryptionKey: bob.selfEncryptionKey })));
    grab("CryptoError aes", () => aesDecrypt(keys.selfEncryptionKey, aesEncrypt(bob.selfEncryptionKey, secrets["plaintext"] ?? "")));
    grab("CryptoError rsa", () => rsaDecrypt(keys.encryptionPrivateKey, Buffer.alloc(256, 1).toString("base64")));
    const ctx = new MemoryCipherContext();
    const cipher = new ValueCipher(keys, ctx);
    errors.push(["AtsyncError decrypt", await rejectionOf(cipher.decryptForGet(`x.wavi${ME}`, aesEncrypt(bob.selfEncryptionKey, secrets["plaintext"] ?? ""), { isEncrypted: true }))]);
    const dir = mkdtempSync(join(tmpdir(), "atsyncd-secrecy-"));
    try {
      errors.push(["KeyStoreError", await rejectionOf(new FileKeyStore({ dataDir: dir }).set(ME, { ...keys, atSign: "@bob🛠" }))]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(errors.map(([, e]) => (e as Error).constructor.name)).to.include.members(["AtKeysError", "CryptoError", "AtsyncError", "KeyStoreError"]);
    for (const [what, e] of errors) expectNoSecret(e, secrets, what);
    expect(errors.find(([w]) => w === "KeyStoreError")?.[1]).to.be.instanceOf(KeyStoreError);
    expect((errors.find(([w]) => w === "CryptoError aes")?.[1] as CryptoError).code).to.equal("CRYPTO_DECRYPT_FAILED");
    expect(errors.find(([w]) => w === "AtsyncError decrypt")?.[1]).to.be.instanceOf(AtsyncError);
    expect(errors.find(([w]) => w === "AtKeysError")?.[1]).to.be.instanceOf(AtKeysError);
  });

  it("login errors show neither the PKAM signature nor keys, even when the server echoes the command", async function () {
    let pkamReply: (line: string) => string = () => "data:success";
    const server = new ScriptedTlsServer(material, (line: string, socket: TLSSocket) => {
      if (line.startsWith("from:")) socket.write(`data:${CHALLENGE}\n@`);
      else if (line.startsWith("pkam:")) socket.write(`${pkamReply(line)}\n${ME}@`);
      else socket.write(`data:ok\n${ME}@`);
    });
    await server.listen();
    const root = new ScriptedTlsServer(material, (line, socket) => {
      if (line !== "@exit") socket.write(`127.0.0.1:${server.port}\r\n@`);
    });
    await root.listen();
    const clock = new SystemClock();
    const remotes: TlsRemote[] = [];
    try {
      const cases: Array<[string, (line: string) => string]> = [
        ["legacy echo", (line) => `error:AT0003-Invalid syntax : ${line}`],
        ["json echo", (line) => `error:${JSON.stringify({ errorCode: "AT0011", errorDescription: `failed: ${line}` })}`],
        ["auth echo", (line) => `error:AT0401-Client authentication failed for ${line}`],
        ["handler echo", (line) => `error:AT0025:${line}`],
        ["not success", (line) => `data:${line}`],
      ];
      for (const [what, reply] of cases) {
        pkamReply = reply;
        const resolver = new RootResolver({ root: `127.0.0.1:${root.port}`, ca: material.cert, clock });
        const r = new TlsRemote({ atSign: ME, keys, resolver, ca: material.cert, clock, logger: nullLogger });
        remotes.push(r);
        const err = await rejectionOf(r.request("scan"));
        expect(err, what).to.satisfy((e: unknown) => e instanceof AtProtocolError || e instanceof AuthFailedError || e instanceof RemoteUnavailableError);
        expect(server.commands.some((c) => c.includes(secrets["pkamSignature"] ?? "?"))).to.equal(true);
        expectNoSecret(err, secrets, what);
      }
    } finally {
      await Promise.all(remotes.map((r) => r.close()));
      await server.close();
      await root.close();
    }
  });
});
