// The dev-server's own certificate authority: created in the data dir on first run and reused,
// so a client that trusts ca.pem keeps trusting the servers across restarts.
import { webcrypto } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

export interface TlsMaterial {
  /** Absolute path of ca.pem. */
  readonly caPath: string;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

type CryptoKeyPair = webcrypto.CryptoKeyPair;
const crypto = webcrypto;
const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY = 86_400_000;

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${b64.endsWith("\n") ? b64 : b64 + "\n"}-----END ${label}-----\n`;
}

function writeSecret(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
}

async function createCa(dir: string): Promise<{ cert: x509.X509Certificate; keys: CryptoKeyPair }> {
  x509.cryptoProvider.set(crypto as unknown as ReturnType<typeof x509.cryptoProvider.get>);
  const keys = (await crypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: "CN=atsyncd dev-server CA",
    keys,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 3650 * DAY),
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  writeFileSync(join(dir, "ca.pem"), cert.toString("pem") + "\n");
  writeSecret(join(dir, "ca-key.pem"), pem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", keys.privateKey)));
  return { cert, keys };
}

async function loadCa(dir: string): Promise<{ cert: x509.X509Certificate; keys: CryptoKeyPair }> {
  x509.cryptoProvider.set(crypto as unknown as ReturnType<typeof x509.cryptoProvider.get>);
  const cert = new x509.X509Certificate(readFileSync(join(dir, "ca.pem"), "utf8"));
  const keyPem = readFileSync(join(dir, "ca-key.pem"), "utf8");
  const der = Buffer.from(keyPem.replace(/-----[^-]+-----|\s/g, ""), "base64");
  const privateKey = await crypto.subtle.importKey("pkcs8", der, ALG, true, ["sign"]);
  const publicKey = await cert.publicKey.export(ALG, ["verify"], crypto);
  return { cert, keys: { privateKey, publicKey } };
}

async function createServerCert(dir: string, ca: { cert: x509.X509Certificate; keys: CryptoKeyPair }): Promise<void> {
  const keys = (await crypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    subject: "CN=localhost",
    issuer: ca.cert.subject,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 3650 * DAY),
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: "dns", value: "localhost" },
        { type: "ip", value: "127.0.0.1" },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
    ],
  });
  writeFileSync(join(dir, "server.pem"), cert.toString("pem") + "\n");
  writeSecret(join(dir, "server-key.pem"), pem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", keys.privateKey)));
}

/** Loads the CA and server certificate from `dir`, creating whatever is missing. */
export async function ensureTlsMaterial(dir: string): Promise<TlsMaterial> {
  const caPath = join(dir, "ca.pem");
  const haveCa = existsSync(caPath) && existsSync(join(dir, "ca-key.pem"));
  const ca = haveCa ? await loadCa(dir) : await createCa(dir);
  if (!haveCa || !existsSync(join(dir, "server.pem")) || !existsSync(join(dir, "server-key.pem"))) {
    await createServerCert(dir, ca);
  }
  return {
    caPath,
    ca: readFileSync(caPath, "utf8"),
    cert: readFileSync(join(dir, "server.pem"), "utf8"),
    key: readFileSync(join(dir, "server-key.pem"), "utf8"),
  };
}
